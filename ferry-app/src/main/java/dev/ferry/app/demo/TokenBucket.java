package dev.ferry.app.demo;

/**
 * A bandwidth cap as a token bucket that answers how long to wait instead of waiting itself, so
 * that it is pure arithmetic over the caller's monotonic time and testable without a clock.
 *
 * <p>Tokens are bytes; the bucket refills at {@code bytesPerSecond} and holds at most {@code burst}
 * bytes (a tenth of a second's worth, at least 1 KiB), so a link that was idle does not send a
 * large burst. Thread-safe: the two directions of several connections may share one bucket.
 */
final class TokenBucket {
  private final long bytesPerSecond;
  private final long burst;
  private double tokens;
  private long lastNanos;

  TokenBucket(long bytesPerSecond, long nowNanos) {
    if (bytesPerSecond <= 0) {
      throw new IllegalArgumentException("bytesPerSecond must be positive: " + bytesPerSecond);
    }
    this.bytesPerSecond = bytesPerSecond;
    this.burst = Math.max(1024, bytesPerSecond / 10);
    this.tokens = burst;
    this.lastNanos = nowNanos;
  }

  long bytesPerSecond() {
    return bytesPerSecond;
  }

  /** The largest chunk a caller should read at once so that waits stay short. */
  int chunkSize() {
    return (int) Math.min(16 * 1024, burst);
  }

  /**
   * Takes {@code bytes} tokens (going into debt if needed) and answers how many nanoseconds the
   * caller must wait before sending them. Later callers queue behind the debt.
   */
  synchronized long reserve(long bytes, long nowNanos) {
    long elapsed = Math.max(0, nowNanos - lastNanos);
    lastNanos = Math.max(lastNanos, nowNanos);
    tokens = Math.min(burst, tokens + elapsed * (bytesPerSecond / 1e9));
    tokens -= bytes;
    if (tokens >= 0) {
      return 0;
    }
    return (long) Math.ceil(-tokens / bytesPerSecond * 1e9);
  }
}
