package dev.ferry.telemetry.metrics;

import dev.ferry.telemetry.aggregate.LinkKey;
import dev.ferry.telemetry.aggregate.LinkStats;
import dev.ferry.telemetry.aggregate.Outcome;
import dev.ferry.telemetry.query.LinkTotals;
import dev.ferry.telemetry.query.SiteFreshness;
import dev.ferry.telemetry.query.TelemetryQueries;
import dev.ferry.telemetry.query.TelemetryUnavailableException;
import io.prometheus.metrics.model.registry.MetricType;
import io.prometheus.metrics.model.registry.MultiCollector;
import io.prometheus.metrics.model.snapshots.ClassicHistogramBuckets;
import io.prometheus.metrics.model.snapshots.CounterSnapshot;
import io.prometheus.metrics.model.snapshots.CounterSnapshot.CounterDataPointSnapshot;
import io.prometheus.metrics.model.snapshots.GaugeSnapshot;
import io.prometheus.metrics.model.snapshots.GaugeSnapshot.GaugeDataPointSnapshot;
import io.prometheus.metrics.model.snapshots.HistogramSnapshot;
import io.prometheus.metrics.model.snapshots.HistogramSnapshot.HistogramDataPointSnapshot;
import io.prometheus.metrics.model.snapshots.Labels;
import io.prometheus.metrics.model.snapshots.MetricMetadata;
import io.prometheus.metrics.model.snapshots.MetricSnapshots;
import io.prometheus.metrics.model.snapshots.Unit;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Exposes the running totals of the telemetry stores to Prometheus, read at scrape time through
 * {@link TelemetryQueries} (nothing is cached, so {@code /metrics} is as fresh as the stores):
 *
 * <ul>
 *   <li>{@code ferry_transfers_total{tenant,src_site,dst_site,outcome}} counter: distinct transfer
 *       facts (one per file and attempt), outcome {@code succeeded|skipped|failed}. Every outcome
 *       is exported for every link, zero included, so that {@code rate()} sees the first failure.
 *   <li>{@code ferry_transfer_bytes_total{tenant,src_site,dst_site}} counter: bytes published.
 *   <li>{@code ferry_transfer_duration_seconds{tenant,src_site,dst_site}} histogram of succeeded
 *       transfers. A histogram rather than a summary because buckets aggregate across links and
 *       instances in PromQL while precomputed quantiles do not; the buckets are counted exactly in
 *       {@link LinkStats}, not derived from the sketch, so {@code _count} equals the succeeded
 *       counter and {@code _sum} is exact. The duration is the attempt's, shared by the files of a
 *       batch task (see {@link LinkStats}).
 *   <li>{@code ferry_site_last_transfer_timestamp_seconds{tenant,site}} gauge: the event time of
 *       the latest fact with the site at either end, as a Unix timestamp (an age would go stale
 *       between scrapes; {@code time() - metric} gives it).
 * </ul>
 *
 * <p>Labels are tenant and site names only, never job ids or file names. Late facts count in all of
 * these (they come from the totals). While the stores cannot be read (start, rebalance, restore)
 * the collector returns no samples rather than wrong ones, and logs at debug; Prometheus marks the
 * series stale and resumes them unchanged. Thread-safe: scrapes may run concurrently.
 */
public final class TransferMetricsCollector implements MultiCollector {
  private static final Logger log = LoggerFactory.getLogger(TransferMetricsCollector.class);

  public static final String TRANSFERS = "ferry_transfers";
  public static final String BYTES = "ferry_transfer_bytes";
  public static final String DURATION = "ferry_transfer_duration_seconds";
  public static final String SITE_LAST_TRANSFER = "ferry_site_last_transfer_timestamp_seconds";

  private static final String TRANSFERS_HELP =
      "Distinct transfer facts (one per file and attempt) by outcome";
  private static final String BYTES_HELP = "Bytes published at destinations by transfers";
  private static final String DURATION_HELP =
      "Duration of the attempts that transferred files, per succeeded file";
  private static final String SITE_HELP =
      "Event time of the latest transfer fact with the site at either end (Unix time)";

  private static final Set<String> LINK_LABELS = Set.of("tenant", "src_site", "dst_site");

