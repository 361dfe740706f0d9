package dev.ferry.worker;

/**
 * The running task's side of a copy: where progress goes and whether to stop. Called on the copying
 * thread once per buffer; implementations must be cheap and thread-safe.
 */
public interface CopyControl {
  /** Never stops, ignores progress. */
  CopyControl NONE = new CopyControl() {};

  /** True when the copy must stop at the next buffer boundary (cancel, stale lease, shutdown). */
  default boolean stopRequested() {
    return false;
  }

  /** {@code bytes} more were read from the source and written to the temporary object. */
  default void bytesCopied(long bytes) {}
}
