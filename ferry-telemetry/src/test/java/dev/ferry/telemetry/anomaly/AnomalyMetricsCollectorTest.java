package dev.ferry.telemetry.anomaly;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.ferry.telemetry.aggregate.LinkKey;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class AnomalyMetricsCollectorTest {
  private static final Instant T = Instant.parse("2026-01-01T00:00:00Z");

  private static LinkScore link(String src, String dst, double[] scores, double[] throughput) {
    return new LinkScore(
        new LinkKey("t", src, dst),
        T,
        T.plusSeconds(60),
        false,
        40,
        1,
        0,
        "transfers",
        0,
        scores,
        throughput);
  }

  @Test
  void shouldCorrelateScoresWithThroughputRelativeToEachLink() {
    // A->B slows when its score rises; C->A, ten times faster, behaves the same way
    LinkScore ab = link("A", "B", new double[] {1, 1, 3, 1}, new double[] {10, 10, 2, 10});
    LinkScore ca = link("C", "A", new double[] {1, 3, 1}, new double[] {100, 20, 100});
    Map<AnomalyMetricsCollector.Site, Double> r =
        AnomalyMetricsCollector.siteCorrelations(List.of(ab, ca));
    assertThat(r.get(new AnomalyMetricsCollector.Site("t", "A"))).isCloseTo(-1.0, within(0.05));
    assertThat(r.get(new AnomalyMetricsCollector.Site("t", "B"))).isCloseTo(-1.0, within(1e-9));
    assertThat(r.get(new AnomalyMetricsCollector.Site("t", "C"))).isCloseTo(-1.0, within(1e-9));
  }

  @Test
  void shouldLeaveTheCorrelationUndefinedWithoutEnoughOrVaryingWindows() {
    LinkScore few = link("A", "B", new double[] {1, 2}, new double[] {1, 2});
    LinkScore flat = link("C", "D", new double[] {1, 2, 3}, new double[] {5, 5, 5});
    assertThat(AnomalyMetricsCollector.siteCorrelations(List.of(few, flat))).isEmpty();
    assertThat(AnomalyMetricsCollector.pearson(List.of(new double[] {1, 1}))).isNaN();
  }
}
