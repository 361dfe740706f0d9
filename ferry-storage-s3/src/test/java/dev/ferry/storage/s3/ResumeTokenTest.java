package dev.ferry.storage.s3;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;

class ResumeTokenTest {

  @Test
  void shouldRoundTripEveryField() {
    ResumeToken token =
        new ResumeToken(
            "bucket",
            "pre/fix/données.bin",
            "up~load.ID-1",
            5_242_880,
            List.of("4waSgw==", "AAAAAA=="));

    String encoded = token.encode();

    assertThat(encoded).startsWith("s3mpu1.").matches("[A-Za-z0-9._-]+");
    assertThat(ResumeToken.decode(encoded)).isEqualTo(token);
    assertThat(ResumeToken.decode(encoded).crc32c(2)).isEqualTo("AAAAAA==");
    assertThat(ResumeToken.decode(encoded).crc32c(3)).isNull();
    ResumeToken none = new ResumeToken("b", "k", "u", 1, List.of());
    assertThat(ResumeToken.decode(none.encode())).isEqualTo(none);
  }

  @Test
  void shouldRejectMalformedTokens() {
    for (String bad : new String[] {null, "", "s3mpu1.", "s3mpu1.!!!", "other.abc", "s3mpu1.YQ"}) {
      assertThatThrownBy(() -> ResumeToken.decode(bad))
          .as(bad)
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("malformed S3 resume token");
    }
  }
}
