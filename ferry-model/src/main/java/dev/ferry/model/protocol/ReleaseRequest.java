package dev.ferry.model.protocol;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;

/**
 * {@code POST /internal/v1/tasks/{id}/release}: a worker shutting down gives its lease back; the
 * task returns to {@code PENDING} at once with attempt + 1.
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record ReleaseRequest(String workerId, int attempt) {}
