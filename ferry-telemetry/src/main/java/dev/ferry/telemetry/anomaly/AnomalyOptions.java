package dev.ferry.telemetry.anomaly;

import java.time.Duration;
import java.util.Map;

/**
 * Settings of anomaly detection, validated on construction and immutable; change through the {@code
 * withX} copies. The defaults suit both 1-minute windows (production) and the demo's 10-second
 * windows: what matters to the model is the number of windows, not their length.
 *
 * @param enabled whether the telemetry role runs the detector at all
 * @param warmUpWindows windows a link's model must have seen before it may flag anything; windows
 *     before that are learnt from and reported as warming up, never as anomalies. Also the forest's
 *     {@code outputAfter}. 8 to 1,000
 * @param sampleSize points each tree keeps: the model's memory, in windows. Smaller forgets a past
 *     regime sooner (a link that moved to a slower network stops being flagged sooner). 16 to 1,024
 * @param numberOfTrees trees in each link's forest; more is steadier and slower, linearly. 10 to
 *     200
 * @param gradeThreshold the least anomaly grade (0 to 1, from the forest's thresholder) that makes
 *     a window an anomaly. Every scored window's score and grade are kept; only these are published
 *     and counted
 * @param zFactor how many standard deviations above the mean score the thresholder's threshold
 *     sits; higher means fewer, surer anomalies. 2 to 10
 * @param retention how long anomalies stay queryable ({@code GET /api/v1/anomalies})
 * @param correlationWindows how many recent scored windows per link feed the per-site correlation
 *     of anomaly score with throughput. 3 to 1,000
 * @param randomSeed the base of each link's seed (mixed with the link's name), so that a link's
 *     scores are reproducible run after run
 */
