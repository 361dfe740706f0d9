package dev.ferry.telemetry.aggregate;

import java.util.Locale;

/** The outcome of one file in one attempt, as carried by a transfer fact. A closed set. */
public enum Outcome {
  SUCCEEDED,
  SKIPPED,
  FAILED;

  /** The wire and label form: {@code succeeded}, {@code skipped}, {@code failed}. */
  public String label() {
    return name().toLowerCase(Locale.ROOT);
  }

  /**
   * Parses the wire form (case-insensitive).
   *
   * @throws IllegalArgumentException for anything else, naming the value
   */
  public static Outcome parse(String value) {
    if (value != null) {
      for (Outcome o : values()) {
        if (o.name().equalsIgnoreCase(value)) {
          return o;
        }
      }
    }
    throw new IllegalArgumentException(
        "unknown outcome '" + value + "'; expected succeeded, skipped or failed");
  }
}
