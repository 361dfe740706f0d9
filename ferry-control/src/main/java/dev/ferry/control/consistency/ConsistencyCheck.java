package dev.ferry.control.consistency;

import java.time.Instant;

/**
 * One comparison of one measure of one link between two sides, as {@code GET /api/v1/consistency}
 * and the gauges show it. See {@link DriftDetector} for the exact rule.
 *
 * @param check {@code published-vs-database}, {@code stream-vs-database}, {@code metrics-vs-stream}
 *     or, with a Prometheus server configured, {@code prometheus-vs-stream}
 * @param outcome {@code succeeded|skipped|failed}; {@code null} when {@code measure} is {@code
 *     bytes}
 * @param measure {@code transfers} (a count of facts) or {@code bytes}
 * @param expected the reference side's value (the upper end of the admissible range)
 * @param pending how much of {@code expected} is still inside the grace, so may be missing from
 *     {@code actual} without being drift; the admissible range is {@code [expected - pending,
 *     expected]}
 * @param actual the checked side's value
 * @param drift zero when {@code actual} is in the admissible range, else the signed distance to its
 *     nearest end; equals {@code actual - expected} whenever {@code pending} is zero
 * @param status {@code ok} or {@code drift}
 * @param since when this drift was first seen by a run of this process; {@code null} when ok
 */
public record ConsistencyCheck(
    String check,
    String tenant,
    String sourceSite,
    String destinationSite,
    String outcome,
    String measure,
    long expected,
    long pending,
    long actual,
    long drift,
    String status,
    Instant since) {

  public static final String OK = "ok";
  public static final String DRIFT = "drift";

  public boolean ok() {
    return drift == 0;
  }
}
