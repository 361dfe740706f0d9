package dev.ferry.model.webhook;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Clock;
import java.time.DateTimeException;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Objects;

/**
 * Verifies Standard Webhooks signatures against one or more secrets (two during a rotation), and
 * that the timestamp lies within the tolerance of the injected clock. Replay detection by {@code
 * webhook-id} is the caller's job: it needs shared storage. Thread-safe.
 *
 * <p>The {@code webhook-signature} header is a space-separated list of {@code version,signature}
 * entries; the message is accepted when any {@code v1} entry matches any secret. Entries of other
 * versions, and entries without a comma, are ignored. The timestamp must be ASCII decimal epoch
 * seconds; blank headers count as missing.
 */
public final class WebhookVerifier {
  /** Why a message was rejected; also the label of the rejection counter. */
  public enum Failure {
    MISSING_HEADERS,
    MALFORMED_TIMESTAMP,
    EXPIRED_TIMESTAMP,
    BAD_SIGNATURE,
    REPLAYED_ID,
    STALE_ATTEMPT
  }

  /** A rejected message. */
  public static final class VerificationException extends RuntimeException {
    private final Failure failure;

    public VerificationException(Failure failure, String message) {
      super(message);
      this.failure = failure;
    }

    public Failure failure() {
      return failure;
    }
  }

  private final List<WebhookSecret> secrets;
  private final Clock clock;
  private final Duration tolerance;

  /**
   * @param secrets accepted secrets, at least one; during a rotation, the old and the new
   * @param clock source of "now" for the timestamp window
   * @param tolerance how far the timestamp may lie before or after now (inclusive); not negative
   */
  public WebhookVerifier(List<WebhookSecret> secrets, Clock clock, Duration tolerance) {
    if (secrets.isEmpty()) {
      throw new IllegalArgumentException("at least one webhook secret is required");
    }
    this.secrets = List.copyOf(secrets);
    this.clock = Objects.requireNonNull(clock, "clock");
    this.tolerance = Objects.requireNonNull(tolerance, "tolerance");
    if (tolerance.isNegative()) {
      throw new IllegalArgumentException(
          "webhook tolerance must not be negative, got " + tolerance);
    }
  }

  /**
   * Returns normally when the signature matches one of the secrets and the timestamp is fresh.
   *
   * @param id the {@code webhook-id} header, or null when absent
   * @param timestamp the {@code webhook-timestamp} header, or null when absent
   * @param signatureHeader the {@code webhook-signature} header, or null when absent
   * @param body the raw request body exactly as received; not null (empty for no body)
   * @throws VerificationException with the reason otherwise
   */
  public void verify(String id, String timestamp, String signatureHeader, byte[] body) {
    Objects.requireNonNull(body, "body");
    if (isBlank(id) || isBlank(timestamp) || isBlank(signatureHeader)) {
      throw new VerificationException(
          Failure.MISSING_HEADERS, "webhook-id, webhook-timestamp and webhook-signature required");
    }
    long seconds = parseEpochSeconds(timestamp.strip());
    Instant now = clock.instant();
    if (!withinTolerance(seconds, now)) {
      throw new VerificationException(
          Failure.EXPIRED_TIMESTAMP,
          "webhook-timestamp "
              + seconds
              + " is outside "
              + tolerance
              + " of now ("
              + now.getEpochSecond()
              + ", "
              + now
              + ")");
    }
    for (WebhookSecret secret : secrets) {
      byte[] expected =
          WebhookSigner.signature(secret, id, seconds, body).getBytes(StandardCharsets.UTF_8);
      for (String candidate : signatureHeader.trim().split(" +")) {
        int comma = candidate.indexOf(',');
        if (comma < 0 || !candidate.substring(0, comma).equals("v1")) {
          continue;
        }
        byte[] given = candidate.substring(comma + 1).getBytes(StandardCharsets.UTF_8);
        if (MessageDigest.isEqual(expected, given)) {
          return;
        }
      }
    }
    throw new VerificationException(Failure.BAD_SIGNATURE, "no webhook signature matched");
  }

  private static boolean isBlank(String header) {
    return header == null || header.isBlank();
  }

  // Strict on purpose: Long.parseLong would also take a sign and non-ASCII digits.
  private static long parseEpochSeconds(String timestamp) {
    boolean digits = !timestamp.isEmpty() && timestamp.length() <= 18;
    for (int i = 0; digits && i < timestamp.length(); i++) {
      char c = timestamp.charAt(i);
      digits = c >= '0' && c <= '9';
    }
    if (!digits) {
      throw new VerificationException(
          Failure.MALFORMED_TIMESTAMP,
          "webhook-timestamp is not epoch seconds: " + abbreviate(timestamp));
    }
    return Long.parseLong(timestamp);
  }

  private boolean withinTolerance(long seconds, Instant now) {
    Instant sent;
    try {
      sent = Instant.ofEpochSecond(seconds);
    } catch (DateTimeException e) {
      return false; // a number of seconds beyond Instant.MAX is far outside any window
    }
    return Duration.between(sent, now).abs().compareTo(tolerance) <= 0;
  }

  private static String abbreviate(String text) {
    return text.length() <= 40 ? text : text.substring(0, 40) + "…";
  }
}
