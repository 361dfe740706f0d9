/**
 * Anomaly detection per link: a Random Cut Forest over each link's closed windows ({@link
 * dev.ferry.telemetry.anomaly.LinkDetector}, engine-free), the Kafka Streams processor that keeps
 * its state ({@link dev.ferry.telemetry.anomaly.AnomalyTopology}), queries and metrics.
 */
package dev.ferry.telemetry.anomaly;
