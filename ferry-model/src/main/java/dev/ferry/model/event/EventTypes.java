package dev.ferry.model.event;

/** Event {@code type} values and their current {@code dataschema} versions. */
public final class EventTypes {
  public static final String JOB_SUBMITTED = "dev.ferry.job.submitted";
  public static final String JOB_STATE_CHANGED = "dev.ferry.job.state-changed";
  public static final String TASK_DISPATCHED = "dev.ferry.task.dispatched";
  public static final String TRANSFER_COMPLETED = "dev.ferry.transfer.completed";
  public static final String ATTEMPT_FINISHED = "dev.ferry.attempt.finished";

  private EventTypes() {}

  /** The schema id of version 1 of a type's payload, e.g. {@code dev.ferry.job.submitted/1}. */
  public static String schemaV1(String type) {
    return type + "/1";
  }
}
