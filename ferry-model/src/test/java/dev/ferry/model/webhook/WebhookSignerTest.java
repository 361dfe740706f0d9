package dev.ferry.model.webhook;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatNullPointerException;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import org.junit.jupiter.api.Test;

class WebhookSignerTest {
  private final WebhookSigner signer =
      new WebhookSigner(WebhookSecret.parse(StandardWebhooksVector.SECRET));

  @Test
  void shouldReproduceTheStandardWebhooksReferenceSignature() {
    String signature =
        signer.sign(
            StandardWebhooksVector.ID,
            StandardWebhooksVector.TIMESTAMP,
            StandardWebhooksVector.body());

    assertThat(signature).isEqualTo(StandardWebhooksVector.SIGNATURE);
  }

  @Test
  void shouldSignTheTimestampInWholeSeconds() {
    Instant withMillis = StandardWebhooksVector.TIMESTAMP.plusMillis(999);

    assertThat(signer.sign(StandardWebhooksVector.ID, withMillis, StandardWebhooksVector.body()))
        .isEqualTo(StandardWebhooksVector.SIGNATURE);
  }

  @Test
  void shouldChangeTheSignatureWhenIdTimestampOrBodyChanges() {
    byte[] body = StandardWebhooksVector.body();
    Instant at = StandardWebhooksVector.TIMESTAMP;

    assertThat(signer.sign("msg_other", at, body)).isNotEqualTo(StandardWebhooksVector.SIGNATURE);
    assertThat(signer.sign(StandardWebhooksVector.ID, at.plusSeconds(1), body))
        .isNotEqualTo(StandardWebhooksVector.SIGNATURE);
    assertThat(
            signer.sign(
                StandardWebhooksVector.ID,
                at,
                "{\"test\": 2432232315}".getBytes(StandardCharsets.UTF_8)))
        .isNotEqualTo(StandardWebhooksVector.SIGNATURE);
  }

  @Test
  void shouldSignAnEmptyBody() {
    assertThat(signer.sign("msg_1", StandardWebhooksVector.TIMESTAMP, new byte[0]))
        .startsWith("v1,")
        .hasSize("v1,".length() + 44);
  }

  @Test
  void shouldRejectNullArguments() {
    Instant at = StandardWebhooksVector.TIMESTAMP;
    byte[] body = StandardWebhooksVector.body();

    assertThatNullPointerException().isThrownBy(() -> new WebhookSigner(null));
    assertThatNullPointerException().isThrownBy(() -> signer.sign(null, at, body));
    assertThatNullPointerException().isThrownBy(() -> signer.sign("msg_1", null, body));
    assertThatNullPointerException().isThrownBy(() -> signer.sign("msg_1", at, null));
  }
}
