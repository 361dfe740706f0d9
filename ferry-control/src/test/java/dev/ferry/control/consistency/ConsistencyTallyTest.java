package dev.ferry.control.consistency;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ferry.telemetry.aggregate.LinkKey;
import dev.ferry.telemetry.aggregate.LinkStats;
import dev.ferry.telemetry.aggregate.Outcome;
import dev.ferry.telemetry.aggregate.TransferFact;
import dev.ferry.telemetry.metrics.TransferMetricsCollector;
import dev.ferry.telemetry.query.LinkTotals;
import dev.ferry.telemetry.query.SiteFreshness;
import dev.ferry.telemetry.query.TelemetryQueries;
import dev.ferry.telemetry.query.WindowPoint;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The stream and metrics sides read from the real collector over a fake store. */
class ConsistencyTallyTest {
  private static final LinkKey AB = new LinkKey("t1", "A", "B");

  private static List<LinkTotals> totals() {
    List<TransferFact> facts = new ArrayList<>();
    Instant t = Instant.parse("2025-01-01T00:00:00Z");
    for (int i = 0; i < 7; i++) {
      Outcome o = i < 4 ? Outcome.SUCCEEDED : i < 6 ? Outcome.SKIPPED : Outcome.FAILED;
      facts.add(
          new TransferFact(
              "e" + i,
              t,
              "t1",
              "A",
              "B",
              o,
              100 + i,
              50,
              o == Outcome.FAILED ? "io" : null,
              false,
              1));
    }
    return List.of(new LinkTotals(AB, LinkStats.of(facts), 0));
  }

  private static final class FakeQueries implements TelemetryQueries {
    @Override
    public List<LinkTotals> links() {
      return totals();
    }

    @Override
    public Optional<LinkTotals> link(LinkKey link) {
      return Optional.empty();
    }

    @Override
    public List<WindowPoint> series(LinkKey link, Instant from, Instant to) {
      return List.of();
    }

    @Override
    public List<SiteFreshness> siteFreshness() {
      return List.of();
    }
  }

  @Test
  void shouldReadTheSameNumbersFromTheStreamAndFromTheScrapedCollector() {
    PrometheusRegistry registry = new PrometheusRegistry();
    registry.register(new TransferMetricsCollector(new FakeQueries()));

    Tally stream = Tally.ofStream(totals());
    Optional<Tally> metrics = Tally.ofMetrics(registry.scrape());

    assertThat(stream.get(AB, Measure.SUCCEEDED)).isEqualTo(4);
    assertThat(stream.get(AB, Measure.SKIPPED)).isEqualTo(2);
    assertThat(stream.get(AB, Measure.FAILED)).isEqualTo(1);
    assertThat(stream.get(AB, Measure.BYTES)).isEqualTo(7 * 100 + 21);
    assertThat(metrics).isPresent();
    for (Measure m : Measure.values()) {
      assertThat(metrics.get().get(AB, m)).as(m.label()).isEqualTo(stream.get(AB, m));
    }
  }

  @Test
  void shouldReportTheMetricsSideUnavailableWithoutTheCollector() {
    assertThat(Tally.ofMetrics(new PrometheusRegistry().scrape())).isEmpty();
  }
}
