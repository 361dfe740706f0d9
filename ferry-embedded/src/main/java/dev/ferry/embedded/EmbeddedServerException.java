package dev.ferry.embedded;

/**
 * An embedded server could not be started, stopped or used. The message names the server, its data
 * directory and what it was doing.
 */
public class EmbeddedServerException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public EmbeddedServerException(String message) {
    super(message);
  }

  public EmbeddedServerException(String message, Throwable cause) {
    super(message, cause);
  }
}
