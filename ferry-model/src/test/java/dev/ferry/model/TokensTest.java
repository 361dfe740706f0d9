package dev.ferry.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatNullPointerException;

import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.HashSet;
import java.util.Set;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.NullAndEmptySource;
import org.junit.jupiter.params.provider.ValueSource;

class TokensTest {
  private static final Pattern SHAPE = Pattern.compile("^ferry_[0-9A-Za-z]{43}$");
  private static final Pattern LOWERCASE_SHA256 = Pattern.compile("^[0-9a-f]{64}$");
  private static final String ALPHABET =
      "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

  private final SecureRandom random = new SecureRandom();

  @Test
  void shouldGenerateTokensOfTheDocumentedShape() {
    for (int i = 0; i < 1_000; i++) {
      String token = Tokens.generate(random);

      assertThat(token).matches(SHAPE);
      assertThat(Tokens.looksLikeToken(token)).isTrue();
    }
  }

  @Test
  void shouldNeverRepeatAToken() {
    Set<String> tokens = new HashSet<>();
    for (int i = 0; i < 20_000; i++) {
      tokens.add(Tokens.generate(random));
    }

    assertThat(tokens).hasSize(20_000);
  }

  @Test
  void shouldCarryAtLeast256BitsOfEntropy() {
    double bits = Tokens.RANDOM_CHARS * (Math.log(ALPHABET.length()) / Math.log(2));

    assertThat(bits).isGreaterThanOrEqualTo(256.0);
  }

  @Test
  void shouldDiscardRandomValuesOutsideTheAlphabetInsteadOfFoldingThem() {
    // Six-bit values 60, 61, 62, 63, 0, 1, ... with junk in the two high bits: 62 and 63 must be
    // skipped, not wrapped onto '0' and '1' as a modulo would.
    String token = Tokens.generate(new ScriptedRandom(60));

    assertThat(token).isEqualTo("ferry_yz0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcde");
  }

  @Test
  void shouldDrawEverySymbolEquallyOften() throws NoSuchAlgorithmException {
    SecureRandom seeded = SecureRandom.getInstance("SHA1PRNG");
    seeded.setSeed(20_260_101L); // seeded before first use: a reproducible stream
    long[] counts = new long[ALPHABET.length()];
    int tokens = 20_000;
    for (int i = 0; i < tokens; i++) {
      String token = Tokens.generate(seeded);
      for (int c = Tokens.PREFIX.length(); c < token.length(); c++) {
        counts[ALPHABET.indexOf(token.charAt(c))]++;
      }
    }

    double expected = (double) tokens * Tokens.RANDOM_CHARS / ALPHABET.length();
    double chiSquare = 0;
    for (long count : counts) {
      chiSquare += (count - expected) * (count - expected) / expected;
    }
    // 61 degrees of freedom: 100.9 is the 0.1% critical value. A byte-modulo-62 generator scores
    // in the thousands here.
    assertThat(chiSquare).isLessThan(100.9);
  }

  @ParameterizedTest
  @NullAndEmptySource
  @ValueSource(
      strings = {
        "ferry_",
        "ferry_0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdef",
        "ferry_0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefgh",
        "Ferry_0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefg",
        "ferry-0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefg",
        "ferry_0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdef-",
        "ferry_0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdef_",
        "ferry_0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefé",
        " ferry_0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdef",
        "ferry_0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdef ",
        "whsec_0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefg"
      })
  void shouldNotTakeTextOfAnotherShapeForAToken(String text) {
    assertThat(Tokens.looksLikeToken(text)).isFalse();
  }

  @Test
  void shouldRecogniseAWellFormedToken() {
    assertThat(Tokens.looksLikeToken("ferry_0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefg")).isTrue();
  }

  @Test
  void shouldHashToSixtyFourLowercaseHexCharacters() {
    String hash = Tokens.sha256Hex(Tokens.generate(random));

    assertThat(hash).matches(LOWERCASE_SHA256);
  }

  @Test
  void shouldHashLikeSha256OfTheUtf8Bytes() {
    assertThat(Tokens.sha256Hex("abc"))
        .isEqualTo("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    assertThat(Tokens.sha256Hex("ferry_0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefg"))
        .isEqualTo("864e229739784e80643d21fbf7e3061c1f59bf12152277cfd7de293f13abfc05");
    assertThat(Tokens.sha256Hex("ferry_é"))
        .isEqualTo("6c9fc4d31784db6da6ee97fe317b6abf8871c1a82f7d07b1578a32cd3ac3404e");
  }

  @Test
  void shouldHashTheSameTokenTheSameWayEveryTime() {
    String token = Tokens.generate(random);

    assertThat(Tokens.sha256Hex(token)).isEqualTo(Tokens.sha256Hex(token));
    assertThat(Tokens.sha256Hex(token)).isNotEqualTo(Tokens.sha256Hex(Tokens.generate(random)));
  }

  @Test
  void shouldRejectNullArguments() {
    assertThatNullPointerException().isThrownBy(() -> Tokens.generate(null));
    assertThatNullPointerException().isThrownBy(() -> Tokens.sha256Hex(null));
  }

  /** Hands out six-bit values counting up from {@code start}, with noise in the top two bits. */
  private static final class ScriptedRandom extends SecureRandom {
    private static final long serialVersionUID = 1L;
    private int next;

    ScriptedRandom(int start) {
      this.next = start;
    }

    @Override
    public void nextBytes(byte[] bytes) {
      for (int i = 0; i < bytes.length; i++) {
        int sixBits = next % 64;
        int noise = (next / 64 + i) % 4;
        bytes[i] = (byte) ((noise << 6) | sixBits);
        next++;
      }
    }
  }
}
