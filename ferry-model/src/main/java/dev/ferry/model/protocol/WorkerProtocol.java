package dev.ferry.model.protocol;

/**
 * The worker ↔ control-plane callback protocol. Every request is JSON, signed in the Standard
 * Webhooks format ({@code webhook-id}, {@code webhook-timestamp}, {@code webhook-signature}:
 * HMAC-SHA256 over {@code id.timestamp.body}). A request for an attempt that is no longer current
 * is answered 409 with a problem document of type {@link #STALE_ATTEMPT}.
 */
public final class WorkerProtocol {
  public static final String BASE_PATH = "/internal/v1/tasks";
  public static final String STALE_ATTEMPT = "https://ferry.dev/problems/stale-attempt";

  private WorkerProtocol() {}

  public static String claimPath(java.util.UUID taskId) {
    return BASE_PATH + "/" + taskId + "/claim";
  }

  public static String heartbeatPath(java.util.UUID taskId) {
    return BASE_PATH + "/" + taskId + "/heartbeat";
  }

  public static String completePath(java.util.UUID taskId) {
    return BASE_PATH + "/" + taskId + "/complete";
  }

  public static String releasePath(java.util.UUID taskId) {
    return BASE_PATH + "/" + taskId + "/release";
  }
}
