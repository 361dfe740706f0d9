package dev.ferry.control.consistency;

import dev.ferry.model.event.Topics;
import dev.ferry.telemetry.aggregate.LinkKey;
import dev.ferry.telemetry.aggregate.Outcome;
import dev.ferry.telemetry.query.TelemetryQueries;
import dev.ferry.telemetry.query.TelemetryUnavailableException;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.sql.Timestamp;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.context.SmartLifecycle;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Service;

/**
 * Compares, per tenant, link and measure, the transfer facts the database wrote (the {@code outbox}
 * rows of {@code ferry.transfers}, written in the transaction of the task result they announce),
 * those the relay published, the telemetry stream's running totals and the values of {@code
 * ferry_transfers_total}/{@code ferry_transfer_bytes_total} in the Prometheus registry and, when
 * {@code ferry.consistency.prometheus-url} is set, in a Prometheus server's query API; the rules
 * are {@link DriftDetector}'s. The grace is {@link #GRACE}: a fact published before {@code now -
 * GRACE} must be in the stream, a fact created before it must be published.
 *
 * <p>{@link #checkOnce()} is one deterministic run against the injected clock; the lifecycle calls
 * it every {@link #INTERVAL}. Runs are serialized. The database side needs the outbox to keep its
 * published rows (nothing prunes it today). When this process has no telemetry role, or its stores
 * cannot be read, only {@code published-vs-database} runs and the report names the missing side; a
 * run that fails on the database keeps the previous report and logs.
 */
@Service
public class ConsistencyChecker implements SmartLifecycle {
  private static final Logger log = LoggerFactory.getLogger(ConsistencyChecker.class);

  public static final Duration GRACE = Duration.ofSeconds(30);
  public static final Duration INTERVAL = Duration.ofSeconds(30);

  /**
   * How far behind the stream a Prometheus server may be, on top of {@link #GRACE}: its scrape
   * interval plus ingestion. Facts published before {@code now - GRACE - PROMETHEUS_LAG} must be in
   * its answer. Set {@code ferry.consistency.prometheus-lag} when scraping less often than every 30
   * s.
   */
  public static final Duration PROMETHEUS_LAG = Duration.ofSeconds(60);

  static final String STREAM = "stream";
  static final String METRICS = "metrics";
  static final String PROMETHEUS = "prometheus";

  private final JdbcClient db;
  private final Clock clock;
  private final ObjectProvider<TelemetryQueries> telemetry;
  private final ObjectProvider<PrometheusMeterRegistry> prometheus;
  private final ConsistencyMetrics metrics;
  private final PrometheusSide prometheusServer; // null when not configured
  private final Duration prometheusLag;
  private final DriftDetector detector = new DriftDetector();
  private volatile ConsistencyReport latest;
  private ScheduledExecutorService timer;

  public ConsistencyChecker(
      JdbcClient db,
      Clock clock,
      ObjectProvider<TelemetryQueries> telemetry,
      ObjectProvider<PrometheusMeterRegistry> prometheus,
      MeterRegistry meters,
      @Value("${ferry.consistency.prometheus-url:}") String prometheusUrl,
      @Value("${ferry.consistency.prometheus-selector:}") String prometheusSelector,
      @Value("${ferry.consistency.prometheus-lag:60s}") Duration prometheusLag) {
    this.db = db;
    this.clock = clock;
    this.telemetry = telemetry;
    this.prometheus = prometheus;
    this.metrics = new ConsistencyMetrics(meters);
    this.prometheusServer =
        prometheusUrl == null || prometheusUrl.isBlank()
            ? null
            : new PrometheusSide(prometheusUrl, prometheusSelector, Duration.ofSeconds(5));
    if (prometheusLag == null || prometheusLag.isNegative()) {
      throw new IllegalArgumentException(
          "ferry.consistency.prometheus-lag must be zero or more, got " + prometheusLag);
    }
    this.prometheusLag = prometheusLag;
  }

