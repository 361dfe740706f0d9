package dev.ferry.worker;

import dev.ferry.model.FerryException;

/** Root of the worker's unchecked exceptions. */
public class WorkerException extends FerryException {
  public WorkerException(String message) {
    super(message);
  }

  public WorkerException(String message, Throwable cause) {
    super(message, cause);
  }
}
