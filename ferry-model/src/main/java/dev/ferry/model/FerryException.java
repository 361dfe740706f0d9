package dev.ferry.model;

/** Root of Ferry's unchecked exceptions. Messages name the thing and its live state. */
public class FerryException extends RuntimeException {
  public FerryException(String message) {
    super(message);
  }

  public FerryException(String message, Throwable cause) {
    super(message, cause);
  }
}