  /** Whether this process runs a telemetry role at all (ready or not). */
  public boolean hasTelemetry() {
    return telemetry.getIfAvailable() != null;
  }

  /** The last run's report, running one first when none has run yet. */
  public ConsistencyReport latest() {
    ConsistencyReport r = latest;
    return r != null ? r : checkOnce();
  }

  /** One run: reads every side, compares, updates the report and the gauges. */
  public synchronized ConsistencyReport checkOnce() {
    Instant now = clock.instant();
    List<String> unavailable = new ArrayList<>();
    Tally streamBefore = null;
    Tally localBefore = null;
    Tally scraped = null;
    Tally localAfter = null;
    Tally streamAfter = null;
    Tally fromPrometheus = null;
    TelemetryQueries queries = telemetry.getIfAvailable();
    if (queries == null) {
      unavailable.add(STREAM + ": this process runs no telemetry role");
    } else {
      try {
        // Order matters (see DriftDetector): stream, metrics, Prometheus, stream again, then the
        // database. /metrics exports this instance's partitions only, so the scrape is bracketed
        // by reads of those (with one instance they are the whole stream: no extra reads).
        TelemetryQueries local = queries.local();
        boolean alone = local == queries;
        streamBefore = Tally.ofStream(queries.links());
        localBefore = alone ? streamBefore : Tally.ofStream(local.links());
        scraped = scrape(unavailable);
        localAfter = alone ? null : Tally.ofStream(local.links());
        fromPrometheus = askPrometheus(unavailable);
        streamAfter = Tally.ofStream(queries.links());
        if (alone) {
          localAfter = streamAfter;
        }
      } catch (TelemetryUnavailableException e) {
        unavailable.add(STREAM + ": telemetry is not ready yet: " + e.getMessage());
        streamBefore = null;
        localBefore = null;
        scraped = null;
        localAfter = null;
        streamAfter = null;
        fromPrometheus = null;
        unavailable.removeIf(u -> u.startsWith(METRICS + ":") || u.startsWith(PROMETHEUS + ":"));
      }
    }
    DriftDetector.Sides sides =
        database(
            now.minus(GRACE),
            now.minus(GRACE).minus(prometheusLag),
            streamBefore,
            scraped,
            streamAfter,
            fromPrometheus,
            localBefore,
            localAfter);
    ConsistencyReport report = ConsistencyReport.of(now, detector.compare(sides, now), unavailable);
    metrics.record(report);
    latest = report;
    return report;
  }

  private Tally scrape(List<String> unavailable) {
    PrometheusMeterRegistry registry = prometheus.getIfAvailable();
    if (registry == null) {
      unavailable.add(METRICS + ": no Prometheus registry in this process");
      return null;
    }
    Optional<Tally> t = Tally.ofMetrics(registry.getPrometheusRegistry().scrape());
    if (t.isEmpty()) {
      unavailable.add(
          METRICS + ": no ferry_transfers_total in the registry (collector not registered?)");
    }
    return t.orElse(null);
  }

  /** The configured server's answer, or null (with the reason in {@code unavailable}). */
  private Tally askPrometheus(List<String> unavailable) {
    if (prometheusServer == null) {
      return null;
    }
    try {
      return prometheusServer.read();
    } catch (PrometheusSide.PrometheusUnavailableException e) {
      unavailable.add(PROMETHEUS + ": " + e.getMessage());
      return null;
    }
  }

