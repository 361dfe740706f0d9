package dev.ferry.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.NullSource;
import org.junit.jupiter.params.provider.ValueSource;

class ChecksumAlgorithmTest {
  @ParameterizedTest
  @CsvSource({"CRC32C, crc32c", "SHA256, sha256", "MD5, md5", "ADLER32, adler32"})
  void shouldUseTheLowercaseNameOnTheWire(ChecksumAlgorithm algorithm, String wire) {
    assertThat(algorithm.wireName()).isEqualTo(wire);
  }

  @ParameterizedTest
  @EnumSource(ChecksumAlgorithm.class)
  void shouldReadBackItsWireNameInAnyCase(ChecksumAlgorithm algorithm) {
    assertThat(ChecksumAlgorithm.fromWire(algorithm.wireName())).isSameAs(algorithm);
    assertThat(ChecksumAlgorithm.fromWire(algorithm.name())).isSameAs(algorithm);
  }

  @ParameterizedTest
  @NullSource
  @ValueSource(strings = {"", "sha-256", "crc32", "blake3"})
  void shouldNameTheValueAndTheChoicesWhenUnknown(String value) {
    assertThatIllegalArgumentException()
        .isThrownBy(() -> ChecksumAlgorithm.fromWire(value))
        .withMessage(
            "unknown checksum algorithm '"
                + value
                + "'; expected one of [crc32c, sha256, md5, adler32]");
  }
}
