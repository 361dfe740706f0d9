package dev.ferry.telemetry.query;

import dev.ferry.telemetry.TelemetryException;

/**
 * The stores cannot be read now: Kafka Streams is not running yet, is rebalancing or restoring, or
 * has stopped. Usually transient; the message says which.
 */
public class TelemetryUnavailableException extends TelemetryException {
  public TelemetryUnavailableException(String message, Throwable cause) {
    super(message, cause);
  }
}
