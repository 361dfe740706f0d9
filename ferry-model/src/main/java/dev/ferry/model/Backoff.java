package dev.ferry.model;

import java.time.Duration;
import java.util.Objects;
import java.util.random.RandomGenerator;

/**
 * Exponential backoff with full jitter: before attempt {@code n} wait a uniformly random delay in
 * {@code [0, ceiling(n)]}, where {@code ceiling(n) = min(max, base × 2^(n-1))}. Full jitter spreads
 * retries of many tasks that failed together instead of letting them stampede in step.
 *
 * <pre>{@code
 * Backoff backoff =
 *     Backoff.exponential().base(Duration.ofSeconds(1)).max(Duration.ofMinutes(5)).build();
 * Duration wait = backoff.delay(attempt, random);
 * }</pre>
 *
 * <p>Immutable and thread-safe; the randomness comes from the caller, so a seeded generator gives a
 * reproducible sequence.
 */
public final class Backoff {
  private final Duration base;
  private final Duration max;

  private Backoff(Duration base, Duration max) {
    this.base = base;
    this.max = max;
  }

  /** A builder with base 1 s and max 5 min until told otherwise. */
  public static Builder exponential() {
    return new Builder();
  }

  /** The ceiling of attempt 1. */
  public Duration base() {
    return base;
  }

  /** The largest ceiling of any attempt. */
  public Duration max() {
    return max;
  }

  /**
   * The upper bound of the delay before {@code attempt}: {@code min(max, base × 2^(attempt-1))}.
   * Never overflows, however large the attempt.
   *
   * @param attempt 1 for the first retry, and so on
   * @throws IllegalArgumentException when {@code attempt < 1}
   */
  public Duration ceiling(int attempt) {
    if (attempt < 1) {
      throw new IllegalArgumentException("backoff attempt must be at least 1, got " + attempt);
    }
    int doublings = attempt - 1;
    if (doublings >= Long.SIZE - 1) {
      return max;
    }
    long factor = 1L << doublings;
    // base × factor > max  ⇔  base > ⌊max / factor⌋ for whole nanoseconds; checked before
    // multiplying so that the product never overflows.
    if (base.compareTo(max.dividedBy(factor)) > 0) {
      return max;
    }
    return base.multipliedBy(factor);
  }

  /**
   * A delay drawn uniformly from {@code [0, ceiling(attempt)]}, both ends included, at nanosecond
   * resolution.
   *
   * @param attempt 1 for the first retry, and so on
   * @param random the source of randomness; used once per call
   * @throws IllegalArgumentException when {@code attempt < 1}
   */
  public Duration delay(int attempt, RandomGenerator random) {
    Objects.requireNonNull(random, "random");
    long ceilingNanos = ceiling(attempt).toNanos(); // fits: the builder bounds max
    long nanos =
        ceilingNanos == Long.MAX_VALUE
            ? random.nextLong() & Long.MAX_VALUE
            : random.nextLong(ceilingNanos + 1);
    return Duration.ofNanos(nanos);
  }

  @Override
  public String toString() {
    return "Backoff[exponential, full jitter, base=" + base + ", max=" + max + "]";
  }

  /**
   * Validated builder. Each setter rejects a bad value at once; {@link #build()} checks the values
   * against each other. Not thread-safe; the built {@link Backoff} is frozen.
   */
  public static final class Builder {
    /** Longest {@code max} accepted: delays are drawn in nanoseconds held in a {@code long}. */
    static final Duration LONGEST = Duration.ofNanos(Long.MAX_VALUE);

    private Duration base = Duration.ofSeconds(1);
    private Duration max = Duration.ofMinutes(5);

    private Builder() {}

    /**
     * The ceiling of attempt 1; it doubles with every attempt.
     *
     * @throws IllegalArgumentException when not positive
     */
    public Builder base(Duration base) {
      this.base = positive("base", base);
      return this;
    }

    /**
     * The cap on the ceiling, at most about 292 years.
     *
     * @throws IllegalArgumentException when not positive or longer than that
     */
    public Builder max(Duration max) {
      positive("max", max);
      if (max.compareTo(LONGEST) > 0) {
        throw new IllegalArgumentException(
            "backoff max must be at most " + LONGEST + ", got " + max);
      }
      this.max = max;
      return this;
    }

    /**
     * @throws IllegalArgumentException when {@code max < base}
     */
    public Backoff build() {
      if (max.compareTo(base) < 0) {
        throw new IllegalArgumentException(
            "backoff max must not be less than base, got base=" + base + ", max=" + max);
      }
      return new Backoff(base, max);
    }

    private static Duration positive(String name, Duration value) {
      Objects.requireNonNull(value, "backoff " + name);
      if (value.isNegative() || value.isZero()) {
        throw new IllegalArgumentException("backoff " + name + " must be positive, got " + value);
      }
      return value;
    }
  }
}
