package dev.ferry.worker;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.SplittableRandom;
import java.util.zip.Adler32;
import java.util.zip.CRC32C;
import java.util.zip.Checksum;
import org.junit.jupiter.api.Test;

class ChecksumCombineTest {

  private static int crc32c(byte[] b, int from, int to) {
    return value(new CRC32C(), b, from, to);
  }

  private static int adler32(byte[] b, int from, int to) {
    return value(new Adler32(), b, from, to);
  }

  private static int value(Checksum c, byte[] b, int from, int to) {
    c.update(b, from, to - from);
    return (int) c.getValue();
  }

  @Test
  void shouldCombineKnownVector() {
    byte[] digits = "123456789".getBytes(StandardCharsets.US_ASCII);

    int crc = ChecksumCombine.crc32c(crc32c(digits, 0, 5), crc32c(digits, 5, 9), 4);
    int adler = ChecksumCombine.adler32(adler32(digits, 0, 5), adler32(digits, 5, 9), 4);

    assertThat(Integer.toHexString(crc)).isEqualTo("e3069283");
    assertThat(Integer.toHexString(adler)).isEqualTo("91e01de");
  }

  @Test
  void shouldEqualDirectComputationOverRandomSplits() {
    SplittableRandom random = new SplittableRandom(42);
    for (int round = 0; round < 500; round++) {
      byte[] data = new byte[random.nextInt(0, 70_000)];
      random.nextBytes(data);
      int split = data.length == 0 ? 0 : random.nextInt(0, data.length + 1);

      int crc =
          ChecksumCombine.crc32c(
              crc32c(data, 0, split), crc32c(data, split, data.length), data.length - split);
      int adler =
          ChecksumCombine.adler32(
              adler32(data, 0, split), adler32(data, split, data.length), data.length - split);

      assertThat(crc)
          .as("crc32c, %d bytes split at %d", data.length, split)
          .isEqualTo(crc32c(data, 0, data.length));
      assertThat(adler)
          .as("adler32, %d bytes split at %d", data.length, split)
          .isEqualTo(adler32(data, 0, data.length));
    }
  }

  @Test
  void shouldFoldManyChunksFromTheChecksumOfNothing() {
    SplittableRandom random = new SplittableRandom(7);
    byte[] data = new byte[1 << 20];
    random.nextBytes(data);
    int[] cuts = random.ints(30, 0, data.length + 1).sorted().toArray();
    int[] bounds = new int[cuts.length + 2];
    System.arraycopy(cuts, 0, bounds, 1, cuts.length);
    bounds[bounds.length - 1] = data.length;

    int crc = 0; // CRC32C of no bytes
    int adler = 1; // Adler-32 of no bytes
    for (int i = 0; i + 1 < bounds.length; i++) {
      int from = bounds[i];
      int to = bounds[i + 1];
      crc = ChecksumCombine.crc32c(crc, crc32c(data, from, to), to - from);
      adler = ChecksumCombine.adler32(adler, adler32(data, from, to), to - from);
    }

    assertThat(crc).isEqualTo(crc32c(data, 0, data.length));
    assertThat(adler).isEqualTo(adler32(data, 0, data.length));
  }

  @Test
  void shouldEqualDirectComputationPast512MiBWhereLengthsInBitsPass32Bits() {
    byte[] head = "head".getBytes(StandardCharsets.US_ASCII);
    byte[] zeros = new byte[1 << 20];
    long tailLength = 600L << 20;
    CRC32C direct = new CRC32C();
    direct.update(head);
    CRC32C tail = new CRC32C();
    for (long done = 0; done < tailLength; done += zeros.length) {
      direct.update(zeros);
      tail.update(zeros);
    }

    int combined =
        ChecksumCombine.crc32c(crc32c(head, 0, head.length), (int) tail.getValue(), tailLength);

    assertThat(combined).isEqualTo((int) direct.getValue());
  }

  @Test
  void shouldCombineAcrossLengthsBeyondFourGibibytes() {
    // no direct computation at this size: check associativity, which a wrong x^(8n) breaks
    SplittableRandom random = new SplittableRandom(3);
    for (int round = 0; round < 100; round++) {
      int a = random.nextInt();
      int b = random.nextInt();
      int c = random.nextInt();
      long lengthB = random.nextLong(1, 1L << 40);
      long lengthC = random.nextLong(1, 1L << 40);

      assertThat(ChecksumCombine.crc32c(ChecksumCombine.crc32c(a, b, lengthB), c, lengthC))
          .isEqualTo(
              ChecksumCombine.crc32c(a, ChecksumCombine.crc32c(b, c, lengthC), lengthB + lengthC));
    }
    // the combination of a chunk with itself is the checksum of the chunk twice
    byte[] chunk = new byte[1 << 16];
    random.nextBytes(chunk);
    byte[] twice = Arrays.copyOf(chunk, chunk.length * 2);
    System.arraycopy(chunk, 0, twice, chunk.length, chunk.length);
    int once = crc32c(chunk, 0, chunk.length);
    assertThat(ChecksumCombine.crc32c(once, once, chunk.length))
        .isEqualTo(crc32c(twice, 0, twice.length));
  }
}
