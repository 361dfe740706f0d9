package dev.ferry.model.protocol;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import java.util.List;

/**
 * {@code POST /internal/v1/tasks/{id}/complete}: the outcome of every file of the attempt. A task
 * whose files all succeeded (or were skipped) succeeds; otherwise it is retried while any failure
 * is retryable and attempts remain, else it fails.
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record CompleteRequest(
    String workerId, int attempt, long durationMillis, List<FileResult> files) {}
