package dev.ferry.worker;

/**
 * The checksum of a concatenation from the checksums of its parts, without the bytes: zlib's {@code
 * crc32_combine} (over the Castagnoli polynomial, for CRC32C) and {@code adler32_combine}. This is
 * what lets a resumed copy state the exact whole-file CRC32C or Adler-32 without re-reading the
 * chunks an earlier attempt sent. Stateless; O(log n) per combination.
 */
final class ChecksumCombine {
  /** CRC-32C (Castagnoli) polynomial, reflected, as {@link java.util.zip.CRC32C} uses it. */
  private static final int CRC32C_POLY = 0x82F63B78;

  private static final int ADLER_BASE = 65521;

  /**
   * {@code X2N[k]} = x^(2^k) modulo the polynomial, in the reflected representation, for every k a
   * length in bits can need (3 + 63). zlib keeps 32 entries and wraps k at 32, which holds for its
   * CRC-32 polynomial but not for Castagnoli's, whose factor (x + 1) gives x another order: past
   * 512 MiB the wrapped table yields wrong CRCs.
   */
  private static final int[] X2N = new int[67];

  static {
    int p = 1 << 30; // x^1
    X2N[0] = p;
    for (int n = 1; n < X2N.length; n++) {
      X2N[n] = p = multModP(p, p);
    }
  }

  private ChecksumCombine() {}

  /**
   * The CRC32C of {@code A ‖ B}.
   *
   * @param crcA CRC32C of A
   * @param crcB CRC32C of B
   * @param lengthB bytes in B, at least 0
   */
  static int crc32c(int crcA, int crcB, long lengthB) {
    if (lengthB < 0) {
      throw new IllegalArgumentException("negative length " + lengthB);
    }
    return multModP(x2nModP(lengthB, 3), crcA) ^ crcB;
  }

  /**
   * The Adler-32 of {@code A ‖ B}.
   *
   * @param adlerA Adler-32 of A (1 for no bytes)
   * @param adlerB Adler-32 of B
   * @param lengthB bytes in B, at least 0
   */
  static int adler32(int adlerA, int adlerB, long lengthB) {
    if (lengthB < 0) {
      throw new IllegalArgumentException("negative length " + lengthB);
    }
    long rem = lengthB % ADLER_BASE;
    long a1 = adlerA & 0xffffL;
    long b1 = (adlerA >>> 16) & 0xffffL;
    long a2 = adlerB & 0xffffL;
    long b2 = (adlerB >>> 16) & 0xffffL;
    long sum1 = a1;
    long sum2 = (rem * sum1) % ADLER_BASE;
    sum1 += a2 + ADLER_BASE - 1;
    sum2 += b1 + b2 + ADLER_BASE - rem;
    if (sum1 >= ADLER_BASE) {
      sum1 -= ADLER_BASE;
    }
    if (sum1 >= ADLER_BASE) {
      sum1 -= ADLER_BASE;
    }
    if (sum2 >= 2L * ADLER_BASE) {
      sum2 -= 2L * ADLER_BASE;
    }
    if (sum2 >= ADLER_BASE) {
      sum2 -= ADLER_BASE;
    }
    return (int) (sum1 | (sum2 << 16));
  }

  /** a(x) · b(x) modulo p(x), bit-reflected; a must not be 0 (x^n mod p never is). */
  private static int multModP(int a, int b) {
    int m = 1 << 31;
    int p = 0;
    while (true) {
      if ((a & m) != 0) {
        p ^= b;
        if ((a & (m - 1)) == 0) {
          return p;
        }
      }
      m >>>= 1;
      b = (b & 1) != 0 ? (b >>> 1) ^ CRC32C_POLY : b >>> 1;
    }
  }

  /** x^(n · 2^k) modulo p(x). */
  private static int x2nModP(long n, int k) {
    int p = 1 << 31; // x^0
    while (n != 0) {
      if ((n & 1) != 0) {
        p = multModP(X2N[k], p);
      }
      n >>>= 1;
      k++;
    }
    return p;
  }
}
