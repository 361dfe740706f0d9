package dev.ferry.telemetry.anomaly;

import dev.ferry.telemetry.streams.WindowSummary;

/**
 * What the detector sees of one closed window of a link. Values are in base units. Also the shape
 * of {@code features} and {@code expected} in the API and on {@code ferry.anomalies}.
 *
 * @param throughputBytesPerSecond median throughput of the succeeded transfers; 0 when transfers
 *     failed and none succeeded (the link delivered nothing)
 * @param p95DurationSeconds 95th percentile duration of the succeeded transfers
 * @param failureRatio failed / all transfers, 0 to 1
 * @param transfers transfers of any outcome in the window
 */
public record WindowFeatures(
    double throughputBytesPerSecond,
    double p95DurationSeconds,
    double failureRatio,
    long transfers) {

  public WindowFeatures {
    requireFinite("throughputBytesPerSecond", throughputBytesPerSecond);
    requireFinite("p95DurationSeconds", p95DurationSeconds);
    requireFinite("failureRatio", failureRatio);
    if (failureRatio > 1) {
      throw new IllegalArgumentException("failureRatio must be at most 1: " + failureRatio);
    }
    if (transfers < 0) {
      throw new IllegalArgumentException("transfers must not be negative: " + transfers);
    }
  }

  private static void requireFinite(String name, double v) {
    if (!Double.isFinite(v) || v < 0) {
      throw new IllegalArgumentException(name + " must be finite and not negative: " + v);
    }
  }

  /** The value of one feature. */
  public double get(Feature f) {
    return switch (f) {
      case THROUGHPUT -> throughputBytesPerSecond;
      case P95_DURATION -> p95DurationSeconds;
      case FAILURE_RATIO -> failureRatio;
      case TRANSFERS -> transfers;
    };
  }

  /**
   * The features of a window summary as published on {@code ferry.link-stats}. Quantiles are null
   * when no transfer succeeded; {@code previous} (the link's last features, null for none) fills
   * them in, except that throughput becomes 0 when transfers failed and none succeeded, which is
   * the truth about what the link delivered. Null when the window holds no transfer at all.
   */
  public static WindowFeatures of(WindowSummary s, WindowFeatures previous) {
    long transfers = s.succeeded() + s.skipped() + s.failed();
    if (transfers == 0) {
      return null;
    }
    double throughput;
    if (s.throughputP50BytesPerSecond() != null) {
      throughput = s.throughputP50BytesPerSecond();
    } else if (s.succeeded() == 0 && s.failed() > 0) {
      throughput = 0;
    } else {
      throughput = previous == null ? 0 : previous.throughputBytesPerSecond();
    }
    double p95;
    if (s.durationP95Seconds() != null) {
      p95 = s.durationP95Seconds();
    } else {
      p95 = previous == null ? 0 : previous.p95DurationSeconds();
    }
    return new WindowFeatures(throughput, p95, s.failureRatio(), transfers);
  }
}
