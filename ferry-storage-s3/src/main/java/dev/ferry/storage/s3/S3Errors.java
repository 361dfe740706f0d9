package dev.ferry.storage.s3;

import dev.ferry.storage.StorageException;
import dev.ferry.storage.StorageException.ErrorClass;
import java.util.List;
import java.util.Set;
import software.amazon.awssdk.awscore.exception.AwsErrorDetails;
import software.amazon.awssdk.awscore.exception.AwsServiceException;
import software.amazon.awssdk.core.exception.SdkException;

/**
 * Turns AWS SDK failures into {@link StorageException}s whose messages name the operation, the key
 * and the endpoint, and never a credential.
 *
 * <p>Classification: 404 is {@code not-found}; 401/403 are {@code permission}; throttling, 5xx,
 * request timeouts and failures without a response (connection refused, reset, socket timeout) are
 * retryable {@code io}; checksum rejections ({@code BadDigest} and kin) are retryable {@code
 * checksum-mismatch}; a wrong region, a malformed bucket name, a skewed clock or a request the
 * server does not implement (501, e.g. session tokens on some S3-compatible servers) are {@code
 * unsupported} (the endpoint's configuration is wrong, retrying will not help); any other 4xx is a
 * permanent {@code io} failure.
 *
 * <p>Redaction: the SDK's own messages do not carry secret keys, but S3-compatible servers vary, so
 * every message and every cause in the chain is scrubbed of the credential values this endpoint was
 * opened with. Thread-safe and immutable.
 */
final class S3Errors {
  private static final Set<String> CHECKSUM_CODES =
      Set.of(
          "BadDigest",
          "InvalidDigest",
          "XAmzContentSHA256Mismatch",
          "XAmzContentChecksumMismatch",
          "InvalidChecksum");
  private static final Set<String> CONFIG_CODES =
      Set.of(
          "PermanentRedirect",
          "AuthorizationHeaderMalformed",
          "InvalidBucketName",
          "IllegalLocationConstraintException",
          "RequestTimeTooSkewed");
  private static final String REDACTED = "****";

  /** Shorter values would scrub ordinary words; real keys are 16 characters and more. */
  private static final int MIN_REDACTED_LENGTH = 4;

  private final List<String> secrets;

  S3Errors(List<String> secrets) {
    this.secrets = secrets.stream().filter(s -> s.length() >= MIN_REDACTED_LENGTH).toList();
  }

  /**
   * The storage exception for {@code e}, thrown while {@code what} (e.g. {@code "reading 'a/b' at
   * s3://bucket?..."}).
   */
  StorageException translate(String what, SdkException e) {
    Throwable cause = scrub(e);
    if (e instanceof AwsServiceException service) {
      int status = service.statusCode();
      AwsErrorDetails details = service.awsErrorDetails();
      String code = details == null || details.errorCode() == null ? "" : details.errorCode();
      String message = what + ": " + describe(status, code, service);
      if (status == 404) {
        return new StorageException(ErrorClass.NOT_FOUND, message, cause);
      }
      if (CONFIG_CODES.contains(code) || status == 301 || status == 501) {
        return new StorageException(ErrorClass.UNSUPPORTED, message, cause);
      }
      if (status == 401 || status == 403) {
        return new StorageException(ErrorClass.PERMISSION, message, cause);
      }
      if (CHECKSUM_CODES.contains(code)) {
        return new StorageException(ErrorClass.CHECKSUM_MISMATCH, message, cause);
      }
      boolean transientFailure =
          status >= 500
              || status == 429
              || service.isThrottlingException()
              || code.equals("RequestTimeout")
              || code.equals("SlowDown");
      return new StorageException(ErrorClass.IO, transientFailure, message, cause);
    }
    // no response at all: connection refused or reset, timeouts, interrupted I/O
    String detail = e.getMessage() == null ? e.getClass().getSimpleName() : redact(e.getMessage());
    return new StorageException(ErrorClass.IO, true, what + ": " + detail, cause);
  }

  private String describe(int status, String code, AwsServiceException e) {
    AwsErrorDetails details = e.awsErrorDetails();
    String text = details == null ? null : details.errorMessage();
    StringBuilder b = new StringBuilder();
    b.append(
        switch (status) {
          case 404 -> "not found";
          case 401, 403 -> "access denied";
          default -> "failed";
        });
    b.append(" (HTTP ").append(status);
    if (!code.isEmpty()) {
      b.append(' ').append(code);
    }
    if (text != null && !text.isBlank()) {
      b.append(": ").append(redact(text));
    }
    if (e.requestId() != null) {
      b.append("; request id ").append(e.requestId());
    }
    return b.append(')').toString();
  }

  /** {@code text} with every credential value replaced. */
  String redact(String text) {
    if (text == null) {
      return null;
    }
    String result = text;
    for (String secret : secrets) {
      result = result.replace(secret, REDACTED);
    }
    return result;
  }

  /**
   * {@code t} itself when no message in its chain holds a credential; otherwise a copy of the chain
   * with scrubbed messages and the original stack traces.
   */
  Throwable scrub(Throwable t) {
    if (t == null || !leaks(t)) {
      return t;
    }
    return copyScrubbed(t, 0);
  }

  private boolean leaks(Throwable t) {
    for (Throwable c = t; c != null; c = c.getCause()) {
      String text = c.toString();
      if (!text.equals(redact(text))) {
        return true;
      }
      for (Throwable s : c.getSuppressed()) {
        if (leaks(s)) {
          return true;
        }
      }
    }
    return false;
  }

  private Throwable copyScrubbed(Throwable t, int depth) {
    Throwable cause =
        t.getCause() == null || depth > 16 ? null : copyScrubbed(t.getCause(), depth + 1);
    RuntimeException copy = new RuntimeException(redact(t.toString()), cause);
    copy.setStackTrace(t.getStackTrace());
    return copy;
  }
}
