package dev.ferry.model.protocol;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;

/** {@code POST /internal/v1/tasks/{id}/heartbeat}: progress of the running attempt. */
@JsonIgnoreProperties(ignoreUnknown = true)
public record HeartbeatRequest(String workerId, int attempt, long bytesDone, int filesDone) {}
