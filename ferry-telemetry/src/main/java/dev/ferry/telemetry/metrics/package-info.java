/**
 * Prometheus export of the aggregates; see {@link
 * dev.ferry.telemetry.metrics.TransferMetricsCollector}.
 */
package dev.ferry.telemetry.metrics;
