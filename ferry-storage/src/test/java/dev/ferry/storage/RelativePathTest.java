package dev.ferry.storage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class RelativePathTest {

  @ParameterizedTest
  @CsvSource({
    "a, a",
    "a/b/c.txt, a/b/c.txt",
    "./a/./b, a/b",
    "dir/, dir",
    "été/日本/🚢, été/日本/🚢",
    "with space/x y, with space/x y",
    "...,...",
    "..a/b.., ..a/b..",
    ".hidden/f, .hidden/f"
  })
  void shouldNormalize(String input, String expected) {
    assertThat(RelativePath.of(input).value()).isEqualTo(expected);
    assertThat(RelativePath.isValid(input)).isTrue();
  }

  @ParameterizedTest
  @CsvSource(
      delimiter = '|',
      value = {
        "..|contains a '..' segment",
        "../etc/passwd|contains a '..' segment",
        "a/../b|contains a '..' segment",
        "a/..|contains a '..' segment",
        "/etc/passwd|is absolute",
        "//server/share|is absolute",
        "C:/Windows|is absolute (drive letter)",
        "a\\b|contains a backslash",
        "..\\x|contains a backslash",
        "a//b|contains an empty segment",
        "a/b//|contains an empty segment",
        ".|names no file (only '.' segments)",
        "./|names no file (only '.' segments)",
        "'   '|is empty",
      })
  void shouldRejectWithReason(String input, String reason) {
    assertThatThrownBy(() -> RelativePath.of(input))
        .isInstanceOf(InvalidPathException.class)
        .hasMessage("invalid path \"" + input + "\": " + reason)
        .satisfies(
            e -> {
              InvalidPathException ipe = (InvalidPathException) e;
              assertThat(ipe.path()).isEqualTo(input);
              assertThat(ipe.reason()).isEqualTo(reason);
              assertThat(ipe.errorClass()).isEqualTo(StorageException.ErrorClass.INVALID_PATH);
              assertThat(ipe.errorClass().wireName()).isEqualTo("invalid-path");
              assertThat(ipe.retryable()).isFalse();
            });
    assertThat(RelativePath.isValid(input)).isFalse();
  }

  @ParameterizedTest
  @ValueSource(strings = {"a\u0000b", "a\nb", "tab\there", "del\u007f"})
  void shouldRejectControlCharactersAndShowThemEscaped(String input) {
    assertThatThrownBy(() -> RelativePath.of(input))
        .isInstanceOf(InvalidPathException.class)
        .hasMessageContaining("\\u00")
        .hasMessageNotContaining("\n");
  }

  @Test
  void shouldRejectNullEmptyAndOverlong() {
    assertThatThrownBy(() -> RelativePath.of(null)).hasMessage("invalid path null: is null");
    assertThatThrownBy(() -> RelativePath.of("")).hasMessageContaining("is empty");
    assertThat(RelativePath.isValid("x".repeat(RelativePath.MAX_LENGTH))).isTrue();
    assertThat(RelativePath.isValid("x".repeat(RelativePath.MAX_LENGTH + 1))).isFalse();
  }

  @Test
  void shouldNavigate() {
    RelativePath p = RelativePath.of("a/b/c.txt");
    assertThat(p.name()).isEqualTo("c.txt");
    assertThat(p.segments()).containsExactly("a", "b", "c.txt");
    assertThat(p.parent()).map(RelativePath::value).contains("a/b");
    assertThat(RelativePath.of("top").parent()).isEmpty();
    assertThat(RelativePath.of("a").resolve("b/c")).isEqualTo(RelativePath.of("a/b/c"));
    assertThatThrownBy(() -> RelativePath.of("a").resolve("../x"))
        .isInstanceOf(InvalidPathException.class);
    assertThat(p.startsWith(RelativePath.of("a"))).isTrue();
    assertThat(p.startsWith(RelativePath.of("a/b/c.txt"))).isTrue();
    assertThat(RelativePath.of("ab/c").startsWith(RelativePath.of("a"))).isFalse();
  }
}
