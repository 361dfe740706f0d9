package dev.ferry.telemetry.metrics;

import static dev.ferry.telemetry.Facts.fact;
import static org.assertj.core.api.Assertions.assertThat;

import dev.ferry.telemetry.aggregate.LinkKey;
import dev.ferry.telemetry.aggregate.LinkStats;
import dev.ferry.telemetry.query.LinkTotals;
import dev.ferry.telemetry.query.SiteFreshness;
import dev.ferry.telemetry.query.TelemetryQueries;
import dev.ferry.telemetry.query.TelemetryUnavailableException;
import dev.ferry.telemetry.query.WindowPoint;
import io.prometheus.metrics.expositionformats.OpenMetricsTextFormatWriter;
import io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class TransferMetricsCollectorTest {
  private static final Instant T0 = Instant.parse("2026-03-01T10:00:00Z");
  private static final LinkKey AB = new LinkKey("t1", "SITE_A", "SITE_B");
  private static final LinkKey CA = new LinkKey("t1", "SITE_C", "SITE_A");

  /** Fixed answers, or unavailable. */
  private static final class FakeQueries implements TelemetryQueries {
    List<LinkTotals> links = List.of();
    boolean unavailable;

    @Override
    public List<LinkTotals> links() {
      if (unavailable) {
        throw new TelemetryUnavailableException("telemetry is REBALANCING", null);
      }
      return links.stream()
          .map(t -> new LinkTotals(t.link(), t.stats().copy(), t.lateFacts()))
          .toList();
    }

    @Override
    public Optional<LinkTotals> link(LinkKey link) {
      return links().stream().filter(t -> t.link().equals(link)).findFirst();
    }

    @Override
    public List<WindowPoint> series(LinkKey link, Instant from, Instant to) {
      return List.of();
    }

    @Override
    public List<SiteFreshness> siteFreshness() {
      return SiteFreshness.of(links());
    }
  }

  private final FakeQueries queries = new FakeQueries();

  private String scrape(boolean openMetrics) throws IOException {
    PrometheusRegistry registry = new PrometheusRegistry();
    registry.register(new TransferMetricsCollector(queries));
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    if (openMetrics) {
      OpenMetricsTextFormatWriter.create().write(out, registry.scrape());
    } else {
      PrometheusTextFormatWriter.create().write(out, registry.scrape());
    }
    return out.toString(StandardCharsets.UTF_8);
  }

  private void givenTwoLinks() {
    LinkStats ab =
        LinkStats.of(
            List.of(
                fact(T0).link("SITE_A", "SITE_B").succeeded(100, 100).toFact(),
                fact(T0.plusSeconds(20)).link("SITE_A", "SITE_B").succeeded(300, 3_000).toFact(),
                fact(T0).link("SITE_A", "SITE_B").failed("io", true).toFact(),
                fact(T0).link("SITE_A", "SITE_B").skipped().toFact()));
    LinkStats ca =
        LinkStats.of(
            List.of(
                fact(T0.plusMillis(30_500))
                    .link("SITE_C", "SITE_A")
                    .succeeded(7, 7_200_000)
                    .toFact()));
    queries.links = List.of(new LinkTotals(AB, ab, 0), new LinkTotals(CA, ca, 1));
  }

  @Test
  void shouldExportCountersPerLinkAndOutcome() throws IOException {
    givenTwoLinks();

    String text = scrape(true);

    assertThat(text)
        .contains("# TYPE ferry_transfers counter\n")
        .contains(
            "ferry_transfers_total{dst_site=\"SITE_B\",outcome=\"succeeded\",src_site=\"SITE_A\",tenant=\"t1\"} 2.0\n")
        .contains(
            "ferry_transfers_total{dst_site=\"SITE_B\",outcome=\"failed\",src_site=\"SITE_A\",tenant=\"t1\"} 1.0\n")
        .contains(
            "ferry_transfers_total{dst_site=\"SITE_B\",outcome=\"skipped\",src_site=\"SITE_A\",tenant=\"t1\"} 1.0\n")
        // every outcome of every link, zero included, so rate() sees the first failure
        .contains(
            "ferry_transfers_total{dst_site=\"SITE_A\",outcome=\"failed\",src_site=\"SITE_C\",tenant=\"t1\"} 0.0\n")
        .contains("# TYPE ferry_transfer_bytes counter\n# UNIT ferry_transfer_bytes bytes\n")
        .contains(
            "ferry_transfer_bytes_total{dst_site=\"SITE_B\",src_site=\"SITE_A\",tenant=\"t1\"} 400.0\n")
        .endsWith("# EOF\n");
  }

  @Test
  void shouldExportAnExactDurationHistogram() throws IOException {
    givenTwoLinks();

    String text = scrape(true);

    String ab = "dst_site=\"SITE_B\",src_site=\"SITE_A\",tenant=\"t1\"";
    assertThat(text)
        .contains("# TYPE ferry_transfer_duration_seconds histogram\n")
        .contains("# UNIT ferry_transfer_duration_seconds seconds\n")
        .contains("ferry_transfer_duration_seconds_bucket{" + ab + ",le=\"0.05\"} 0\n")
        .contains("ferry_transfer_duration_seconds_bucket{" + ab + ",le=\"0.1\"} 1\n")
        .contains("ferry_transfer_duration_seconds_bucket{" + ab + ",le=\"2.5\"} 1\n")
        .contains("ferry_transfer_duration_seconds_bucket{" + ab + ",le=\"5.0\"} 2\n")
        .contains("ferry_transfer_duration_seconds_bucket{" + ab + ",le=\"+Inf\"} 2\n")
        .contains("ferry_transfer_duration_seconds_count{" + ab + "} 2\n")
        .contains("ferry_transfer_duration_seconds_sum{" + ab + "} 3.1\n");
    String ca = "dst_site=\"SITE_A\",src_site=\"SITE_C\",tenant=\"t1\"";
    assertThat(text)
        .contains("ferry_transfer_duration_seconds_bucket{" + ca + ",le=\"3600.0\"} 0\n")
        .contains("ferry_transfer_duration_seconds_bucket{" + ca + ",le=\"+Inf\"} 1\n")
        .contains("ferry_transfer_duration_seconds_sum{" + ca + "} 7200.0\n");
  }

  @Test
  void shouldExportSiteFreshnessAsUnixTimestamps() throws IOException {
    givenTwoLinks();

    String text = scrape(true);

    assertThat(text)
        .contains("# TYPE ferry_site_last_transfer_timestamp_seconds gauge\n")
        .contains(
            "ferry_site_last_transfer_timestamp_seconds{site=\"SITE_A\",tenant=\"t1\"} "
                + (T0.getEpochSecond() + 30.5)
                + "\n");
  }

  @Test
  void shouldUseOnlyBoundedLabels() throws IOException {
    givenTwoLinks();

    for (String line : scrape(false).split("\n")) {
      if (line.startsWith("#") || !line.contains("{")) {
        continue;
      }
      String labels = line.substring(line.indexOf('{') + 1, line.lastIndexOf('}'));
      for (String pair : labels.split(",")) {
        assertThat(pair.substring(0, pair.indexOf('=')))
            .as(line)
            .isIn("tenant", "src_site", "dst_site", "outcome", "site", "le");
      }
    }
  }

  @Test
  void shouldRenderInThePrometheusTextFormatToo() throws IOException {
    givenTwoLinks();

    String text = scrape(false);

    assertThat(text)
        .contains("# TYPE ferry_transfers_total counter\n")
        .contains(
            "ferry_transfers_total{dst_site=\"SITE_B\",outcome=\"succeeded\",src_site=\"SITE_A\",tenant=\"t1\"} 2.0\n")
        .contains("# TYPE ferry_transfer_duration_seconds histogram\n");
  }

  @Test
  void shouldExportNothingWhileTheStoresAreUnavailable() throws IOException {
    givenTwoLinks();
    queries.unavailable = true;

    assertThat(scrape(true)).isEqualTo("# EOF\n");
  }

  @Test
  void shouldExportEmptyFamiliesBeforeTheFirstFact() throws IOException {
    assertThat(scrape(true)).doesNotContain("ferry_transfers_total{");
  }
}
