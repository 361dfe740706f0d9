package dev.ferry.worker;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Iterator;
import java.util.Objects;

/**
 * The rate of a growing byte count over a sliding window: {@code Δbytes / Δt} between the newest
 * sample and the oldest one still inside the window (the oldest outside it is kept as the anchor
 * until a newer one lies at or beyond the window's start, so a rate always spans at least one
 * interval). The heartbeat feeds it the attempt's running total.
 *
 * <p>Thread-safe (synchronized); cheap, with at most one sample per call kept for one window.
 */
final class MovingRate {
  private record Sample(Instant at, long total) {}

  private final Duration window;
  private final Deque<Sample> samples = new ArrayDeque<>();

  /**
   * @param start the first sample: the count at the start, usually 0
   */
  MovingRate(Duration window, Instant startAt, long start) {
    if (window.isZero() || window.isNegative()) {
      throw new IllegalArgumentException("window must be positive, got " + window);
    }
    this.window = window;
    samples.add(new Sample(Objects.requireNonNull(startAt, "startAt"), start));
  }

  /**
   * Adds a sample and answers the rate over the window, in units per second; 0 while no time has
   * passed.
   */
  synchronized long update(Instant now, long total) {
    samples.addLast(new Sample(now, total));
    Instant from = now.minus(window);
    // keep the newest sample at or before the window's start as the anchor
    while (samples.size() > 2) {
      Iterator<Sample> it = samples.iterator();
      it.next();
      if (it.next().at().isAfter(from)) {
        break;
      }
      samples.removeFirst();
    }
    Sample oldest = samples.getFirst();
    long nanos = Duration.between(oldest.at(), now).toNanos();
    if (nanos <= 0) {
      return 0;
    }
    return Math.max(0, Math.round((total - oldest.total()) * 1e9 / nanos));
  }
}
