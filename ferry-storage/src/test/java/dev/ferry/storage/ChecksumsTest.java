package dev.ferry.storage;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ferry.model.ChecksumAlgorithm;
import java.io.ByteArrayInputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.EnumSource;

class ChecksumsTest {

  @ParameterizedTest
  @CsvSource({
    "CRC32C, 123456789, e3069283",
    "ADLER32, 123456789, 091e01de",
    "MD5, 123456789, 25f9e794323b453885f5181f1b624d0b",
    "SHA256, 123456789, 15e2b0d3c33891ebb0f1ef609ec419420c20e320ce94c65fbc8c3312448eb225",
    "CRC32C, '', 00000000",
    "ADLER32, '', 00000001",
    "MD5, '', d41d8cd98f00b204e9800998ecf8427e",
    "SHA256, '', e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
  })
  void shouldMatchKnownValues(ChecksumAlgorithm algorithm, String input, String expected) {
    assertThat(Checksums.of(algorithm, input)).isEqualTo(expected);
  }

  @ParameterizedTest
  @EnumSource(ChecksumAlgorithm.class)
  void shouldGiveSameResultStreamedInPiecesOrAsBuffers(ChecksumAlgorithm algorithm) {
    byte[] data = new byte[200_003];
    for (int i = 0; i < data.length; i++) {
      data[i] = (byte) (i * 7 + i / 13);
    }
    String whole = Checksums.of(algorithm, data);

    Checksums.Hasher pieces = Checksums.hasher(algorithm);
    for (int off = 0; off < data.length; off += 4099) {
      pieces.update(data, off, Math.min(4099, data.length - off));
    }
    Checksums.Hasher buffers = Checksums.hasher(algorithm);
    buffers.update(ByteBuffer.wrap(data, 0, 1000));
    buffers.update(ByteBuffer.wrap(data, 1000, data.length - 1000));

    assertThat(pieces.bytes()).isEqualTo(data.length);
    assertThat(buffers.bytes()).isEqualTo(data.length);
    assertThat(pieces.hex()).isEqualTo(whole);
    assertThat(buffers.hex()).isEqualTo(whole);
    assertThat(Checksums.of(algorithm, new ByteArrayInputStream(data))).isEqualTo(whole);
    assertThat(whole).matches("[0-9a-f]+");
    assertThat(Checksums.of(algorithm, "other".getBytes(StandardCharsets.UTF_8)))
        .isNotEqualTo(whole);
  }
}
