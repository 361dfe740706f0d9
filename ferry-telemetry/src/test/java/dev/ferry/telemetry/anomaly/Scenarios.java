package dev.ferry.telemetry.anomaly;

import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The scenarios of {@code docs/anomalies.md}, run through {@link LinkDetector} with {@link
 * Workload}: the table there is this class's output ({@link #table}), not hand-written.
 */
final class Scenarios {
  private Scenarios() {}

  /** A scenario: links and when (window index) their trouble starts; -1 for none. */
  record Scenario(String name, List<Workload> links, int onset, int windows, Integer warmUp) {
    Scenario(String name, List<Workload> links, int onset, int windows) {
      this(name, links, onset, windows, null);
    }
  }

  /**
   * What a scenario gave. Window-level: a positive is a window of a degraded phase; a flag on a
   * healthy window (including the recovery after an incident) is a false positive.
   */
  record Result(
      String name,
      int links,
      long scoredWindows,
      long positives,
      long truePositives,
      long falsePositives,
      int incidentsDetectedWithin3,
      int incidents,
      List<Integer> delays) {

    Result plus(Result o) {
      List<Integer> d = new ArrayList<>(delays);
      d.addAll(o.delays);
      return new Result(
          name,
          links + o.links,
          scoredWindows + o.scoredWindows,
          positives + o.positives,
          truePositives + o.truePositives,
          falsePositives + o.falsePositives,
          incidentsDetectedWithin3 + o.incidentsDetectedWithin3,
          incidents + o.incidents,
          d);
    }

    double precision() {
      long flagged = truePositives + falsePositives;
      return flagged == 0 || positives == 0 ? Double.NaN : (double) truePositives / flagged;
    }

    double recall() {
      return positives == 0 ? Double.NaN : (double) truePositives / positives;
    }

    double falseAlarmRate() {
      long negatives = scoredWindows - positives;
      return negatives == 0 ? Double.NaN : (double) falsePositives / negatives;
    }

    Integer maxDelay() {
      return delays.stream().max(Integer::compare).orElse(null);
    }

    double medianDelay() {
      List<Integer> d = delays.stream().sorted().toList();
      if (d.isEmpty()) {
        return Double.NaN;
      }
      int n = d.size();
      return n % 2 == 1 ? d.get(n / 2) : (d.get(n / 2 - 1) + d.get(n / 2)) / 2.0;
    }
  }

  /** The seeds the documented table and the scenario test pool over. */
  static final long[] SEEDS = {42, 7, 99, 1, 2, 3, 4, 5, 6, 8};

  /** Scored windows per healthy link: 6,000 per seed, 60,000 over {@link #SEEDS}. */
  static final int HEALTHY_WINDOWS = 1_000;

  /** Every scenario run for every seed of {@link #SEEDS}: per seed, results in scenario order. */
  static Map<Long, List<Result>> runPerSeed(AnomalyOptions options) {
    return runPerSeed(options, SEEDS);
  }

  static Map<Long, List<Result>> runPerSeed(AnomalyOptions options, long[] seeds) {
    return runPerSeed(options, seeds, false);
  }

  /**
   * @param forestOnly count a window as flagged when the forest's grade reaches the threshold,
   *     whatever the confirmation rule says: the detector as it was before the rule
   */
  static Map<Long, List<Result>> runPerSeed(
      AnomalyOptions options, long[] seeds, boolean forestOnly) {
    Map<Long, List<Result>> out = new LinkedHashMap<>();
    for (long seed : seeds) {
      List<Result> results = new ArrayList<>();
      for (Scenario s : all(seed)) {
        results.add(run(s, options, forestOnly));
      }
      out.put(seed, results);
    }
    return out;
  }

  /** The per-seed results pooled per scenario. */
  static List<Result> pool(Map<Long, List<Result>> perSeed) {
    List<Result> pooled = new ArrayList<>();
    for (List<Result> results : perSeed.values()) {
      for (int i = 0; i < results.size(); i++) {
        pooled.add(i, i < pooled.size() ? pooled.remove(i).plus(results.get(i)) : results.get(i));
      }
    }
    return pooled;
  }

  /** One line per seed: the false-alarm rate of each scenario. */
  static String falseAlarmsBySeed(Map<Long, List<Result>> perSeed) {
    StringBuilder b = new StringBuilder("| seed |");
    List<Result> first = perSeed.values().iterator().next();
    first.forEach(r -> b.append(' ').append(r.name()).append(" |"));
    b.append('\n').append("|---|").append("---|".repeat(first.size())).append('\n');
    perSeed.forEach(
        (seed, results) -> {
          b.append("| ").append(seed).append(" |");
          results.forEach(
              r ->
                  b.append(' ')
                      .append(r.falsePositives())
                      .append(" / ")
                      .append(r.scoredWindows() - r.positives())
                      .append(" = ")
                      .append(pct(r.falseAlarmRate()))
                      .append(" |"));
          b.append('\n');
        });
    return b.toString();
  }

