package dev.ferry.testsupport;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicReference;

/**
 * A {@link Clock} that stands still until a test moves it, for deterministic tests of code that
 * takes an injected clock. Zone UTC.
 *
 * <p>Thread-safe: {@link #set}, {@link #advance} and reads may come from any thread; a reader sees
 * either the old or the new instant. Clocks derived with {@link #withZone} share the same time, so
 * moving one moves all.
 */
public final class SettableClock extends Clock {
  /** The instant a clock created with {@link #SettableClock()} starts at. */
  public static final Instant DEFAULT_START = Instant.parse("2026-01-01T00:00:00Z");

  private final AtomicReference<Instant> now;
  private final ZoneId zone;

  /** A clock at {@link #DEFAULT_START}. */
  public SettableClock() {
    this(DEFAULT_START);
  }

  public SettableClock(Instant start) {
    this(new AtomicReference<>(Objects.requireNonNull(start, "start")), ZoneOffset.UTC);
  }

  private SettableClock(AtomicReference<Instant> now, ZoneId zone) {
    this.now = now;
    this.zone = zone;
  }

  @Override
  public Instant instant() {
    return now.get();
  }

  @Override
  public long millis() {
    return now.get().toEpochMilli();
  }

  @Override
  public ZoneId getZone() {
    return zone;
  }

  /** A clock in {@code zone} that shares this clock's time. */
  @Override
  public SettableClock withZone(ZoneId zone) {
    return zone.equals(this.zone) ? this : new SettableClock(now, zone);
  }

  /** Moves the clock to {@code instant}, forwards or backwards. */
  public void set(Instant instant) {
    now.set(Objects.requireNonNull(instant, "instant"));
  }

  /**
   * Moves the clock forward by {@code duration} and returns the new instant.
   *
   * @throws IllegalArgumentException if {@code duration} is negative; use {@link #set} to go back
   */
  public Instant advance(Duration duration) {
    if (duration.isNegative()) {
      throw new IllegalArgumentException(
          "cannot advance a clock by a negative duration " + duration + "; use set(Instant)");
    }
    return now.updateAndGet(t -> t.plus(duration));
  }

  @Override
  public String toString() {
    return "SettableClock[" + now.get() + ", " + zone + "]";
  }
}
