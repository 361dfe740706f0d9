package dev.ferry.worker;

import java.util.function.BooleanSupplier;
import java.util.function.LongSupplier;

/**
 * A token bucket on bytes, shared by every copy on one link: {@code bytesPerSecond} tokens a
 * second, at most one second's worth saved up (at least {@link #MIN_BURST}, so that a whole copy
 * buffer can pass at once).
 *
 * <p>A copy {@linkplain #acquire takes} the bytes it just moved. When the bucket runs dry the taker
 * goes into debt and sleeps until the debt is paid back, so a large buffer is never refused and the
 * long-run rate is the configured one however the buffers are sized. Sleeps are sliced so that a
 * stop request ends them within {@link #MAX_SLEEP_NANOS}.
 *
 * <p>Thread-safe. Time and sleeping are injected, so tests are deterministic.
 */
final class BandwidthLimiter {
  static final long MIN_BURST = 1024 * 1024;
  static final long MAX_SLEEP_NANOS = 100_000_000;

  /** Parks the calling thread; replaced in tests by one that advances a fake clock. */
  @FunctionalInterface
  interface Sleeper {
    void sleepNanos(long nanos) throws InterruptedException;
  }

  static final Sleeper THREAD_SLEEP =
      nanos -> Thread.sleep(nanos / 1_000_000, (int) (nanos % 1_000_000));

  private final long bytesPerSecond;
  private final long capacity;
  private final LongSupplier nanoTime;
  private final Sleeper sleeper;

  private double tokens;
  private long lastRefill;
  private long sleptNanos;

  BandwidthLimiter(long bytesPerSecond) {
    this(bytesPerSecond, System::nanoTime, THREAD_SLEEP);
  }

  BandwidthLimiter(long bytesPerSecond, LongSupplier nanoTime, Sleeper sleeper) {
    if (bytesPerSecond < 1) {
      throw new IllegalArgumentException(
          "bandwidth must be at least 1 byte/s, got " + bytesPerSecond);
    }
    this.bytesPerSecond = bytesPerSecond;
    this.capacity = Math.max(bytesPerSecond, MIN_BURST);
    this.nanoTime = nanoTime;
    this.sleeper = sleeper;
    this.lastRefill = nanoTime.getAsLong();
    this.tokens = capacity;
  }

  long bytesPerSecond() {
    return bytesPerSecond;
  }

  /** Total time takers were made to wait, for tests and logs. */
  synchronized long sleptNanos() {
    return sleptNanos;
  }

  /**
   * Takes {@code bytes} tokens, sleeping while the bucket is in debt. Returns early, without an
   * exception, when {@code stop} turns true or the thread is interrupted (the interrupt flag is
   * kept), so the copy notices the stop at its next check.
   */
  void acquire(long bytes, BooleanSupplier stop) {
    if (bytes <= 0) {
      return;
    }
    long wait = reserve(bytes);
    while (wait > 0) {
      if (stop.getAsBoolean() || Thread.currentThread().isInterrupted()) {
        return;
      }
      long slice = Math.min(wait, MAX_SLEEP_NANOS);
      try {
        sleeper.sleepNanos(slice);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
      synchronized (this) {
        sleptNanos += slice;
      }
      wait -= slice;
    }
  }

  /** Takes the tokens now and answers how long the caller must wait to pay off any debt. */
  private synchronized long reserve(long bytes) {
    long now = nanoTime.getAsLong();
    long elapsed = Math.max(0, now - lastRefill);
    lastRefill = now;
    tokens = Math.min(capacity, tokens + elapsed * (double) bytesPerSecond / 1e9);
    tokens -= bytes;
    if (tokens >= 0) {
      return 0;
    }
    return (long) Math.ceil(-tokens * 1e9 / bytesPerSecond);
  }

  @Override
  public String toString() {
    return "BandwidthLimiter[" + bytesPerSecond + " B/s, burst " + capacity + " B]";
  }
}
