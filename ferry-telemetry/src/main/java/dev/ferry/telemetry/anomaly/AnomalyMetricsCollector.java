package dev.ferry.telemetry.anomaly;

import dev.ferry.telemetry.aggregate.LinkKey;
import dev.ferry.telemetry.query.TelemetryUnavailableException;
import io.prometheus.metrics.model.registry.MetricType;
import io.prometheus.metrics.model.registry.MultiCollector;
import io.prometheus.metrics.model.snapshots.CounterSnapshot;
import io.prometheus.metrics.model.snapshots.CounterSnapshot.CounterDataPointSnapshot;
import io.prometheus.metrics.model.snapshots.GaugeSnapshot;
import io.prometheus.metrics.model.snapshots.GaugeSnapshot.GaugeDataPointSnapshot;
import io.prometheus.metrics.model.snapshots.Labels;
import io.prometheus.metrics.model.snapshots.MetricMetadata;
import io.prometheus.metrics.model.snapshots.MetricSnapshots;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Exposes anomaly detection to Prometheus, read at scrape time through {@link AnomalyQueries}:
 *
 * <ul>
 *   <li>{@code ferry_link_anomaly_score{tenant,src_site,dst_site}} gauge: the forest's score of the
 *       link's latest window (around 1 or below is ordinary). Absent while the link's model warms
 *       up: no number is better than a meaningless one.
 *   <li>{@code ferry_link_anomalies_total{tenant,src_site,dst_site}} counter: windows flagged on
 *       the link since its model started (kept in the model's store, so it survives restarts).
 *       Exported for every link the detector knows, zero included, so that {@code increase()} sees
 *       the first anomaly.
 *   <li>{@code ferry_site_anomaly_throughput_correlation{tenant,site}} gauge: Pearson's
 *       correlation, over the last {@link AnomalyOptions#correlationWindows()} scored windows of
 *       every link with the site at either end, between a window's anomaly score and its throughput
 *       relative to its link's mean over those windows (so that links of different bandwidth pool
 *       fairly). Near −1: the site's anomalies are slowdowns; near 0: they are not about throughput
 *       (e.g. failures); positive: bursts. Absent with fewer than 3 windows or no variation.
 * </ul>
 *
 * <p>Labels are tenant and site names only. While the stores cannot be read the collector returns
 * no samples. Thread-safe.
 */
public final class AnomalyMetricsCollector implements MultiCollector {
  private static final Logger log = LoggerFactory.getLogger(AnomalyMetricsCollector.class);

  public static final String SCORE = "ferry_link_anomaly_score";
  public static final String ANOMALIES = "ferry_link_anomalies";
  public static final String CORRELATION = "ferry_site_anomaly_throughput_correlation";

  private static final String SCORE_HELP =
      "Random Cut Forest anomaly score of the link's latest window (about 1 or less is ordinary)";
  private static final String ANOMALIES_HELP = "Windows of the link flagged as anomalies";
  private static final String CORRELATION_HELP =
      "Pearson correlation of anomaly score with relative throughput over the site's recent"
          + " windows";

  private static final Set<String> LINK_LABELS = Set.of("tenant", "src_site", "dst_site");
  private static final Set<String> SITE_LABELS = Set.of("tenant", "site");

  private final AnomalyQueries queries;

  public AnomalyMetricsCollector(AnomalyQueries queries) {
    this.queries = queries;
  }

  @Override
  public MetricSnapshots collect() {
    List<LinkScore> scores;
    try {
      scores = queries.scores();
    } catch (TelemetryUnavailableException e) {
      log.debug("no anomaly samples in this scrape: {}", e.getMessage());
      return new MetricSnapshots();
    }
    GaugeSnapshot.Builder score = GaugeSnapshot.builder().name(SCORE).help(SCORE_HELP);
    CounterSnapshot.Builder total = CounterSnapshot.builder().name(ANOMALIES).help(ANOMALIES_HELP);
    for (LinkScore s : scores) {
      Labels link = labels(s.link());
      if (!s.warmingUp()) {
        score.dataPoint(GaugeDataPointSnapshot.builder().labels(link).value(s.score()).build());
      }
      total.dataPoint(
          CounterDataPointSnapshot.builder().labels(link).value(s.anomaliesTotal()).build());
    }
    GaugeSnapshot.Builder correlation =
        GaugeSnapshot.builder().name(CORRELATION).help(CORRELATION_HELP);
    siteCorrelations(scores)
        .forEach(
            (site, r) ->
                correlation.dataPoint(
                    GaugeDataPointSnapshot.builder()
                        .labels(Labels.of("tenant", site.tenant(), "site", site.site()))
                        .value(r)
                        .build()));
    return MetricSnapshots.of(score.build(), total.build(), correlation.build());
  }

  /** A tenant's site. */
  record Site(String tenant, String site) implements Comparable<Site> {
    @Override
    public int compareTo(Site o) {
      int c = tenant.compareTo(o.tenant);
      return c != 0 ? c : site.compareTo(o.site);
    }
  }

  /** The correlation per site, for sites where it is defined; see the class comment. */
  static Map<Site, Double> siteCorrelations(List<LinkScore> scores) {
    Map<Site, List<double[]>> pairs = new TreeMap<>();
    for (LinkScore s : scores) {
      double[] x = s.recentScores();
      double[] t = s.recentThroughput();
      double mean = 0;
      for (double v : t) {
        mean += v;
      }
      mean = t.length == 0 ? 0 : mean / t.length;
      List<double[]> own = new ArrayList<>(x.length);
      for (int i = 0; i < x.length; i++) {
        own.add(new double[] {x[i], mean > 0 ? t[i] / mean : 0});
      }
      LinkKey k = s.link();
      pairs
          .computeIfAbsent(new Site(k.tenant(), k.sourceSite()), x2 -> new ArrayList<>())
          .addAll(own);
      if (!k.destinationSite().equals(k.sourceSite())) {
        pairs
            .computeIfAbsent(new Site(k.tenant(), k.destinationSite()), x2 -> new ArrayList<>())
            .addAll(own);
      }
    }
    Map<Site, Double> out = new TreeMap<>();
    pairs.forEach(
        (site, p) -> {
          double r = pearson(p);
          if (!Double.isNaN(r)) {
            out.put(site, r);
          }
        });
    return out;
  }

  /** Pearson's r of the pairs, or NaN with fewer than 3 pairs or a constant side. */
  static double pearson(List<double[]> pairs) {
    int n = pairs.size();
    if (n < 3) {
      return Double.NaN;
    }
    double mx = 0;
    double my = 0;
    for (double[] p : pairs) {
      mx += p[0];
      my += p[1];
    }
    mx /= n;
    my /= n;
    double sxy = 0;
    double sxx = 0;
    double syy = 0;
    for (double[] p : pairs) {
      double dx = p[0] - mx;
      double dy = p[1] - my;
      sxy += dx * dy;
      sxx += dx * dx;
      syy += dy * dy;
    }
    if (sxx <= 1e-12 || syy <= 1e-12) {
      return Double.NaN;
    }
    return Math.max(-1, Math.min(1, sxy / Math.sqrt(sxx * syy)));
  }

  @Override
  public List<String> getPrometheusNames() {
    return List.of(SCORE, ANOMALIES, CORRELATION);
  }

  @Override
  public MetricType getMetricType(String prometheusName) {
    return switch (prometheusName) {
      case SCORE, CORRELATION -> MetricType.GAUGE;
      case ANOMALIES -> MetricType.COUNTER;
      default -> null;
    };
  }

  @Override
  public Set<String> getLabelNames(String prometheusName) {
    return switch (prometheusName) {
      case SCORE, ANOMALIES -> LINK_LABELS;
      case CORRELATION -> SITE_LABELS;
      default -> null;
    };
  }

  @Override
  public MetricMetadata getMetadata(String prometheusName) {
    return switch (prometheusName) {
      case SCORE -> new MetricMetadata(SCORE, SCORE_HELP);
      case ANOMALIES -> new MetricMetadata(ANOMALIES, ANOMALIES_HELP);
      case CORRELATION -> new MetricMetadata(CORRELATION, CORRELATION_HELP);
      default -> null;
    };
  }

  private static Labels labels(LinkKey k) {
    return Labels.of(
        "tenant", k.tenant(), "src_site", k.sourceSite(), "dst_site", k.destinationSite());
  }
}
