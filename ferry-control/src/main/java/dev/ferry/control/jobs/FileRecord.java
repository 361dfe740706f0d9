package dev.ferry.control.jobs;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import dev.ferry.model.protocol.FileResult;

/**
 * What the control plane keeps per file: the latest outcome, the first and the last error, and how
 * many attempts reported it. Stored in {@code tasks.results} keyed by source path; its JSON is a
 * superset of {@link FileResult}'s.
 *
 * @param error the last error, null once the file succeeded or was skipped
 * @param firstError the first error ever reported for the file, kept after later success
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record FileRecord(
    String source,
    FileResult.Status status,
    long bytes,
    String checksum,
    FileResult.FileError error,
    FileResult.FileError firstError,
    int attempts) {

  /** Folds one reported result into what was known of the file before ({@code null}: nothing). */
  public static FileRecord fold(FileRecord before, FileResult r) {
    FileResult.FileError first =
        before != null && before.firstError() != null ? before.firstError() : r.error();
    return new FileRecord(
        r.source(),
        r.status(),
        r.bytes(),
        r.checksum(),
        r.error(),
        first,
        before == null ? 1 : before.attempts() + 1);
  }

  /** Folds a later record of the same file (for example from a retry task) into this one. */
  public FileRecord then(FileRecord later) {
    return new FileRecord(
        source,
        later.status(),
        later.bytes(),
        later.checksum(),
        later.error(),
        firstError != null ? firstError : later.firstError(),
        attempts + later.attempts());
  }

  public boolean finished() {
    return status != FileResult.Status.FAILED;
  }
}
