/**
 * The Kafka Streams topology of the telemetry role and its serdes; see {@link
 * dev.ferry.telemetry.streams.TransferTopology}.
 */
package dev.ferry.telemetry.streams;
