package dev.ferry.model;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.Objects;

/**
 * Bearer tokens: {@code ferry_} followed by 43 base62 characters, 62<sup>43</sup> ≈ 2<sup>256</sup>
 * possible values. Only {@link #sha256Hex} of a token is ever stored; the token itself is shown
 * once, at creation. The fixed prefix lets secret scanners recognise a leaked token.
 *
 * <p>Stateless and thread-safe (the caller's {@code SecureRandom} is itself thread-safe).
 */
public final class Tokens {
  /** Every token starts with this. */
  public static final String PREFIX = "ferry_";

  /** Number of random base62 characters after the prefix. */
  public static final int RANDOM_CHARS = 43;

  private static final String ALPHABET =
      "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

  private Tokens() {}

  /**
   * A fresh token. Each character is drawn uniformly from the 62 symbols by rejection sampling (6
   * random bits, values 62 and 63 thrown away), so there is no modulo bias.
   */
  public static String generate(SecureRandom random) {
    Objects.requireNonNull(random, "random");
    StringBuilder token = new StringBuilder(PREFIX.length() + RANDOM_CHARS).append(PREFIX);
    byte[] buffer = new byte[64];
    int next = buffer.length;
    while (token.length() < PREFIX.length() + RANDOM_CHARS) {
      if (next == buffer.length) {
        random.nextBytes(buffer);
        next = 0;
      }
      int sixBits = buffer[next++] & 0x3F;
      if (sixBits < ALPHABET.length()) {
        token.append(ALPHABET.charAt(sixBits));
      }
    }
    return token.toString();
  }

  /**
   * True when {@code text} has the shape of a token (prefix, then exactly 43 base62 characters).
   * Says nothing about whether the token exists. Null-safe.
   */
  public static boolean looksLikeToken(String text) {
    if (text == null || text.length() != PREFIX.length() + RANDOM_CHARS) {
      return false;
    }
    if (!text.startsWith(PREFIX)) {
      return false;
    }
    for (int i = PREFIX.length(); i < text.length(); i++) {
      char c = text.charAt(i);
      boolean base62 = (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
      if (!base62) {
        return false;
      }
    }
    return true;
  }

  /**
   * The stored form of a token: SHA-256 of its UTF-8 bytes as 64 lowercase hex characters. A plain
   * (unsalted) hash is enough because tokens carry 256 bits of entropy; it also lets the token be
   * looked up by its hash.
   */
  public static String sha256Hex(String token) {
    Objects.requireNonNull(token, "token");
    try {
      byte[] digest =
          MessageDigest.getInstance("SHA-256").digest(token.getBytes(StandardCharsets.UTF_8));
      return HexFormat.of().formatHex(digest);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 unavailable", e);
    }
  }
}