public record AnomalyOptions(
    boolean enabled,
    int warmUpWindows,
    int sampleSize,
    int numberOfTrees,
    double gradeThreshold,
    double zFactor,
    Duration retention,
    int correlationWindows,
    long randomSeed) {

  public AnomalyOptions {
    range("warmUpWindows", warmUpWindows, 8, 1_000);
    range("sampleSize", sampleSize, 16, 1_024);
    range("numberOfTrees", numberOfTrees, 10, 200);
    range("correlationWindows", correlationWindows, 3, 1_000);
    if (!(gradeThreshold > 0 && gradeThreshold <= 1)) {
      throw new IllegalArgumentException("gradeThreshold must be in (0, 1], got " + gradeThreshold);
    }
    if (!(zFactor >= 2 && zFactor <= 10)) {
      throw new IllegalArgumentException("zFactor must be 2 to 10, got " + zFactor);
    }
    if (retention == null || retention.toMinutes() < 1) {
      throw new IllegalArgumentException("retention must be at least 1 minute, got " + retention);
    }
  }

  private static void range(String name, int v, int min, int max) {
    if (v < min || v > max) {
      throw new IllegalArgumentException(name + " must be " + min + " to " + max + ", got " + v);
    }
  }

  /**
   * Enabled; 12 windows of warm-up, 64 points × 50 trees, threshold 4 deviations above the mean
   * score, grade ≥ 0.5, kept for 7 days, correlation over 30 windows. Chosen with the scenarios of
   * {@code docs/anomalies.md}: they keep false alarms of healthy links near 1 % while flagging a 5×
   * throughput drop or 30 % failures within 3 windows.
   */
  public static AnomalyOptions defaults() {
    return new AnomalyOptions(true, 12, 64, 50, 0.5, 4.0, Duration.ofDays(7), 30, 0x5EEDL);
  }

  /**
   * The defaults overridden by whichever of these keys {@code properties} holds: {@code
   * ferry.telemetry.anomaly.enabled}, {@code .warm-up-windows}, {@code .sample-size}, {@code
   * .trees}, {@code .grade-threshold}, {@code .z-factor}, {@code .retention} (ISO-8601, e.g. {@code
   * P7D}), {@code .correlation-windows}, {@code .random-seed}.
   *
   * @throws IllegalArgumentException naming the key when a value does not parse or is out of range
   */
  public static AnomalyOptions fromProperties(Map<String, String> properties) {
    AnomalyOptions d = defaults();
    String p = "ferry.telemetry.anomaly.";
    try {
      return new AnomalyOptions(
          Boolean.parseBoolean(properties.getOrDefault(p + "enabled", "" + d.enabled)),
          Integer.parseInt(properties.getOrDefault(p + "warm-up-windows", "" + d.warmUpWindows)),
          Integer.parseInt(properties.getOrDefault(p + "sample-size", "" + d.sampleSize)),
          Integer.parseInt(properties.getOrDefault(p + "trees", "" + d.numberOfTrees)),
          Double.parseDouble(properties.getOrDefault(p + "grade-threshold", "" + d.gradeThreshold)),
          Double.parseDouble(properties.getOrDefault(p + "z-factor", "" + d.zFactor)),
          Duration.parse(properties.getOrDefault(p + "retention", d.retention.toString())),
          Integer.parseInt(
              properties.getOrDefault(p + "correlation-windows", "" + d.correlationWindows)),
          Long.parseLong(properties.getOrDefault(p + "random-seed", "" + d.randomSeed)));
    } catch (RuntimeException e) {
      throw new IllegalArgumentException(
          "invalid anomaly detection setting (" + p + "*): " + e.getMessage(), e);
    }
  }

  public AnomalyOptions withEnabled(boolean v) {
    return new AnomalyOptions(
        v,
        warmUpWindows,
        sampleSize,
        numberOfTrees,
        gradeThreshold,
        zFactor,
        retention,
        correlationWindows,
        randomSeed);
  }

  public AnomalyOptions withWarmUpWindows(int v) {
    return new AnomalyOptions(
        enabled,
        v,
        sampleSize,
        numberOfTrees,
        gradeThreshold,
        zFactor,
        retention,
        correlationWindows,
        randomSeed);
  }

  public AnomalyOptions withSampleSize(int v) {
    return new AnomalyOptions(
        enabled,
        warmUpWindows,
        v,
        numberOfTrees,
        gradeThreshold,
        zFactor,
        retention,
        correlationWindows,
        randomSeed);
  }

  public AnomalyOptions withNumberOfTrees(int v) {
    return new AnomalyOptions(
        enabled,
        warmUpWindows,
        sampleSize,
        v,
        gradeThreshold,
        zFactor,
        retention,
        correlationWindows,
        randomSeed);
  }

  public AnomalyOptions withGradeThreshold(double v) {
    return new AnomalyOptions(
        enabled,
        warmUpWindows,
        sampleSize,
        numberOfTrees,
        v,
        zFactor,
        retention,
        correlationWindows,
        randomSeed);
  }

  public AnomalyOptions withZFactor(double v) {
    return new AnomalyOptions(
        enabled,
        warmUpWindows,
        sampleSize,
        numberOfTrees,
        gradeThreshold,
        v,
        retention,
        correlationWindows,
        randomSeed);
  }

  public AnomalyOptions withRetention(Duration v) {
    return new AnomalyOptions(
        enabled,
        warmUpWindows,
        sampleSize,
        numberOfTrees,
        gradeThreshold,
        zFactor,
        v,
        correlationWindows,
        randomSeed);
  }

  public AnomalyOptions withCorrelationWindows(int v) {
    return new AnomalyOptions(
        enabled,
        warmUpWindows,
        sampleSize,
        numberOfTrees,
        gradeThreshold,
        zFactor,
        retention,
        v,
        randomSeed);
  }

  public AnomalyOptions withRandomSeed(long v) {
    return new AnomalyOptions(
        enabled,
        warmUpWindows,
        sampleSize,
        numberOfTrees,
        gradeThreshold,
        zFactor,
        retention,
        correlationWindows,
        v);
  }
}
