package dev.ferry.control.jobs;

import java.time.Instant;
import java.util.UUID;

/**
 * An error as a job and a task keep it: the first one ever and the latest one.
 *
 * @param file the source path of the failed file, or null for a task-level error
 */
public record JobErrors(
    Instant at, UUID taskId, int attempt, String file, String errorClass, String message) {}
