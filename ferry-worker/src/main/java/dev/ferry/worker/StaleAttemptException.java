package dev.ferry.worker;

import java.util.UUID;

/**
 * The control plane answered 409: the attempt is no longer current (the task was re-queued, claimed
 * by another worker, finished or cancelled) or the task is not claimable. The worker stops working
 * on that attempt and reports nothing more for it.
 */
public class StaleAttemptException extends ControlPlaneException {
  private final UUID taskId;
  private final int attempt;
  private final String problemType;

  public StaleAttemptException(String message, UUID taskId, int attempt, String problemType) {
    super(message, 409, false, null);
    this.taskId = taskId;
    this.attempt = attempt;
    this.problemType = problemType;
  }

  public UUID taskId() {
    return taskId;
  }

  public int attempt() {
    return attempt;
  }

  /** The problem document's {@code type}, normally {@code WorkerProtocol.STALE_ATTEMPT}. */
  public String problemType() {
    return problemType;
  }
}