  private DriftDetector.Sides database(
      Instant cutoff,
      Instant prometheusCutoff,
      Tally streamBefore,
      Tally scraped,
      Tally streamAfter,
      Tally fromPrometheus,
      Tally localBefore,
      Tally localAfter) {
    Tally.Builder all = Tally.builder();
    Tally.Builder published = Tally.builder();
    Tally.Builder inGrace = Tally.builder();
    Tally.Builder settled = Tally.builder();
    Tally.Builder settledForPrometheus = Tally.builder();
    db.sql(
            "SELECT d->>'tenant', d->>'sourceSite', d->>'destinationSite', d->>'outcome',"
                + " count(*), coalesce(sum((d->>'bytes')::bigint), 0),"
                + " count(*) FILTER (WHERE published_at IS NOT NULL),"
                + " coalesce(sum((d->>'bytes')::bigint) FILTER (WHERE published_at IS NOT NULL), 0),"
                + " count(*) FILTER (WHERE published_at IS NULL AND created_at >= :cutoff),"
                + " coalesce(sum((d->>'bytes')::bigint)"
                + "   FILTER (WHERE published_at IS NULL AND created_at >= :cutoff), 0),"
                + " count(*) FILTER (WHERE published_at < :cutoff),"
                + " coalesce(sum((d->>'bytes')::bigint) FILTER (WHERE published_at < :cutoff), 0),"
                + " count(*) FILTER (WHERE published_at < :pcutoff),"
                + " coalesce(sum((d->>'bytes')::bigint) FILTER (WHERE published_at < :pcutoff), 0)"
                + " FROM (SELECT payload::jsonb -> 'data' AS d, created_at, published_at"
                + "       FROM outbox WHERE topic = :topic) f"
                + " WHERE d->>'tenant' IS NOT NULL AND d->>'sourceSite' IS NOT NULL"
                + "   AND d->>'destinationSite' IS NOT NULL AND d->>'outcome' IS NOT NULL"
                + " GROUP BY 1, 2, 3, 4")
        .param("cutoff", Timestamp.from(cutoff))
        .param("pcutoff", Timestamp.from(prometheusCutoff))
        .param("topic", Topics.TRANSFERS)
        .query(
            rs -> {
              LinkKey link = new LinkKey(rs.getString(1), rs.getString(2), rs.getString(3));
              Measure m = Measure.of(Outcome.parse(rs.getString(4)));
              all.add(link, m, rs.getLong(5)).add(link, Measure.BYTES, rs.getLong(6));
              published.add(link, m, rs.getLong(7)).add(link, Measure.BYTES, rs.getLong(8));
              inGrace.add(link, m, rs.getLong(9)).add(link, Measure.BYTES, rs.getLong(10));
              settled.add(link, m, rs.getLong(11)).add(link, Measure.BYTES, rs.getLong(12));
              settledForPrometheus
                  .add(link, m, rs.getLong(13))
                  .add(link, Measure.BYTES, rs.getLong(14));
            });
    return new DriftDetector.Sides(
        all.build(),
        published.build(),
        inGrace.build(),
        settled.build(),
        streamBefore,
        scraped,
        streamAfter,
        fromPrometheus,
        fromPrometheus == null ? null : settledForPrometheus.build(),
        localBefore,
        localAfter);
  }

  @Override
  public synchronized void start() {
    timer =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, "ferry-consistency");
              t.setDaemon(true);
              return t;
            });
    timer.scheduleWithFixedDelay(
        this::runQuietly, INTERVAL.toMillis(), INTERVAL.toMillis(), TimeUnit.MILLISECONDS);
  }

  private void runQuietly() {
    try {
      ConsistencyReport r = checkOnce();
      if (!r.status().equals(ConsistencyCheck.OK)) {
        log.warn(
            "consistency drift: {}", r.checks().stream().filter(c -> !c.ok()).limit(10).toList());
      }
    } catch (RuntimeException e) {
      log.warn("consistency check failed; keeping the report of {}", checkedAt(), e);
    }
  }

  private Instant checkedAt() {
    ConsistencyReport r = latest;
    return r == null ? null : r.checkedAt();
  }

  @Override
  public synchronized void stop() {
    if (timer != null) {
      timer.shutdownNow();
      timer = null;
    }
  }

  @Override
  public synchronized boolean isRunning() {
    return timer != null;
  }
}
