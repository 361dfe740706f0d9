package dev.ferry.telemetry.anomaly;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The acceptance scenarios, with the default options, pooled over {@link Scenarios#SEEDS}:
 * a 5× throughput drop and a jump to 30 % failures are flagged within 3 windows on every link;
 * healthy links raise at most 1 % false alarms; the demo's shape (short warm-up, slow then failing
 * link) is flagged within 3 windows. Writes the table to {@code target/anomaly-scenarios.md}, the
 * source of the one in {@code docs/anomalies.md}.
 */
class AnomalyScenariosTest {
  private static List<Scenarios.Result> results;

  @BeforeAll
  static void run() throws IOException {
    var perSeed = Scenarios.runPerSeed(AnomalyOptions.defaults());
    results = Scenarios.pool(perSeed);
    String table =
        Scenarios.table(results)
            + "\nFalse alarms (flags on windows that are not degraded) per seed:\n\n"
            + Scenarios.falseAlarmsBySeed(perSeed);
    Files.writeString(Path.of("target", "anomaly-scenarios.md"), table);
    System.out.print(table);
  }

  private static Scenarios.Result result(String prefix) {
    return results.stream().filter(r -> r.name().startsWith(prefix)).findFirst().orElseThrow();
  }

  @Test
  void shouldRaiseAtMostOnePercentFalseAlarmsOnHealthyLinks() {
    Scenarios.Result healthy = result("healthy");
    assertThat(healthy.scoredWindows()).isGreaterThanOrEqualTo(1_000L * Scenarios.SEEDS.length);
    assertThat(healthy.positives()).isZero();
    assertThat(healthy.falseAlarmRate()).isLessThanOrEqualTo(0.01);
  }

  @Test
  void shouldFlagAFiveFoldThroughputDropWithinThreeWindows() {
    Scenarios.Result slow = result("throughput drops 5x");
    assertThat(slow.incidents()).isEqualTo(6 * Scenarios.SEEDS.length);
    assertThat(slow.incidentsDetectedWithin3()).isEqualTo(slow.incidents());
    assertThat(slow.maxDelay()).isLessThanOrEqualTo(3);
  }

  @Test
  void shouldFlagThirtyPercentFailuresWithinThreeWindows() {
    Scenarios.Result failing = result("failure ratio 30 %");
    assertThat(failing.incidents()).isEqualTo(6 * Scenarios.SEEDS.length);
    assertThat(failing.incidentsDetectedWithin3()).isEqualTo(failing.incidents());
  }

  @Test
  void shouldFlagTheDemoLinkAfterAShortHealthyRun() {
    Scenarios.Result demo = result("demo");
    assertThat(demo.incidentsDetectedWithin3()).isEqualTo(demo.incidents());
  }
}
