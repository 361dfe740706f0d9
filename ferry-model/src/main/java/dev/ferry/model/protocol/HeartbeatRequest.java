package dev.ferry.model.protocol;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import java.util.Map;

/**
 * {@code POST /internal/v1/tasks/{id}/heartbeat}: progress of the running attempt.
 *
 * @param bytesPerSecond the attempt's current transfer rate, for progress displays
 * @param resume resume points of large files in progress, by source path; null or empty when none
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record HeartbeatRequest(
    String workerId,
    int attempt,
    long bytesDone,
    int filesDone,
    long bytesPerSecond,
    Map<String, ResumePoint> resume) {

  /** A heartbeat without rate or resume points. */
  public HeartbeatRequest(String workerId, int attempt, long bytesDone, int filesDone) {
    this(workerId, attempt, bytesDone, filesDone, 0, Map.of());
  }

  public HeartbeatRequest {
    resume = resume == null ? Map.of() : Map.copyOf(resume);
  }
}
