package dev.ferry.telemetry.aggregate;

import dev.ferry.telemetry.TelemetryException;

/**
 * An event that cannot be read as a transfer fact: malformed, missing a required field, or of an
 * unknown schema version. The message is the reason given to the dead-letter topic.
 */
public class InvalidFactException extends TelemetryException {
  public InvalidFactException(String message) {
    super(message);
  }
}
