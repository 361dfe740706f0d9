package dev.ferry.worker;

import dev.ferry.model.protocol.ResumePoint;
import java.time.Clock;

/**
 * The running task's side of a copy: where progress goes and whether to stop. Called on the copying
 * thread once per buffer (once per chunk for {@link #resumePoint}); implementations must be cheap
 * and thread-safe.
 */
public interface CopyControl {
  /** Never stops, ignores progress. */
  CopyControl NONE = new CopyControl() {};

  /** True when the copy must stop at the next buffer boundary (cancel, stale lease, shutdown). */
  default boolean stopRequested() {
    return false;
  }

  /**
   * The clock that paces a copy's durability checkpoints ({@link CopyOptions#syncInterval()}). The
   * running task's clock; the default is the system clock.
   */
  default Clock clock() {
    return Clock.systemUTC();
  }

  /** {@code bytes} more were read from the source and written to the temporary object. */
  default void bytesCopied(long bytes) {}

  /**
   * A chunked copy of the file read from {@code source} got durably and verifiably to {@code
   * point}: a later attempt given this point (in {@link CopyOptions#resume()}) continues from
   * there. Each call supersedes the previous one for that file; send the latest in the next
   * heartbeat ({@code HeartbeatRequest.resume}, keyed by source path). {@code null} means the file
   * is no longer resumable (it was published, or its partial write was discarded): stop sending it.
   */
  default void resumePoint(String source, ResumePoint point) {}

  /**
   * Asked when a chunked copy stops ({@link CopyStoppedException}) after some chunks were durable:
   * true keeps the partial write for the next attempt (worker shutdown, lost lease: the task runs
   * again), false removes it (the job was cancelled: nobody will resume it). The default removes
   * it, as a plain copy does.
   */
  default boolean keepResumableOnStop() {
    return false;
  }
}
