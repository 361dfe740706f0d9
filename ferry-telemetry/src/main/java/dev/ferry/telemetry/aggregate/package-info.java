/**
 * Engine-free aggregation: transfer facts in, mergeable per-link accumulators out. Plain Java (no
 * Kafka, no framework), so that Kafka Streams today, and another engine later, wire the same logic.
 */
package dev.ferry.telemetry.aggregate;
