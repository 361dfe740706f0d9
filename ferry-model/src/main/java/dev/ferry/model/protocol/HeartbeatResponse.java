package dev.ferry.model.protocol;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import java.time.Instant;

/** The answer to a heartbeat: carry on until {@code leaseExpiresAt}, or stop because cancelled. */
@JsonIgnoreProperties(ignoreUnknown = true)
public record HeartbeatResponse(Action action, Instant leaseExpiresAt) {
  public enum Action {
    CONTINUE,
    CANCEL
  }
}
