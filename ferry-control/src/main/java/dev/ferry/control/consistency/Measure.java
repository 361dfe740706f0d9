package dev.ferry.control.consistency;

import dev.ferry.telemetry.aggregate.Outcome;
import java.util.Locale;

/**
 * What a check counts on a link: transfer facts of one outcome, or bytes over all outcomes (the
 * stream and {@code ferry_transfer_bytes_total} keep bytes per link, not per outcome). A closed
 * set.
 */
public enum Measure {
  SUCCEEDED(Outcome.SUCCEEDED),
  SKIPPED(Outcome.SKIPPED),
  FAILED(Outcome.FAILED),
  BYTES(null);

  private final Outcome outcome;

  Measure(Outcome outcome) {
    this.outcome = outcome;
  }

  /** The outcome this measure counts, or {@code null} for {@link #BYTES}. */
  public Outcome outcome() {
    return outcome;
  }

  /** {@code succeeded}, {@code skipped}, {@code failed} or {@code bytes}. */
  public String label() {
    return name().toLowerCase(Locale.ROOT);
  }

  /** The measure counting facts of {@code outcome}. */
  public static Measure of(Outcome outcome) {
    return switch (outcome) {
      case SUCCEEDED -> SUCCEEDED;
      case SKIPPED -> SKIPPED;
      case FAILED -> FAILED;
    };
  }
}