  static Result run(Scenario s, AnomalyOptions options, boolean forestOnly) {
    long scored = 0;
    long positives = 0;
    long tp = 0;
    long fp = 0;
    int within3 = 0;
    int incidents = 0;
    List<Integer> delays = new ArrayList<>();
    for (int l = 0; l < s.links().size(); l++) {
      Workload w = s.links().get(l);
      LinkDetector d =
          new LinkDetector(
              s.name() + "/link-" + l,
              s.warmUp() == null ? options : options.withWarmUpWindows(s.warmUp()));
      Integer firstFlag = null;
      for (int i = 0; i < s.windows(); i++) {
        WindowFeatures f = w.window(i);
        Verdict v = d.score(Instant.ofEpochSecond(60L * i), f);
        if (!(v instanceof Verdict.Scored sc)) {
          continue;
        }
        scored++;
        boolean bad = w.degraded(i);
        if (bad) {
          positives++;
        }
        if (forestOnly ? sc.grade() >= options.gradeThreshold() : sc.anomaly()) {
          if (bad) {
            tp++;
            if (firstFlag == null && s.onset() >= 0 && i >= s.onset()) {
              firstFlag = i;
            }
          } else {
            fp++;
          }
        }
      }
      if (s.onset() >= 0) {
        incidents++;
        if (firstFlag != null) {
          int delay = firstFlag - s.onset() + 1; // the onset window itself is delay 1
          delays.add(delay);
          if (delay <= 3) {
            within3++;
          }
        }
      }
    }
    return new Result(
        s.name(), s.links().size(), scored, positives, tp, fp, within3, incidents, delays);
  }

  /** The scenarios of the issue, plus the demo's shape. */
  static List<Scenario> all(long seed) {
    List<Scenario> out = new ArrayList<>();
    List<Workload> healthy = new ArrayList<>();
    for (int i = 0; i < 6; i++) {
      healthy.add(Workload.healthy(seed, i));
    }
    out.add(new Scenario("healthy, 6 links", healthy, -1, 12 + HEALTHY_WINDOWS));
    List<Workload> busy = new ArrayList<>();
    for (int i = 0; i < 6; i++) {
      busy.add(Workload.healthy(seed + 4, i).contended(0.1, 0.3));
    }
    out.add(new Scenario("healthy on a busy machine, 6 links", busy, -1, 12 + HEALTHY_WINDOWS));
    List<Workload> slow = new ArrayList<>();
    for (int i = 0; i < 6; i++) {
      slow.add(Workload.healthy(seed + 1, i).slow(40, 5).recover(50));
    }
    out.add(new Scenario("throughput drops 5x at window 40 for 10", slow, 40, 70));
    List<Workload> failing = new ArrayList<>();
    for (int i = 0; i < 6; i++) {
      failing.add(Workload.healthy(seed + 2, i).failing(40, 0.30).recover(50));
    }
    out.add(new Scenario("failure ratio 30 % at window 40 for 10", failing, 40, 70));
    List<Workload> demo = new ArrayList<>();
    for (int i = 0; i < 6; i++) {
      demo.add(Workload.healthy(seed + 3, i).slow(18, 5).slowAndFailing(22, 5, 0.9).recover(26));
    }
    // the demo's warm-up (DemoCommand): 8 windows, so 10 scored healthy windows before the fault
    out.add(
        new Scenario("demo: 18 healthy, 4 slow (5x), 4 failing (90 %), recovery", demo, 18, 36, 8));
    return out;
  }

  static String table(List<Result> results) {
    StringBuilder b = new StringBuilder();
    b.append(
        "| scenario | links | scored windows | degraded windows | flagged (true / false) |"
            + " precision | recall | false alarms | incidents flagged within 3 windows |"
            + " detection delay (median / max windows) |\n");
    b.append("|---|---|---|---|---|---|---|---|---|---|\n");
    for (Result r : results) {
      b.append(
          String.format(
              Locale.ROOT,
              "| %s | %d | %d | %d | %d / %d | %s | %s | %s | %s | %s |%n",
              r.name(),
              r.links(),
              r.scoredWindows(),
              r.positives(),
              r.truePositives(),
              r.falsePositives(),
              pct(r.precision()),
              pct(r.recall()),
              pct(r.falseAlarmRate()),
              r.incidents() == 0 ? "–" : r.incidentsDetectedWithin3() + " / " + r.incidents(),
              r.incidents() == 0
                  ? "–"
                  : (Double.isNaN(r.medianDelay()) ? "never" : fmt(r.medianDelay()))
                      + " / "
                      + (r.maxDelay() == null ? "never" : r.maxDelay())));
    }
    return b.toString();
  }

  private static String pct(double v) {
    return Double.isNaN(v) ? "–" : String.format(Locale.ROOT, "%.2f %%", 100 * v);
  }

  private static String fmt(double v) {
    return v == Math.rint(v) ? Long.toString((long) v) : String.format(Locale.ROOT, "%.1f", v);
  }

  /** Prints the pooled table for the defaults; {@code docs/anomalies.md} quotes it. */
  public static void main(String[] args) {
    Map<Long, List<Result>> perSeed = runPerSeed(AnomalyOptions.defaults());
    System.out.print(table(pool(perSeed)));
    System.out.println();
    System.out.print(falseAlarmsBySeed(perSeed));
  }
}
