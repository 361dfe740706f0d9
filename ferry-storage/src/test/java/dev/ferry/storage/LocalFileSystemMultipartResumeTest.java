package dev.ferry.storage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ferry.storage.MultipartResume.ResumableWrite;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LocalFileSystemMultipartResumeTest extends MultipartResumeContractTest {

  @TempDir Path temp;
  private Path root;
  private Path outside;

  @Override
  protected StorageEndpoint createEndpoint() throws IOException {
    root = Files.createDirectories(temp.resolve("root"));
    outside = Files.createDirectories(temp.resolve("outside"));
    Files.writeString(outside.resolve("secret.txt"), "top secret");
    return LocalFileSystemEndpoint.at(root);
  }

  /** Ferry's temporary files anywhere under the root. */
  @Override
  protected List<String> leftovers() throws IOException {
    try (Stream<Path> files = Files.walk(root)) {
      return files
          .filter(f -> f.getFileName().toString().startsWith(LocalFileSystemEndpoint.TEMP_PREFIX))
          .map(f -> root.relativize(f).toString())
          .toList();
    }
  }

  @Override
  protected Optional<String> escapingToken() {
    return Optional.of(token("../outside/secret.txt", ".ferry-tmp-1-secret.txt"));
  }

  private static String token(String target, String tempName) {
    Base64.Encoder b64 = Base64.getUrlEncoder().withoutPadding();
    return "ferry-file-resume:1:"
        + b64.encodeToString(target.getBytes(StandardCharsets.UTF_8))
        + ":"
        + b64.encodeToString(tempName.getBytes(StandardCharsets.UTF_8));
  }

  private List<String> namesIn(Path dir) throws IOException {
    try (Stream<Path> files = Files.list(dir)) {
      return files.map(p -> p.getFileName().toString()).sorted().toList();
    }
  }

  @Test
  void shouldKeepTheTemporaryFileAsDurablePrefixWithARelativeToken() throws IOException {
    ResumableWrite write = resumable.beginResumableWrite("dir/f.bin", 4);
    write.output().write(new byte[] {1, 2, 3, 4, 5, 6});
    write.sync();
    String token = write.resumeToken();
    write.detach();

    assertThat(token).doesNotContain(root.toString()).startsWith("ferry-file-resume:1:");
    assertThat(namesIn(root.resolve("dir")))
        .singleElement()
        .satisfies(n -> assertThat(n).startsWith(LocalFileSystemEndpoint.TEMP_PREFIX));
    ResumableWrite resumed = resumable.resume(token).orElseThrow();
    assertThat(resumed.durableBytes()).isEqualTo(6);
    assertThat(resumed.resumeToken()).isNotEqualTo(token);
    resumed.abort();
    assertThat(namesIn(root.resolve("dir"))).isEmpty();
  }

  @Test
  void shouldRejectForgedTokensWithoutTouchingAnythingOutsideTheRoot() throws IOException {
    Files.writeString(outside.resolve(".ferry-tmp-1-x"), "outside temp");
    Files.createSymbolicLink(root.resolve("escape"), outside);
    Files.createSymbolicLink(root.resolve(".ferry-tmp-link-x"), outside.resolve("secret.txt"));

    for (String forged :
        List.of(
            token("../outside/x", ".ferry-tmp-1-x"),
            token("/etc/passwd", ".ferry-tmp-1-x"),
            token("x", "../outside/.ferry-tmp-1-x"),
            token("x", ".ferry-tmp-1/../../outside/secret.txt"),
            token("x", "secret.txt"),
            token("x", ".."),
            token(".ferry-tmp-a", ".ferry-tmp-b"),
            token("escape/x", ".ferry-tmp-1-x"),
            token("x", ".ferry-tmp-link-x"))) {
      assertThatThrownBy(() -> resumable.resume(forged))
          .as(forged)
          .isInstanceOf(InvalidPathException.class);
    }
    assertThatThrownBy(() -> resumable.resume("ferry-file-resume:1:%%%:???"))
        .isInstanceOf(IllegalArgumentException.class);
    assertThat(Files.readString(outside.resolve("secret.txt"))).isEqualTo("top secret");
    assertThat(Files.readString(outside.resolve(".ferry-tmp-1-x"))).isEqualTo("outside temp");
    assertThat(Files.isSymbolicLink(root.resolve(".ferry-tmp-link-x"))).isTrue();
  }

  @Test
  void shouldAnswerEmptyForATemporaryFileThatIsGone() {
    assertThat(resumable.resume(token("dir/x", ".ferry-tmp-0000-x"))).isEmpty();
    assertThat(resumable.resume(token("x", ".ferry-tmp-0000-x"))).isEmpty();
  }

  @Test
  void shouldRemoveOnlyStaleTemporaryFiles() throws IOException {
    LocalFileSystemEndpoint local = (LocalFileSystemEndpoint) endpoint;
    Instant now = Instant.parse("2026-03-01T12:00:00Z");
    FileTime old = FileTime.from(now.minusSeconds(7200));
    FileTime fresh = FileTime.from(now.minusSeconds(60));
    Files.createDirectories(root.resolve("a/b"));
    Path staleTop = Files.writeString(root.resolve(".ferry-tmp-1-f"), "x");
    Path staleDeep = Files.writeString(root.resolve("a/b/.ferry-tmp-2-g"), "x");
    Path freshDeep = Files.writeString(root.resolve("a/.ferry-tmp-3-h"), "x");
    Path oldData = Files.writeString(root.resolve("a/data"), "keep");
    Files.writeString(outside.resolve(".ferry-tmp-9-o"), "not ours");
    Files.setLastModifiedTime(outside.resolve(".ferry-tmp-9-o"), old);
    Files.createSymbolicLink(root.resolve("a/link"), outside);
    for (Path p : List.of(staleTop, staleDeep, oldData)) {
      Files.setLastModifiedTime(p, old);
    }
    Files.setLastModifiedTime(freshDeep, fresh);

    assertThat(local.removeStaleTemporaryFiles("a/b", now.minusSeconds(3600))).isEqualTo(1);
    assertThat(local.removeStaleTemporaryFiles(null, now.minusSeconds(3600))).isEqualTo(1);
    assertThat(local.removeStaleTemporaryFiles("missing", now)).isZero();

    assertThat(staleTop).doesNotExist();
    assertThat(staleDeep).doesNotExist();
    assertThat(freshDeep).exists();
    assertThat(oldData).exists();
    assertThat(outside.resolve(".ferry-tmp-9-o")).exists();
  }
}
