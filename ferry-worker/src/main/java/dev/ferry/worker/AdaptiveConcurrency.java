package dev.ferry.worker;

import java.time.Duration;
import java.time.Instant;
import java.util.Objects;
import java.util.Optional;

/**
 * The adaptive concurrency limit of one link, in the spirit of FTS's optimizer: additive increase
 * while the link is healthy, multiplicative decrease when it is not.
 *
 * <p>Outcomes of finished attempts are {@linkplain #record recorded} into the current window. The
 * first outcome recorded at least {@link Settings#evaluationInterval()} after the window opened,
 * with at least {@link Settings#minOutcomes()} file outcomes in it, closes the window and evaluates
 * it (so evaluation is driven by outcomes and a test needs no timer, only a clock):
 *
 * <pre>
 *   success ratio = succeeded / (succeeded + failed)      (retryable failures only)
 *   throughput    = bytes of the window / its length
 *
 *   ratio &lt; successThreshold                              → limit × decreaseFactor  (FAILURES)
 *   saturated, throughput &lt; previous × (1 - dropTolerance) → limit × decreaseFactor  (THROUGHPUT)
 *   saturated, limit &lt; max                                → limit + 1               (RAISED)
 *   otherwise                                             → unchanged              (HELD)
 * </pre>
 *
 * A decrease never goes below 1 and forgets the throughput baseline, so the smaller limit's lower
 * throughput does not trigger a second decrease; recovery is then +1 per healthy window.
 * <em>Saturated</em> means the link's demand met its limit during the window (a task waited for a
 * permit, or the running count reached the limit): raising a limit nobody uses proves nothing, and
 * a throughput drop while the link was not saturated reflects less demand, not a worse link.
 * Throughput is compared only when both windows moved bytes (a window of skipped files says nothing
 * about the wire).
 *
 * <p>Not thread-safe: {@link LinkLimiter} calls it under its lock. Pure: no I/O, no clock of its
 * own.
 */
public final class AdaptiveConcurrency {

  /**
   * @param evaluationInterval shortest window; at least 1 ms
   * @param initialLimit the limit a link starts with (capped by its maximum); at least 1
   * @param successThreshold lowest healthy success ratio, in (0, 1]
   * @param throughputDropTolerance how far throughput may fall below the previous window's before
   *     it counts as a marked fall, in (0, 1)
   * @param decreaseFactor the multiplier of a decrease, in (0, 1)
   * @param minOutcomes file outcomes a window needs before it is evaluated; at least 1
   */
  public record Settings(
      Duration evaluationInterval,
      int initialLimit,
      double successThreshold,
      double throughputDropTolerance,
      double decreaseFactor,
      int minOutcomes) {

    /**
     * 30 s windows, start at 2, healthy at ≥ 95 % success, a fall of over 25 % is marked, × 0.5.
     */
    public static final Settings DEFAULTS =
        new Settings(Duration.ofSeconds(30), 2, 0.95, 0.25, 0.5, 5);

    /**
     * @throws IllegalArgumentException naming the setting and its value when one is out of range
     */
    public Settings {
      Objects.requireNonNull(evaluationInterval, "evaluationInterval is required");
      if (evaluationInterval.toMillis() < 1) {
        throw new IllegalArgumentException(
            "evaluationInterval must be at least 1 ms, got " + evaluationInterval);
      }
      if (initialLimit < 1) {
        throw new IllegalArgumentException("initialLimit must be at least 1, got " + initialLimit);
      }
      if (!(successThreshold > 0 && successThreshold <= 1)) {
        throw new IllegalArgumentException(
            "successThreshold must be in (0, 1], got " + successThreshold);
      }
      if (!(throughputDropTolerance > 0 && throughputDropTolerance < 1)) {
        throw new IllegalArgumentException(
            "throughputDropTolerance must be in (0, 1), got " + throughputDropTolerance);
      }
      if (!(decreaseFactor > 0 && decreaseFactor < 1)) {
        throw new IllegalArgumentException(
            "decreaseFactor must be in (0, 1), got " + decreaseFactor);
      }
      if (minOutcomes < 1) {
        throw new IllegalArgumentException("minOutcomes must be at least 1, got " + minOutcomes);
      }
    }

    public Settings withEvaluationInterval(Duration interval) {
      return new Settings(
          interval,
          initialLimit,
          successThreshold,
          throughputDropTolerance,
          decreaseFactor,
          minOutcomes);
    }

    public Settings withInitialLimit(int limit) {
      return new Settings(
          evaluationInterval,
          limit,
          successThreshold,
          throughputDropTolerance,
          decreaseFactor,
          minOutcomes);
    }

    public Settings withMinOutcomes(int outcomes) {
      return new Settings(
          evaluationInterval,
          initialLimit,
          successThreshold,
          throughputDropTolerance,
          decreaseFactor,
          outcomes);
    }
  }

