package dev.ferry.worker;

import dev.ferry.model.protocol.FileItem;
import dev.ferry.model.protocol.FileResult;
import dev.ferry.model.protocol.Lease;
import dev.ferry.model.protocol.TaskDispatched;
import java.util.List;

/**
 * Hooks for metrics and tests. Every method has a no-op default. Methods are called on the worker's
 * task, heartbeat and consumer threads, possibly concurrently: they must be thread-safe and quick,
 * and must not do I/O. An exception thrown by a listener is logged and ignored.
 */
public interface WorkerListener {
  /** A listener that does nothing. */
  WorkerListener NOOP = new WorkerListener() {};

  /** How the worker's part in a claimed attempt ended. */
  enum Outcome {
    /** All files were processed and the results accepted by the control plane. */
    COMPLETED,
    /** The control plane asked to stop (job cancelled); nothing was reported. */
    CANCELLED,
    /**
     * The attempt stopped being current (409 on heartbeat or complete) or its lease ran out without
     * a successful heartbeat; nothing more was reported.
     */
    ABANDONED,
    /** The worker shut down mid-attempt and gave the lease back. */
    RELEASED,
    /** The results could not be delivered; the control plane will re-run the task. */
    UNREPORTED
  }

  /** Why a running attempt is being stopped. */
  enum StopReason {
    CANCELLED,
    STALE,
    LEASE_EXPIRED,
    SHUTDOWN
  }

  /** A claim succeeded; the attempt is about to run. */
  default void claimed(Lease lease) {}

  /**
   * A delivery that needs no work: the claim was refused as stale or the same attempt is already
   * running here. Expected with at-least-once delivery.
   */
  default void duplicateSkipped(TaskDispatched task) {}

  /** A task for another site, ignored. */
  default void otherSiteSkipped(TaskDispatched task) {}

  /** A Kafka record that is not a task dispatch this worker understands, skipped. */
  default void recordRejected(String reason) {}

  /** The claim failed for another reason than staleness (control plane unreachable, 4xx). */
  default void claimFailed(TaskDispatched task, RuntimeException error) {}

  /** One file was published at the destination. */
  default void fileCopied(Lease lease, FileItem file, long bytes) {}

  /** A running attempt was asked to stop; it stops at the next buffer boundary. */
  default void stopRequested(Lease lease, StopReason reason) {}

  /**
   * The attempt is over for this worker.
   *
   * @param results per-file results as far as they were computed (all of them for {@code COMPLETED}
   *     and {@code UNREPORTED})
   */
  default void taskFinished(Lease lease, Outcome outcome, List<FileResult> results) {}

  /**
   * The adaptive concurrency limit of a link changed.
   *
   * @param link {@code SRC->DST}
   * @param reason why, one of {@link AdaptiveConcurrency.Reason}'s names
   */
  default void linkLimitChanged(String link, int from, int to, String reason) {}

  /**
   * An attempt's telemetry event could not be produced to Kafka (queue full, not acknowledged). The
   * task is unaffected. Called on the telemetry or the producer's thread.
   */
  default void attemptTelemetryFailed(AttemptFinished event, Exception error) {}
}
