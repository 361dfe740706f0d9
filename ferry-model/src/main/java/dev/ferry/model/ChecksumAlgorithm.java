package dev.ferry.model;

import java.util.Arrays;
import java.util.Locale;

/** Checksums a job may ask for. CRC32C is the default: hardware-accelerated, native to S3. */
public enum ChecksumAlgorithm {
  CRC32C,
  SHA256,
  MD5,
  ADLER32;

  /** The lowercase name used on the wire and in configuration, e.g. {@code crc32c}. */
  public String wireName() {
    return name().toLowerCase(Locale.ROOT);
  }

  /**
   * The algorithm with this name, in any case.
   *
   * @throws IllegalArgumentException naming the value and the accepted names when none matches
   */
  public static ChecksumAlgorithm fromWire(String value) {
    for (ChecksumAlgorithm algorithm : values()) {
      if (algorithm.name().equalsIgnoreCase(value)) {
        return algorithm;
      }
    }
    throw new IllegalArgumentException(
        "unknown checksum algorithm '"
            + value
            + "'; expected one of "
            + Arrays.stream(values()).map(ChecksumAlgorithm::wireName).toList());
  }
}