  /** Why an evaluation changed the limit or kept it. */
  public enum Reason {
    RAISED,
    HELD,
    FAILURES,
    THROUGHPUT
  }

  /**
   * The result of one evaluated window.
   *
   * @param bytesPerSecond the window's throughput
   */
  public record Decision(
      int from,
      int to,
      Reason reason,
      double successRatio,
      double bytesPerSecond,
      int succeeded,
      int failed) {
    public boolean changed() {
      return from != to;
    }
  }

  private final Settings settings;
  private final int maxLimit;
  private int limit;

  private Instant windowStart;
  private int succeeded;
  private int failed;
  private long bytes;
  private boolean saturated;
  private double baseline = -1; // bytes/s of the last window that moved bytes; -1: none

  /**
   * @param maxLimit the most the limit may grow to (the link's configured limit); at least 1
   * @param now when the first window opens
   */
  public AdaptiveConcurrency(Settings settings, int maxLimit, Instant now) {
    this.settings = Objects.requireNonNull(settings, "settings");
    if (maxLimit < 1) {
      throw new IllegalArgumentException("maxLimit must be at least 1, got " + maxLimit);
    }
    this.maxLimit = maxLimit;
    this.limit = Math.min(settings.initialLimit(), maxLimit);
    this.windowStart = Objects.requireNonNull(now, "now");
  }

  /** The current limit, between 1 and the maximum. */
  public int limit() {
    return limit;
  }

  public int maxLimit() {
    return maxLimit;
  }

  /** The link's demand met the limit in the current window. */
  public void saturated() {
    saturated = true;
  }

  /**
   * Adds one finished attempt to the window and evaluates the window when it is due.
   *
   * @param succeeded files copied or skipped
   * @param retryableFailures files that failed in a way another attempt may fix (the link's fault,
   *     as far as the worker can tell); permanent failures such as a missing source say nothing
   *     about the link and are not counted
   * @param bytes bytes the attempt moved
   * @param stillSaturated whether the link is at its limit right now; carried into the next window
   * @return the decision when the window was evaluated
   */
  public Optional<Decision> record(
      Instant now, int succeeded, int retryableFailures, long bytes, boolean stillSaturated) {
    if (succeeded < 0 || retryableFailures < 0 || bytes < 0) {
      throw new IllegalArgumentException(
          "negative outcome: succeeded="
              + succeeded
              + " failures="
              + retryableFailures
              + " bytes="
              + bytes);
    }
    this.succeeded += succeeded;
    this.failed += retryableFailures;
    this.bytes += bytes;
    Duration elapsed = Duration.between(windowStart, now);
    int outcomes = this.succeeded + this.failed;
    if (elapsed.compareTo(settings.evaluationInterval()) < 0 || outcomes < settings.minOutcomes()) {
      return Optional.empty();
    }
    Decision decision = evaluate(elapsed);
    windowStart = now;
    this.succeeded = 0;
    this.failed = 0;
    this.bytes = 0;
    this.saturated = stillSaturated;
    limit = decision.to();
    return Optional.of(decision);
  }

  private Decision evaluate(Duration elapsed) {
    double ratio = (double) succeeded / (succeeded + failed);
    double seconds = Math.max(elapsed.toNanos(), 1) / 1e9;
    double rate = bytes / seconds;
    int to;
    Reason reason;
    if (ratio < settings.successThreshold()) {
      to = decreased();
      reason = Reason.FAILURES;
      baseline = -1;
    } else if (saturated
        && bytes > 0
        && baseline > 0
        && rate < baseline * (1 - settings.throughputDropTolerance())) {
      to = decreased();
      reason = Reason.THROUGHPUT;
      baseline = -1;
    } else {
      if (saturated && limit < maxLimit) {
        to = limit + 1;
        reason = Reason.RAISED;
      } else {
        to = limit;
        reason = Reason.HELD;
      }
      if (bytes > 0) {
        baseline = rate;
      }
    }
    return new Decision(limit, to, reason, ratio, rate, succeeded, failed);
  }

  private int decreased() {
    return Math.max(1, (int) Math.floor(limit * settings.decreaseFactor()));
  }

  @Override
  public String toString() {
    return "AdaptiveConcurrency[limit="
        + limit
        + "/"
        + maxLimit
        + ", window since "
        + windowStart
        + ": "
        + succeeded
        + " ok, "
        + failed
        + " failed, "
        + bytes
        + " bytes"
        + (saturated ? ", saturated" : "")
        + "]";
  }
}