  private static final double[] BOUNDS = withInfinity(LinkStats.durationBucketBoundsSeconds());

  private final TelemetryQueries queries;

  public TransferMetricsCollector(TelemetryQueries queries) {
    this.queries = queries;
  }

  @Override
  public MetricSnapshots collect() {
    List<LinkTotals> links;
    List<SiteFreshness> sites;
    try {
      links = queries.links();
      sites = SiteFreshness.of(links); // from the same read, so the families agree
    } catch (TelemetryUnavailableException e) {
      log.debug("no telemetry samples in this scrape: {}", e.getMessage());
      return new MetricSnapshots();
    }
    CounterSnapshot.Builder transfers =
        CounterSnapshot.builder().name(TRANSFERS).help(TRANSFERS_HELP);
    CounterSnapshot.Builder bytes =
        CounterSnapshot.builder().name(BYTES).unit(Unit.BYTES).help(BYTES_HELP);
    HistogramSnapshot.Builder duration =
        HistogramSnapshot.builder().name(DURATION).unit(Unit.SECONDS).help(DURATION_HELP);
    for (LinkTotals t : links) {
      LinkStats s = t.stats();
      Labels link = labels(t.link());
      for (Outcome o : Outcome.values()) {
        transfers.dataPoint(
            CounterDataPointSnapshot.builder()
                .labels(link.add("outcome", o.label()))
                .value(s.count(o))
                .build());
      }
      bytes.dataPoint(CounterDataPointSnapshot.builder().labels(link).value(s.bytes()).build());
      duration.dataPoint(
          HistogramDataPointSnapshot.builder()
              .labels(link)
              .classicHistogramBuckets(ClassicHistogramBuckets.of(BOUNDS, s.durationBucketCounts()))
              .sum(s.durationSumSeconds())
              .build());
    }
    GaugeSnapshot.Builder freshness =
        GaugeSnapshot.builder().name(SITE_LAST_TRANSFER).unit(Unit.SECONDS).help(SITE_HELP);
    for (SiteFreshness f : sites) {
      freshness.dataPoint(
          GaugeDataPointSnapshot.builder()
              .labels(Labels.of("tenant", f.tenant(), "site", f.site()))
              .value(f.lastEventTime().toEpochMilli() / 1000.0)
              .build());
    }
    return MetricSnapshots.of(
        transfers.build(), bytes.build(), duration.build(), freshness.build());
  }

  @Override
  public List<String> getPrometheusNames() {
    return List.of(TRANSFERS, BYTES, DURATION, SITE_LAST_TRANSFER);
  }

  @Override
  public MetricType getMetricType(String prometheusName) {
    return switch (prometheusName) {
      case TRANSFERS, BYTES -> MetricType.COUNTER;
      case DURATION -> MetricType.HISTOGRAM;
      case SITE_LAST_TRANSFER -> MetricType.GAUGE;
      default -> null;
    };
  }

  @Override
  public Set<String> getLabelNames(String prometheusName) {
    return switch (prometheusName) {
      case TRANSFERS -> Set.of("tenant", "src_site", "dst_site", "outcome");
      case BYTES, DURATION -> LINK_LABELS;
      case SITE_LAST_TRANSFER -> Set.of("tenant", "site");
      default -> null;
    };
  }

  @Override
  public MetricMetadata getMetadata(String prometheusName) {
    return switch (prometheusName) {
      case TRANSFERS -> new MetricMetadata(TRANSFERS, TRANSFERS_HELP);
      case BYTES -> new MetricMetadata(BYTES, BYTES_HELP, Unit.BYTES);
      case DURATION -> new MetricMetadata(DURATION, DURATION_HELP, Unit.SECONDS);
      case SITE_LAST_TRANSFER -> new MetricMetadata(SITE_LAST_TRANSFER, SITE_HELP, Unit.SECONDS);
      default -> null;
    };
  }

  private static Labels labels(LinkKey k) {
    return Labels.of(
        "tenant", k.tenant(), "src_site", k.sourceSite(), "dst_site", k.destinationSite());
  }

  private static double[] withInfinity(double[] bounds) {
    double[] b = Arrays.copyOf(bounds, bounds.length + 1);
    b[bounds.length] = Double.POSITIVE_INFINITY;
    return b;
  }
}
