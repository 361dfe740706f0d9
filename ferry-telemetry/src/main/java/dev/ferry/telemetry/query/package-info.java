/**
 * Read access to the aggregates (interactive queries), for the REST API and the Prometheus
 * collector; see {@link dev.ferry.telemetry.query.TelemetryQueries}.
 */
package dev.ferry.telemetry.query;
