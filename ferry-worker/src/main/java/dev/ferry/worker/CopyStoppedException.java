package dev.ferry.worker;

/**
 * A copy stopped at a buffer boundary because its task was asked to stop. The temporary object is
 * gone by the time this is thrown; nothing was published.
 */
public final class CopyStoppedException extends WorkerException {
  public CopyStoppedException(String message) {
    super(message);
  }
}
