package dev.ferry.worker;

/**
 * A callback the control plane did not accept, or could not be reached for after the retries: the
 * message names the call, the task, the HTTP status (0 when no answer came) and the attempts.
 */
public class ControlPlaneException extends WorkerException {
  private final int status;
  private final boolean retryable;

  public ControlPlaneException(String message, int status, boolean retryable, Throwable cause) {
    super(message, cause);
    this.status = status;
    this.retryable = retryable;
  }

  /** The HTTP status of the last answer; 0 when there was none (connection failure, timeout). */
  public int status() {
    return status;
  }

  /** True for failures that a later call may not meet (unreachable, 5xx, 429). */
  public boolean retryable() {
    return retryable;
  }
}
