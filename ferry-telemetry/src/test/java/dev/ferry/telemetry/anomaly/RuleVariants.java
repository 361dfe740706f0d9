package dev.ferry.telemetry.anomaly;

import java.util.List;
import java.util.Locale;

/**
 * Not a test: prints how the confirmation bars change the scenarios' results, for the table "What
 * the bars buy" in {@code docs/anomalies.md}. Bars of 1, 1 and 0 confirm every unusual window, i.e.
 * the forest alone. Run from {@code ferry-telemetry} after {@code mvn test-compile}: {@code java
 * -cp target/test-classes:target/classes:$(mvn -q dependency:build-classpath
 * -Dmdep.outputFile=/dev/stdout) dev.ferry.telemetry.anomaly.RuleVariants}.
 */
final class RuleVariants {
  private RuleVariants() {}

  public static void main(String[] args) {
    double[][] variants = {
      {0, 0, 0}, // the forest alone: the detector before the rule
      {1, 1, 0}, // direction only: worse than usual at all
      {2, 2, 0.1},
      {2, 5, 0.1},
      {2, 100, 0.1}, // p95 practically ignored
      {3, 5, 0.1}, // the defaults
      {3, 5, 0.15},
      {4, 5, 0.1},
      {5, 5, 0.1},
    };
    System.out.println(
        "| throughput-drop | duration-rise | failure-rise | healthy false alarms |"
            + " healthy on a busy machine: false alarms |"
            + " 5x drop: flagged within 3 / false alarms | 30 % failures: flagged within 3 /"
            + " max delay / false alarms | demo: flagged within 3 / false alarms |");
    System.out.println("|---|---|---|---|---|---|---|---|");
    for (double[] v : variants) {
      boolean forestOnly = v[0] == 0;
      AnomalyOptions o =
          forestOnly
              ? AnomalyOptions.defaults()
              : AnomalyOptions.defaults()
                  .withThroughputDrop(v[0])
                  .withDurationRise(v[1])
                  .withFailureRise(v[2]);
      List<Scenarios.Result> r =
          Scenarios.pool(Scenarios.runPerSeed(o, Scenarios.SEEDS, forestOnly));
      System.out.printf(
          Locale.ROOT,
          "| %s | %s | %s | %d / %d = %.3f %% | %d / %d = %.3f %% | %d / %d, %d | %d / %d, %s, %d | %d / %d, %d |%n",
          forestOnly ? "–" : fmt(v[0]),
          forestOnly ? "–" : fmt(v[1]),
          forestOnly ? "(forest alone)" : fmt(v[2]),
          r.get(0).falsePositives(),
          r.get(0).scoredWindows(),
          100 * r.get(0).falseAlarmRate(),
          r.get(1).falsePositives(),
          r.get(1).scoredWindows(),
          100 * r.get(1).falseAlarmRate(),
          r.get(2).incidentsDetectedWithin3(),
          r.get(2).incidents(),
          r.get(2).falsePositives(),
          r.get(3).incidentsDetectedWithin3(),
          r.get(3).incidents(),
          r.get(3).maxDelay(),
          r.get(3).falsePositives(),
          r.get(4).incidentsDetectedWithin3(),
          r.get(4).incidents(),
          r.get(4).falsePositives());
    }
  }

  private static String fmt(double v) {
    return v == Math.rint(v) ? Long.toString((long) v) : Double.toString(v);
  }
}
