package dev.ferry.telemetry.anomaly;

import java.time.Duration;
import java.util.List;
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
 * @param throughputDrop how many times below the link's usual throughput (the lower quartile of its
 *     16 most recent unflagged windows) a window's median throughput must be for a slowdown to
 *     count. 1 to 100
 * @param durationRise how many times above the link's usual p95 duration (the longest p95 of its 16
 *     most recent unflagged windows) a window's p95 must be for slow transfers to count. 1 to 100
 * @param failureRise how far above the link's usual failure ratio (the median of its recent
 *     unflagged windows) a window's failure ratio must be for failures to count, as a fraction of
 *     all transfers. 0 to 1
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
    long randomSeed,
    double throughputDrop,
    double durationRise,
    double failureRise) {

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
    if (!(throughputDrop >= 1 && throughputDrop <= 100)) {
      throw new IllegalArgumentException("throughputDrop must be 1 to 100, got " + throughputDrop);
    }
    if (!(durationRise >= 1 && durationRise <= 100)) {
      throw new IllegalArgumentException("durationRise must be 1 to 100, got " + durationRise);
    }
    if (!(failureRise >= 0 && failureRise <= 1)) {
      throw new IllegalArgumentException("failureRise must be 0 to 1, got " + failureRise);
    }
  }

  private static void range(String name, int v, int min, int max) {
    if (v < min || v > max) {
      throw new IllegalArgumentException(name + " must be " + min + " to " + max + ", got " + v);
    }
  }

  /**
   * Enabled; 12 windows of warm-up, 64 points × 50 trees, threshold 4 deviations above the mean
   * score, grade ≥ 0.5, kept for 7 days, correlation over 30 windows; a flagged window must also
   * show throughput at least 4× below usual, p95 duration at least 5× above usual, or failures at
   * least 10 points above usual. Chosen with the scenarios of {@code docs/anomalies.md}: healthy
   * links raise about 0.03 % false alarms while a 5× throughput drop or 30 % failures are flagged
   * within 1 to 2 windows.
   */
  public static AnomalyOptions defaults() {
    return new AnomalyOptions(
        true, 12, 64, 50, 0.5, 4.0, Duration.ofDays(7), 30, 0x5EEDL, 4.0, 5.0, 0.1);
  }

  /** The prefix of the system properties that hold these settings. */
  public static final String PREFIX = "ferry.telemetry.anomaly.";

  /**
   * The settings' names as {@code ferry server --anomaly NAME=VALUE} and the system properties
   * ({@link #PREFIX} + name) spell them.
   */
  public static final List<String> SETTINGS =
      List.of(
          "enabled",
          "warm-up-windows",
          "sample-size",
          "trees",
          "grade-threshold",
          "z-factor",
          "throughput-drop",
          "duration-rise",
          "failure-rise",
          "retention",
          "correlation-windows",
          "random-seed");

  /**
   * The defaults overridden by whichever of these keys {@code properties} holds: {@code
   * ferry.telemetry.anomaly.enabled}, {@code .warm-up-windows}, {@code .sample-size}, {@code
   * .trees}, {@code .grade-threshold}, {@code .z-factor}, {@code .retention} (ISO-8601, e.g. {@code
   * P7D}), {@code .correlation-windows}, {@code .random-seed}, {@code .throughput-drop}, {@code
   * .duration-rise}, {@code .failure-rise}.
   *
   * <p>Any other key under the prefix is an error, so that a misspelt setting does not silently
   * keep its default.
   *
   * @throws IllegalArgumentException naming the key when a value does not parse or is out of range,
   *     or when a key under the prefix is not a setting
   */
  public static AnomalyOptions fromProperties(Map<String, String> properties) {
    AnomalyOptions d = defaults();
    String p = PREFIX;
    for (String key : properties.keySet()) {
      if (key.startsWith(p) && !SETTINGS.contains(key.substring(p.length()))) {
        throw new IllegalArgumentException(
            "unknown anomaly detection setting "
                + key
                + " (known: "
                + String.join(", ", SETTINGS)
                + ")");
      }
    }
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
          Long.parseLong(properties.getOrDefault(p + "random-seed", "" + d.randomSeed)),
          Double.parseDouble(properties.getOrDefault(p + "throughput-drop", "" + d.throughputDrop)),
          Double.parseDouble(properties.getOrDefault(p + "duration-rise", "" + d.durationRise)),
          Double.parseDouble(properties.getOrDefault(p + "failure-rise", "" + d.failureRise)));
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
        randomSeed,
        throughputDrop,
        durationRise,
        failureRise);
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
        randomSeed,
        throughputDrop,
        durationRise,
        failureRise);
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
        randomSeed,
        throughputDrop,
        durationRise,
        failureRise);
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
        randomSeed,
        throughputDrop,
        durationRise,
        failureRise);
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
        randomSeed,
        throughputDrop,
        durationRise,
        failureRise);
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
        randomSeed,
        throughputDrop,
        durationRise,
        failureRise);
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
        randomSeed,
        throughputDrop,
        durationRise,
        failureRise);
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
        randomSeed,
        throughputDrop,
        durationRise,
        failureRise);
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
        v,
        throughputDrop,
        durationRise,
        failureRise);
  }

  public AnomalyOptions withThroughputDrop(double v) {
    return new AnomalyOptions(
        enabled,
        warmUpWindows,
        sampleSize,
        numberOfTrees,
        gradeThreshold,
        zFactor,
        retention,
        correlationWindows,
        randomSeed,
        v,
        durationRise,
        failureRise);
  }

  public AnomalyOptions withDurationRise(double v) {
    return new AnomalyOptions(
        enabled,
        warmUpWindows,
        sampleSize,
        numberOfTrees,
        gradeThreshold,
        zFactor,
        retention,
        correlationWindows,
        randomSeed,
        throughputDrop,
        v,
        failureRise);
  }

  public AnomalyOptions withFailureRise(double v) {
    return new AnomalyOptions(
        enabled,
        warmUpWindows,
        sampleSize,
        numberOfTrees,
        gradeThreshold,
        zFactor,
        retention,
        correlationWindows,
        randomSeed,
        throughputDrop,
        durationRise,
        v);
  }
}
