package dev.ferry.worker;

/**
 * A copy stopped at a buffer boundary because its task was asked to stop. Nothing was published;
 * the temporary object is gone by the time this is thrown, unless a chunked copy kept its verified
 * chunks for the next attempt ({@link CopyControl#keepResumableOnStop()}).
 */
public final class CopyStoppedException extends WorkerException {
  public CopyStoppedException(String message) {
    super(message);
  }
}
