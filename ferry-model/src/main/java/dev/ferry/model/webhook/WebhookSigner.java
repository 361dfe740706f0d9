package dev.ferry.model.webhook;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.time.Instant;
import java.util.Base64;
import java.util.Objects;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Signs messages in the Standard Webhooks format: {@code v1,<base64 HMAC-SHA256 of
 * "id.timestamp.body">}. Thread-safe.
 */
public final class WebhookSigner {
  public static final String HEADER_ID = "webhook-id";
  public static final String HEADER_TIMESTAMP = "webhook-timestamp";
  public static final String HEADER_SIGNATURE = "webhook-signature";

  private final WebhookSecret secret;

  public WebhookSigner(WebhookSecret secret) {
    this.secret = Objects.requireNonNull(secret, "secret");
  }

  /**
   * The value of the {@code webhook-signature} header for this message. The signature covers the
   * timestamp truncated to whole seconds: send {@code timestamp.getEpochSecond()} as the {@code
   * webhook-timestamp} header, and {@code body} byte for byte.
   */
  public String sign(String id, Instant timestamp, byte[] body) {
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(timestamp, "timestamp");
    Objects.requireNonNull(body, "body");
    return "v1," + signature(secret, id, timestamp.getEpochSecond(), body);
  }

  static String signature(WebhookSecret secret, String id, long epochSeconds, byte[] body) {
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(secret.key(), "HmacSHA256"));
      mac.update((id + "." + epochSeconds + ".").getBytes(StandardCharsets.UTF_8));
      return Base64.getEncoder().encodeToString(mac.doFinal(body));
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("HmacSHA256 unavailable", e);
    }
  }
}
