package dev.ferry.model.protocol;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;

/** {@code POST /internal/v1/tasks/{id}/claim}. */
@JsonIgnoreProperties(ignoreUnknown = true)
public record ClaimRequest(String workerId, int attempt) {}
