package dev.ferry.model.protocol;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;

/**
 * The outcome of one file in one attempt.
 *
 * @param source the file's source path, as in the lease
 * @param bytes bytes published at the destination (0 when skipped or failed)
 * @param checksum the verified checksum, lowercase hex, when the file was copied
 * @param error why it failed; null unless {@code status == FAILED}
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record FileResult(
    String source, Status status, long bytes, String checksum, FileError error) {

  public enum Status {
    SUCCEEDED,
    SKIPPED,
    FAILED
  }

  /**
   * @param errorClass a short stable class such as {@code not-found}, {@code checksum-mismatch},
   *     {@code io}
   * @param retryable whether another attempt may succeed
   */
  @JsonIgnoreProperties(ignoreUnknown = true)
  public record FileError(String errorClass, String message, boolean retryable) {}
}
