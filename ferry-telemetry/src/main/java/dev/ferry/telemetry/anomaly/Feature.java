package dev.ferry.telemetry.anomaly;

/**
 * The window features the detector models, in the order of the model's input vector. {@link
 * #wireName()} is the key of the feature in {@link WindowFeatures}' JSON form, so an API client can
 * look up {@code features[feature]} of an anomaly.
 */
public enum Feature {
  /** Median throughput of the window's succeeded transfers, bytes per second. */
  THROUGHPUT("throughputBytesPerSecond"),
  /** 95th percentile of the succeeded transfers' durations, seconds. */
  P95_DURATION("p95DurationSeconds"),
  /** Failed transfers over all transfers of the window. */
  FAILURE_RATIO("failureRatio"),
  /** Transfers (succeeded, skipped and failed) in the window. */
  TRANSFERS("transfers");

  private final String wireName;

  Feature(String wireName) {
    this.wireName = wireName;
  }

  public String wireName() {
    return wireName;
  }

  /** The feature whose {@link #wireName()} is {@code name}. */
  public static Feature fromWireName(String name) {
    for (Feature f : values()) {
      if (f.wireName.equals(name)) {
        return f;
      }
    }
    throw new IllegalArgumentException("unknown feature: " + name);
  }
}
