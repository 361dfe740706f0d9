package dev.ferry.control;

import dev.ferry.model.webhook.WebhookSecret;
import dev.ferry.model.webhook.WebhookSigner;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.UUID;

/** Hand-made worker callbacks, signed (or not) exactly as a test needs. */
final class Callbacks {
  private final Harness h;

  Callbacks(Harness h) {
    this.h = h;
  }

  Harness.Response post(String path, Object body) {
    return post(path, body, h.workerSecret, "msg_" + UUID.randomUUID(), h.clock.instant());
  }

  Harness.Response post(
      String path, Object body, WebhookSecret secret, String msgId, Instant timestamp) {
    String json = h.json.writeValueAsString(body);
    String signature =
        new WebhookSigner(secret).sign(msgId, timestamp, json.getBytes(StandardCharsets.UTF_8));
    return h.call(
        "POST",
        path,
        null,
        json,
        WebhookSigner.HEADER_ID,
        msgId,
        WebhookSigner.HEADER_TIMESTAMP,
        Long.toString(timestamp.getEpochSecond()),
        WebhookSigner.HEADER_SIGNATURE,
        signature);
  }
}
