package dev.ferry.worker;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import java.util.Locale;
import java.util.UUID;

/**
 * Payload of {@code dev.ferry.attempt.finished} (schema version 1) on {@code ferry.attempts}: what
 * one attempt did on the wire, as the worker saw it. Keyed by link; produced once per claimed
 * attempt when the worker's part in it ends.
 *
 * @param files files leased to the attempt
 * @param filesSucceeded files copied or skipped as already present
 * @param filesFailed files that failed (retryable or not)
 * @param bytesOnWire bytes read from the source and written to temporary objects, including those
 *     of files that failed verification or were stopped mid-copy
 * @param durationMillis from the start of execution (right after the claim) to the end of the
 *     worker's part, reporting included, on the worker's clock; 0 for a lease given back at once
 * @param outcome {@code completed} (reported, no file failed), {@code failed} (reported, some file
 *     failed), {@code cancelled}, {@code released} (shutdown) or {@code abandoned} (stale, lease
 *     expired, or the results could not be delivered)
 * @param errorClass the error class of the first failed file in lease order; null when none failed
 * @param retryableFailures files whose failure another attempt may fix
 * @param tenant the job's tenant id, from the dispatch; null when the task came without one (the
 *     telemetry role cannot count such an attempt per tenant and sends it to the dead letters)
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record AttemptFinished(
    UUID taskId,
    UUID jobId,
    int attempt,
    String workerId,
    String sourceSite,
    String destinationSite,
    int files,
    int filesSucceeded,
    int filesFailed,
    long bytesOnWire,
    long durationMillis,
    String outcome,
    String errorClass,
    int retryableFailures,
    String tenant) {

  /** The wire names of {@link #outcome()}. */
  public enum Outcome {
    COMPLETED,
    FAILED,
    CANCELLED,
    RELEASED,
    ABANDONED;

    public String wireName() {
      return name().toLowerCase(Locale.ROOT);
    }
  }
}
