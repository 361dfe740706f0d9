package dev.ferry.model.webhook;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

import java.security.SecureRandom;
import java.util.Base64;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class WebhookSecretTest {
  @Test
  void shouldParseTheSecretWithOrWithoutItsPrefix() {
    WebhookSecret withPrefix = WebhookSecret.parse("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw");
    WebhookSecret withoutPrefix = WebhookSecret.parse("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw");

    assertThat(withPrefix).isEqualTo(withoutPrefix).hasSameHashCodeAs(withoutPrefix);
    assertThat(withPrefix.key()).hasSize(24);
  }

  @Test
  void shouldIgnoreSurroundingWhitespace() {
    assertThat(WebhookSecret.parse("  whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw\n"))
        .isEqualTo(WebhookSecret.parse(StandardWebhooksVector.SECRET));
  }

  @Test
  void shouldEncodeBackToTheSameText() {
    assertThat(WebhookSecret.parse(StandardWebhooksVector.SECRET).encode())
        .isEqualTo(StandardWebhooksVector.SECRET);
  }

  @Test
  void shouldGenerateDistinct32ByteSecretsThatSurviveEncoding() {
    SecureRandom random = new SecureRandom();
    WebhookSecret first = WebhookSecret.generate(random);
    WebhookSecret second = WebhookSecret.generate(random);

    assertThat(first.key()).hasSize(32);
    assertThat(first).isNotEqualTo(second);
    assertThat(WebhookSecret.parse(first.encode())).isEqualTo(first);
    assertThat(first.encode()).startsWith(WebhookSecret.PREFIX);
  }

  @ParameterizedTest
  @ValueSource(ints = {16, 24, 32, 64})
  void shouldAcceptKeysOfSixteenToSixtyFourBytes(int length) {
    assertThat(WebhookSecret.parse(base64OfLength(length)).key()).hasSize(length);
  }

  @ParameterizedTest
  @ValueSource(ints = {0, 1, 15, 65, 128})
  void shouldRejectKeysOutsideSixteenToSixtyFourBytes(int length) {
    assertThatIllegalArgumentException()
        .isThrownBy(() -> WebhookSecret.parse(base64OfLength(length)))
        .withMessageContaining("16 to 64 bytes");
  }

  @Test
  void shouldRejectTextThatIsNotBase64WithoutEchoingIt() {
    assertThatIllegalArgumentException()
        .isThrownBy(() -> WebhookSecret.parse("whsec_not-base64-at-all!!"))
        .withMessage("webhook secret is not whsec_<base64>")
        .withMessageNotContaining("not-base64-at-all");
  }

  @Test
  void shouldNeverShowTheKey() {
    WebhookSecret secret = WebhookSecret.parse(StandardWebhooksVector.SECRET);

    assertThat(secret.toString())
        .isEqualTo("WebhookSecret[<redacted>]")
        .doesNotContain("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw");
  }

  @Test
  void shouldNotLetCallersChangeTheKey() {
    WebhookSecret secret = WebhookSecret.parse(StandardWebhooksVector.SECRET);
    byte[] copy = secret.key();
    copy[0] ^= 1;

    assertThat(secret).isEqualTo(WebhookSecret.parse(StandardWebhooksVector.SECRET));
  }

  private static String base64OfLength(int length) {
    byte[] key = new byte[length];
    for (int i = 0; i < length; i++) {
      key[i] = (byte) (i + 1);
    }
    return Base64.getEncoder().encodeToString(key);
  }
}
