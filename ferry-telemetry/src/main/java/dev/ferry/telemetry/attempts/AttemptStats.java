package dev.ferry.telemetry.attempts;

import java.util.Map;
import java.util.TreeMap;

/**
 * Running totals of one link's attempts, as workers saw them: the counterpart on the wire of the
 * per-file facts that {@link dev.ferry.telemetry.aggregate.LinkStats} counts. Where facts say what
 * was published, attempts say what it cost: retries, bytes sent again after a failed verification
 * or a dropped connection, time on the link.
 *
 * <p>Engine-free and mergeable: {@link #plus} adds one attempt, {@link #merge} adds another partial
 * total (another partition, another engine), and both are associative and commutative (while fewer
 * than {@value #MAX_ERROR_CLASSES} error classes occur; beyond that, which classes keep their name
 * depends on the order). Immutable; attempts are few (one per task attempt, not per file), so
 * copying is cheap.
 *
 * @param attemptsByOutcome attempts by {@link AttemptEvent#outcome()}
 * @param retries attempts with a number above 1 (every retry, whatever its outcome)
 * @param files files leased to the attempts
 * @param filesFailed files that failed in them
 * @param bytesOnWire bytes read from sources and written to temporary objects, including those sent
 *     again
 * @param durationMillis time the attempts took, summed
 * @param failedAttemptsByErrorClass attempts with a failed file, by the first failure's class; at
 *     most {@value #MAX_ERROR_CLASSES} classes, the rest under {@value #OTHER} (bounded labels)
 */
public record AttemptStats(
    Map<String, Long> attemptsByOutcome,
    long retries,
    long files,
    long filesFailed,
    long bytesOnWire,
    long durationMillis,
    Map<String, Long> failedAttemptsByErrorClass) {

  public static final int MAX_ERROR_CLASSES = 32;
  public static final String OTHER = "other";

  public static final AttemptStats EMPTY = new AttemptStats(Map.of(), 0, 0, 0, 0, 0, Map.of());

  public AttemptStats {
    attemptsByOutcome = attemptsByOutcome == null ? Map.of() : new TreeMap<>(attemptsByOutcome);
    failedAttemptsByErrorClass =
        failedAttemptsByErrorClass == null ? Map.of() : new TreeMap<>(failedAttemptsByErrorClass);
  }

  /** All attempts, whatever their outcome. */
  public long attempts() {
    long n = 0;
    for (long v : attemptsByOutcome.values()) {
      n += v;
    }
    return n;
  }

  /** These totals with one more attempt. */
  public AttemptStats plus(AttemptEvent e) {
    TreeMap<String, Long> outcomes = new TreeMap<>(attemptsByOutcome);
    outcomes.merge(e.outcome(), 1L, Long::sum);
    TreeMap<String, Long> errors = new TreeMap<>(failedAttemptsByErrorClass);
    if (e.filesFailed() > 0 || e.errorClass() != null) {
      addErrorClass(errors, e.errorClass() == null ? "unknown" : e.errorClass(), 1);
    }
    return new AttemptStats(
        outcomes,
        retries + (e.attempt() > 1 ? 1 : 0),
        files + e.files(),
        filesFailed + e.filesFailed(),
        bytesOnWire + e.bytesOnWire(),
        durationMillis + e.durationMillis(),
        errors);
  }

  /** The sum of these totals and {@code other}'s. */
  public AttemptStats merge(AttemptStats other) {
    TreeMap<String, Long> outcomes = new TreeMap<>(attemptsByOutcome);
    other.attemptsByOutcome.forEach((k, v) -> outcomes.merge(k, v, Long::sum));
    TreeMap<String, Long> errors = new TreeMap<>(failedAttemptsByErrorClass);
    other.failedAttemptsByErrorClass.forEach((k, v) -> addErrorClass(errors, k, v));
    return new AttemptStats(
        outcomes,
        retries + other.retries,
        files + other.files,
        filesFailed + other.filesFailed,
        bytesOnWire + other.bytesOnWire,
        durationMillis + other.durationMillis,
        errors);
  }

  private static void addErrorClass(TreeMap<String, Long> errors, String cls, long n) {
    String key =
        errors.containsKey(cls) || errors.size() < MAX_ERROR_CLASSES - 1 || OTHER.equals(cls)
            ? cls
            : OTHER;
    errors.merge(key, n, Long::sum);
  }
}
