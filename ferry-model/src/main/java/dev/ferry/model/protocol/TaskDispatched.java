package dev.ferry.model.protocol;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import java.util.UUID;

/**
 * Payload of {@code dev.ferry.task.dispatched} on {@code ferry.tasks}: just enough for a worker to
 * decide whether the task is for its site and to claim it. Paths and credentials come with the
 * lease, over the signed channel, never over Kafka.
 *
 * @param attempt the attempt this dispatch is for; a claim for another attempt is rejected
 * @param tenant the job's tenant id, as in the envelope's {@code tenant}; workers count their
 *     attempt telemetry per tenant with it (and take the envelope's when a payload lacks it). Null
 *     for a task handed to a worker without an envelope.
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record TaskDispatched(
    UUID taskId,
    UUID jobId,
    int attempt,
    String sourceSite,
    String destinationSite,
    String tenant) {

  /** A dispatch without a known tenant. */
  public TaskDispatched(
      UUID taskId, UUID jobId, int attempt, String sourceSite, String destinationSite) {
    this(taskId, jobId, attempt, sourceSite, destinationSite, null);
  }

  /** This dispatch with the tenant of its envelope. */
  public TaskDispatched withTenant(String t) {
    return new TaskDispatched(taskId, jobId, attempt, sourceSite, destinationSite, t);
  }
}
