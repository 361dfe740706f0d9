package dev.ferry.model.protocol;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import java.util.UUID;

/**
 * Payload of {@code dev.ferry.task.dispatched} on {@code ferry.tasks}: just enough for a worker to
 * decide whether the task is for its site and to claim it. Paths and credentials come with the
 * lease, over the signed channel, never over Kafka.
 *
 * @param attempt the attempt this dispatch is for; a claim for another attempt is rejected
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record TaskDispatched(
    UUID taskId, UUID jobId, int attempt, String sourceSite, String destinationSite) {}
