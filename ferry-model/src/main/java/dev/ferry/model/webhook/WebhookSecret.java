package dev.ferry.model.webhook;

import java.security.SecureRandom;
import java.util.Arrays;
import java.util.Base64;
import java.util.Objects;

/**
 * A Standard Webhooks signing secret: {@code whsec_} followed by base64 of 16–64 random bytes (the
 * specification recommends at least 24; {@link #generate} makes 32). Immutable; {@link #toString()}
 * never shows the key.
 */
public final class WebhookSecret {
  public static final String PREFIX = "whsec_";
  private final byte[] key;

  private WebhookSecret(byte[] key) {
    if (key.length < 16 || key.length > 64) {
      throw new IllegalArgumentException(
          "webhook secret must be 16 to 64 bytes, got " + key.length);
    }
    this.key = key.clone();
  }

  /**
   * Parses {@code whsec_<base64>} (the prefix is optional).
   *
   * @throws IllegalArgumentException when the text is not base64 of 16 to 64 bytes; the message
   *     never contains the text
   */
  public static WebhookSecret parse(String text) {
    Objects.requireNonNull(text, "webhook secret text");
    String body = text.strip();
    if (body.startsWith(PREFIX)) {
      body = body.substring(PREFIX.length());
    }
    byte[] key;
    try {
      key = Base64.getDecoder().decode(body);
    } catch (IllegalArgumentException e) {
      // The cause's message is dropped: it can quote part of the secret.
      throw new IllegalArgumentException("webhook secret is not whsec_<base64>");
    }
    return new WebhookSecret(key);
  }

  public static WebhookSecret generate(SecureRandom random) {
    byte[] key = new byte[32];
    random.nextBytes(key);
    return new WebhookSecret(key);
  }

  byte[] key() {
    return key.clone();
  }

  /** The {@code whsec_…} text form, for storing in a file or an environment variable. */
  public String encode() {
    return PREFIX + Base64.getEncoder().encodeToString(key);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof WebhookSecret other && Arrays.equals(key, other.key);
  }

  @Override
  public int hashCode() {
    return Arrays.hashCode(key);
  }

  @Override
  public String toString() {
    return "WebhookSecret[<redacted>]";
  }
}
