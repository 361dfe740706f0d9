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

  /** Closed per-link windows from the telemetry aggregation, keyed by link; feed of anomalies. */
  public static final String LINK_STATS = "ferry.link-stats";

  /** Anomalies the telemetry role's detector flagged, keyed by link. */
  public static final String ANOMALIES = "ferry.anomalies";

  public static final List<String> ALL =
      List.of(JOBS, TASKS, TRANSFERS, ATTEMPTS, DEAD_LETTER, LINK_STATS, ANOMALIES);

  private Topics() {}

  /** The Kafka key of a link. */
  public static String linkKey(String sourceSite, String destinationSite) {
    return sourceSite + "->" + destinationSite;
  }
}
