package dev.ferry.storage;

import dev.ferry.model.ChecksumAlgorithm;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.zip.Adler32;
import java.util.zip.CRC32C;
import java.util.zip.Checksum;

/**
 * Streaming checksums keyed by {@link ChecksumAlgorithm}, rendered as lowercase hex: CRC32C and
 * Adler-32 as 8 hex digits of the big-endian 32-bit value (CRC32C of {@code "123456789"} is {@code
 * e3069283}), SHA-256 and MD5 as the hex of the digest bytes.
 */
public final class Checksums {
  private static final HexFormat HEX = HexFormat.of();

  private Checksums() {}

  /**
   * An incremental checksum. Not thread-safe; one hasher per stream. {@link #hex()} may be called
   * once; the hasher is spent afterwards.
   */
  public interface Hasher {
    ChecksumAlgorithm algorithm();

    void update(byte[] bytes, int offset, int length);

    default void update(byte[] bytes) {
      update(bytes, 0, bytes.length);
    }

    void update(ByteBuffer buffer);

    /** Bytes hashed so far. */
    long bytes();

    /** The checksum of everything hashed, lowercase hex. */
    String hex();
  }

  /** A fresh hasher for {@code algorithm}. */
  public static Hasher hasher(ChecksumAlgorithm algorithm) {
    return switch (algorithm) {
      case CRC32C -> new ChecksumHasher(algorithm, new CRC32C());
      case ADLER32 -> new ChecksumHasher(algorithm, new Adler32());
      case SHA256 -> new DigestHasher(algorithm, "SHA-256");
      case MD5 -> new DigestHasher(algorithm, "MD5");
    };
  }

  /** The checksum of {@code bytes}. */
  public static String of(ChecksumAlgorithm algorithm, byte[] bytes) {
    Hasher hasher = hasher(algorithm);
    hasher.update(bytes);
    return hasher.hex();
  }

  /** The checksum of {@code text} encoded as UTF-8. */
  public static String of(ChecksumAlgorithm algorithm, String text) {
    return of(algorithm, text.getBytes(StandardCharsets.UTF_8));
  }

  /**
   * The checksum of everything {@code in} yields. Does not close {@code in}.
   *
   * @throws UncheckedIOException when reading fails
   */
  public static String of(ChecksumAlgorithm algorithm, InputStream in) {
    Hasher hasher = hasher(algorithm);
    byte[] buffer = new byte[64 * 1024];
    try {
      for (int n; (n = in.read(buffer)) >= 0; ) {
        hasher.update(buffer, 0, n);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(
          "reading for " + algorithm.wireName() + " failed after " + hasher.bytes() + " bytes", e);
    }
    return hasher.hex();
  }

  private static final class ChecksumHasher implements Hasher {
    private final ChecksumAlgorithm algorithm;
    private final Checksum checksum;
    private long bytes;

    ChecksumHasher(ChecksumAlgorithm algorithm, Checksum checksum) {
      this.algorithm = algorithm;
      this.checksum = checksum;
    }

    @Override
    public ChecksumAlgorithm algorithm() {
      return algorithm;
    }

    @Override
    public void update(byte[] b, int off, int len) {
      checksum.update(b, off, len);
      bytes += len;
    }

    @Override
    public void update(ByteBuffer buffer) {
      bytes += buffer.remaining();
      checksum.update(buffer);
    }

    @Override
    public long bytes() {
      return bytes;
    }

    @Override
    public String hex() {
      return HEX.toHexDigits((int) checksum.getValue());
    }
  }

  private static final class DigestHasher implements Hasher {
    private final ChecksumAlgorithm algorithm;
    private final MessageDigest digest;
    private long bytes;

    DigestHasher(ChecksumAlgorithm algorithm, String name) {
      this.algorithm = algorithm;
      try {
        this.digest = MessageDigest.getInstance(name);
      } catch (NoSuchAlgorithmException e) {
        throw new IllegalStateException(name + " unavailable in this JVM", e);
      }
    }

    @Override
    public ChecksumAlgorithm algorithm() {
      return algorithm;
    }

    @Override
    public void update(byte[] b, int off, int len) {
      digest.update(b, off, len);
      bytes += len;
    }

    @Override
    public void update(ByteBuffer buffer) {
      bytes += buffer.remaining();
      digest.update(buffer);
    }

    @Override
    public long bytes() {
      return bytes;
    }

    @Override
    public String hex() {
      return HEX.formatHex(digest.digest());
    }
  }
}
