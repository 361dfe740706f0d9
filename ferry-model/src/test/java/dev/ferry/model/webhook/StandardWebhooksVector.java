package dev.ferry.model.webhook;

import java.nio.charset.StandardCharsets;
import java.time.Instant;

/**
 * The test vector published with the Standard Webhooks reference libraries (for example the Java
 * library's {@code WebhookTest.verifyWebhookSignWorks}). Matching it shows that a receiver using
 * any Standard Webhooks library will accept what Ferry signs.
 */
final class StandardWebhooksVector {
  static final String SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
  static final String ID = "msg_p5jXN8AQM9LWM0D4loKWxJek";
  static final Instant TIMESTAMP = Instant.ofEpochSecond(1_614_265_330L);
  static final String TIMESTAMP_HEADER = "1614265330";
  static final String PAYLOAD = "{\"test\": 2432232314}";
  static final String SIGNATURE = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=";

  private StandardWebhooksVector() {}

  static byte[] body() {
    return PAYLOAD.getBytes(StandardCharsets.UTF_8);
  }
}
