/**
 * Attempt telemetry: what workers report of each attempt on {@code ferry.attempts} (bytes on the
 * wire, outcome, error class, attempt number), aggregated per tenant and link into running totals
 * ({@link dev.ferry.telemetry.attempts.AttemptStats}, engine-free) by a sub-topology of the
 * telemetry application ({@link dev.ferry.telemetry.attempts.AttemptTopology}) and exported as
 * {@code ferry_attempts_total} and friends ({@link
 * dev.ferry.telemetry.attempts.AttemptMetricsCollector}).
 */
package dev.ferry.telemetry.attempts;
