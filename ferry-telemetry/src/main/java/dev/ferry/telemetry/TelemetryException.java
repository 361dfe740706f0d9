package dev.ferry.telemetry;

/**
 * The telemetry role's one unchecked root exception. Messages name the thing and its live state
 * (topic, store, Kafka Streams state, event id).
 */
public class TelemetryException extends RuntimeException {
  public TelemetryException(String message) {
    super(message);
  }

  public TelemetryException(String message, Throwable cause) {
    super(message, cause);
  }
}
