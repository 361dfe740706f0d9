package dev.ferry.telemetry.query;

import dev.ferry.telemetry.aggregate.LinkKey;
import dev.ferry.telemetry.aggregate.LinkStats;
import java.time.Instant;
import java.util.Objects;

/**
 * One window of a link ({@code TransferTopology.Options.windowSize()} long, 1 minute by default).
 * The newest windows may still change until stream time passes {@code end} plus the grace period
 * (30 s by default).
 *
 * @param start inclusive
 * @param end exclusive
 * @param stats the facts of the window; a private copy the caller owns
 */
public record WindowPoint(LinkKey link, Instant start, Instant end, LinkStats stats) {
  public WindowPoint {
    Objects.requireNonNull(link, "link");
    Objects.requireNonNull(start, "start");
    Objects.requireNonNull(end, "end");
    Objects.requireNonNull(stats, "stats");
  }
}
