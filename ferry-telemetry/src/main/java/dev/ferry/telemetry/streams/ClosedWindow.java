package dev.ferry.telemetry.streams;

import dev.ferry.telemetry.aggregate.LinkKey;
import dev.ferry.telemetry.aggregate.LinkStats;
import java.time.Instant;
import java.util.Objects;

/**
 * A window that will not change any more: stream time has passed its end plus the grace period.
 *
 * @param start inclusive
 * @param end exclusive
 * @param stats the window's final aggregate; owned by the receiver (a private copy)
 */
public record ClosedWindow(LinkKey link, Instant start, Instant end, LinkStats stats) {
  public ClosedWindow {
    Objects.requireNonNull(link, "link");
    Objects.requireNonNull(start, "start");
    Objects.requireNonNull(end, "end");
    Objects.requireNonNull(stats, "stats");
  }
}
