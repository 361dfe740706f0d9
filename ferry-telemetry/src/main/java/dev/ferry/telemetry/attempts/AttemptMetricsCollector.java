package dev.ferry.telemetry.attempts;

import dev.ferry.telemetry.aggregate.LinkKey;
import dev.ferry.telemetry.query.TelemetryUnavailableException;
import io.prometheus.metrics.model.registry.MultiCollector;
import io.prometheus.metrics.model.snapshots.CounterSnapshot;
import io.prometheus.metrics.model.snapshots.CounterSnapshot.CounterDataPointSnapshot;
import io.prometheus.metrics.model.snapshots.Labels;
import io.prometheus.metrics.model.snapshots.MetricSnapshots;
import java.util.Map;
import java.util.TreeSet;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Exposes attempt totals to Prometheus, read from the stores at scrape time:
 *
 * <ul>
 *   <li>{@code ferry_attempts_total{tenant,src_site,dst_site,outcome}}: attempts by outcome ({@code
 *       completed|failed|cancelled|released|abandoned}), every outcome exported for every link
 *       known, zero included, so that {@code increase()} sees the first one;
 *   <li>{@code ferry_attempt_retries_total{tenant,src_site,dst_site}}: attempts after a task's
 *       first;
 *   <li>{@code ferry_attempt_wire_bytes_total{tenant,src_site,dst_site}}: bytes the workers moved,
 *       re-sent bytes included (compare with {@code ferry_transfer_bytes_total}, the bytes
 *       published, for the cost of retries);
 *   <li>{@code ferry_attempt_seconds_total{tenant,src_site,dst_site}}: time the attempts took;
 *   <li>{@code ferry_attempt_failures_total{tenant,src_site,dst_site,error_class}}: attempts with a
 *       failed file, by the first failure's class (at most {@value AttemptStats#MAX_ERROR_CLASSES}
 *       classes per link).
 * </ul>
 *
 * <p>Each instance exports the links of its own partitions; Prometheus sums over instances. While
 * the stores cannot be read the collector returns no samples. Thread-safe.
 */
public final class AttemptMetricsCollector implements MultiCollector {
  private static final Logger log = LoggerFactory.getLogger(AttemptMetricsCollector.class);

  public static final String ATTEMPTS = "ferry_attempts";
  public static final String RETRIES = "ferry_attempt_retries";
  public static final String WIRE_BYTES = "ferry_attempt_wire_bytes";
  public static final String SECONDS = "ferry_attempt_seconds";
  public static final String FAILURES = "ferry_attempt_failures";

  private final Supplier<Map<LinkKey, AttemptStats>> totals;

  /**
   * @param totals this instance's totals per link; throws {@link TelemetryUnavailableException}
   *     while the stores cannot be read
   */
  public AttemptMetricsCollector(Supplier<Map<LinkKey, AttemptStats>> totals) {
    this.totals = totals;
  }

  @Override
  public MetricSnapshots collect() {
    Map<LinkKey, AttemptStats> all;
    try {
      all = totals.get();
    } catch (TelemetryUnavailableException e) {
      log.debug("no attempt samples in this scrape: {}", e.getMessage());
      return new MetricSnapshots();
    }
    CounterSnapshot.Builder attempts =
        CounterSnapshot.builder().name(ATTEMPTS).help("Worker attempts by outcome");
    CounterSnapshot.Builder retries =
        CounterSnapshot.builder().name(RETRIES).help("Attempts after a task's first");
    CounterSnapshot.Builder bytes =
        CounterSnapshot.builder()
            .name(WIRE_BYTES)
            .help("Bytes moved by workers, re-sent bytes included");
    CounterSnapshot.Builder seconds =
        CounterSnapshot.builder().name(SECONDS).help("Time worker attempts took");
    CounterSnapshot.Builder failures =
        CounterSnapshot.builder()
            .name(FAILURES)
            .help("Attempts with a failed file, by the first failure's error class");
    all.forEach(
        (link, s) -> {
          Labels l = labels(link);
          for (String outcome : new TreeSet<>(AttemptEvent.OUTCOMES)) {
            attempts.dataPoint(
                point(l.add("outcome", outcome), s.attemptsByOutcome().getOrDefault(outcome, 0L)));
          }
          retries.dataPoint(point(l, s.retries()));
          bytes.dataPoint(point(l, s.bytesOnWire()));
          seconds.dataPoint(point(l, s.durationMillis() / 1000.0));
          s.failedAttemptsByErrorClass()
              .forEach((cls, n) -> failures.dataPoint(point(l.add("error_class", cls), n)));
        });
    return MetricSnapshots.of(
        attempts.build(), retries.build(), bytes.build(), seconds.build(), failures.build());
  }

  private static Labels labels(LinkKey k) {
    return Labels.of(
        "tenant", k.tenant(), "src_site", k.sourceSite(), "dst_site", k.destinationSite());
  }

  private static CounterDataPointSnapshot point(Labels l, double v) {
    return CounterDataPointSnapshot.builder().labels(l).value(v).build();
  }
}
