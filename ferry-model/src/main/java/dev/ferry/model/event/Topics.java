package dev.ferry.model.event;

import java.util.List;

/** Kafka topic names. */
public final class Topics {
  /** Job lifecycle, keyed by job id. */
  public static final String JOBS = "ferry.jobs";

  /** Task dispatch, keyed by link ({@code SRC->DST}). */
  public static final String TASKS = "ferry.tasks";

  /** Completed and failed transfer facts, from the outbox, keyed by link. */
  public static final String TRANSFERS = "ferry.transfers";

  /** Worker-side attempt telemetry, keyed by link. */
  public static final String ATTEMPTS = "ferry.attempts";

  /** Events a consumer could not handle, with the reason in a header. */
  public static final String DEAD_LETTER = "ferry.dead-letter";

  public static final List<String> ALL = List.of(JOBS, TASKS, TRANSFERS, ATTEMPTS, DEAD_LETTER);

  private Topics() {}

  /** The Kafka key of a link. */
  public static String linkKey(String sourceSite, String destinationSite) {
    return sourceSite + "->" + destinationSite;
  }
}
