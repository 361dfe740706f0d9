package dev.ferry.storage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ferry.storage.StorageException.ErrorClass;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LocalFileSystemEndpointTest extends StorageEndpointContractTest {

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

  @Override
  protected Optional<Path> backingDirectory() {
    return Optional.of(root);
  }

  @BeforeEach
  void checkRoot() {
    assertThat(((LocalFileSystemEndpoint) endpoint).root()).isEqualTo(root.toAbsolutePath());
  }

  @Test
  void shouldRejectDotDotAndAbsolutePathsNamingTheReason() {
    assertThatThrownBy(() -> endpoint.open("../outside/secret.txt"))
        .isInstanceOf(InvalidPathException.class)
        .hasMessage("invalid path \"../outside/secret.txt\": contains a '..' segment");
    assertThatThrownBy(() -> endpoint.beginWrite("a/../../outside/x"))
        .isInstanceOf(InvalidPathException.class)
        .hasMessageContaining("'..'");
    assertThatThrownBy(() -> endpoint.open(outside.resolve("secret.txt").toString()))
        .isInstanceOf(InvalidPathException.class)
        .hasMessageContaining("is absolute");
    assertThatThrownBy(() -> endpoint.beginWrite("/tmp/x"))
        .isInstanceOf(InvalidPathException.class)
        .hasMessageContaining("is absolute");
  }

  @Test
  void shouldRejectReadingThroughDirectorySymlinkThatEscapes() throws IOException {
    Files.createSymbolicLink(root.resolve("link"), outside);

    assertThatThrownBy(() -> endpoint.open("link/secret.txt"))
        .isInstanceOf(InvalidPathException.class)
        .hasMessageContaining("link/secret.txt")
        .hasMessageContaining("outside the endpoint root");
    assertThatThrownBy(() -> endpoint.stat("link/secret.txt"))
        .isInstanceOf(InvalidPathException.class);
    assertThatThrownBy(() -> endpoint.list("link", null, 10))
        .isInstanceOf(InvalidPathException.class);
    assertThat(listAll("", 10)).isEmpty();
  }

  @Test
  void shouldRejectReadingFileSymlinkThatEscapes() throws IOException {
    Files.createSymbolicLink(root.resolve("evil.txt"), outside.resolve("secret.txt"));

    assertThatThrownBy(() -> endpoint.open("evil.txt"))
        .isInstanceOf(InvalidPathException.class)
        .hasMessageContaining("evil.txt");
    assertThatThrownBy(() -> endpoint.openRange("evil.txt", 2, 3))
        .isInstanceOf(InvalidPathException.class);
    assertThat(listAll("", 10)).isEmpty();
  }

  @Test
  void shouldRejectWritingThroughSymlinkThatEscapes() throws IOException {
    Files.createSymbolicLink(root.resolve("link"), outside);

    assertThatThrownBy(() -> endpoint.beginWrite("link/planted.txt"))
        .isInstanceOf(InvalidPathException.class)
        .hasMessageContaining("link/planted.txt")
        .hasMessageContaining("outside the endpoint root");
    assertThatThrownBy(() -> endpoint.beginWrite("link/deeper/planted.txt"))
        .isInstanceOf(InvalidPathException.class);
    assertThatThrownBy(() -> endpoint.delete("link/secret.txt"))
        .isInstanceOf(InvalidPathException.class);
    try (Stream<Path> files = Files.list(outside)) {
      assertThat(files).containsExactly(outside.resolve("secret.txt"));
    }
    assertThat(Files.readString(outside.resolve("secret.txt"))).isEqualTo("top secret");
  }

  @Test
  void shouldReplaceFileSymlinkOnWriteInsteadOfWritingThroughIt() throws IOException {
    Files.createSymbolicLink(root.resolve("evil.txt"), outside.resolve("secret.txt"));

    write("evil.txt", "replaced");

    assertThat(Files.isSymbolicLink(root.resolve("evil.txt"))).isFalse();
    assertThat(read("evil.txt")).isEqualTo("replaced");
    assertThat(Files.readString(outside.resolve("secret.txt"))).isEqualTo("top secret");
  }

  @Test
  void shouldFollowSymlinksThatStayInsideTheRoot() throws IOException {
    write("real/data.txt", "inside");
    Files.createSymbolicLink(root.resolve("alias"), root.resolve("real"));
    Files.createSymbolicLink(root.resolve("file-alias"), root.resolve("real/data.txt"));

    assertThat(read("alias/data.txt")).isEqualTo("inside");
    assertThat(read("file-alias")).isEqualTo("inside");
    // linked files are listed, linked directories are not descended into
    assertThat(listAll("", 10)).containsExactly("file-alias", "real/data.txt");
  }

  @Test
  void shouldWriteTemporaryFileBesideTargetAndHideIt() throws IOException {
    PendingWrite w = endpoint.beginWrite("dir/target.txt");
    w.output().write("abc".getBytes(StandardCharsets.UTF_8));
    w.output().flush();

    try (Stream<Path> files = Files.list(root.resolve("dir"))) {
      assertThat(files)
          .singleElement()
          .satisfies(
              p ->
                  assertThat(p.getFileName().toString())
                      .startsWith(LocalFileSystemEndpoint.TEMP_PREFIX)
                      .endsWith("-target.txt"));
    }
    assertThat(listAll("", 10)).isEmpty();

    w.commit();
    try (Stream<Path> files = Files.list(root.resolve("dir"))) {
      assertThat(files).containsExactly(root.resolve("dir/target.txt"));
    }
  }

  @Test
  void shouldRemoveTemporaryFileOnAbort() throws IOException {
    PendingWrite w = endpoint.beginWrite("dir/target.txt");
    w.output().write(42);
    w.abort();

    try (Stream<Path> files = Files.list(root.resolve("dir"))) {
      assertThat(files).isEmpty();
    }
  }

  @Test
  void shouldSkipStrayTemporaryFilesInListing() throws IOException {
    Files.writeString(root.resolve(".ferry-tmp-123-left-over"), "crash debris");
    write("kept", "k");

    assertThat(listAll("", 10)).containsExactly("kept");
  }

  @Test
  void shouldReportConflictWhenParentIsAFile() {
    write("file", "x");

    assertThatThrownBy(() -> endpoint.beginWrite("file/child"))
        .isInstanceOf(StorageException.class)
        .satisfies(
            e -> assertThat(((StorageException) e).errorClass()).isEqualTo(ErrorClass.CONFLICT))
        .hasMessageContaining("file/child");
  }

  @Test
  void shouldRefuseToDeleteDirectory() {
    write("dir/f", "x");

    assertThatThrownBy(() -> endpoint.delete("dir"))
        .isInstanceOf(StorageException.class)
        .hasMessageContaining("is a directory");
  }

  @Test
  void shouldOpenFileUriThroughFactory() {
    try (StorageEndpoint opened = StorageEndpoints.open(root.toUri().toString(), Map.of())) {
      assertThat(opened).isInstanceOf(LocalFileSystemEndpoint.class);
      write("via-factory", "ok");
      assertThat(opened.stat("via-factory")).isPresent();
    }
  }

  @Test
  void shouldRejectUnsupportedSchemeAndMissingRoot() {
    assertThatThrownBy(() -> StorageEndpoints.open("s3://bucket/prefix", Map.of("k", "v")))
        .isInstanceOf(StorageException.class)
        .hasMessageContaining("scheme s3 not supported yet")
        .satisfies(
            e -> assertThat(((StorageException) e).errorClass()).isEqualTo(ErrorClass.UNSUPPORTED));
    assertThatThrownBy(
            () -> StorageEndpoints.open(temp.resolve("missing").toUri().toString(), Map.of()))
        .isInstanceOf(StorageException.class)
        .satisfies(
            e -> assertThat(((StorageException) e).errorClass()).isEqualTo(ErrorClass.NOT_FOUND));
  }

  @Test
  void shouldDeclareMultipartResumeAndGroupCommitAsItsOptionalCapabilities() {
    assertThat(endpoint.capability(ServerSideChecksum.class)).isEmpty();
    assertThat(endpoint.capability(ServerSideCopy.class)).isEmpty();
    assertThat(endpoint.capability(MultipartResume.class)).containsSame((MultipartResume) endpoint);
    assertThat(endpoint.capability(GroupCommit.class)).containsSame((GroupCommit) endpoint);
    assertThat(endpoint.capability(StorageEndpoint.class)).containsSame(endpoint);
  }

  @Test
  void shouldPublishThroughGroupWhenItIsSynced() throws IOException {
    GroupCommit.Group group = ((GroupCommit) endpoint).beginGroup();
    StorageEndpoint view = group.endpoint();
    Files.writeString(root.resolve("old.txt"), "old");

    for (String path : new String[] {"a/one.txt", "a/two.txt", "b/c/three.txt", "old.txt"}) {
      try (PendingWrite w = view.beginWrite(path)) {
        w.output().write(path.getBytes(StandardCharsets.UTF_8));
        w.commit();
      }
    }
    if (((LocalFileSystemEndpoint) endpoint).stagesGroupCommits()) {
      // staged: nothing changes under the final names before the group's sync
      assertThat(root.resolve("a/one.txt")).doesNotExist();
      assertThat(Files.readString(root.resolve("old.txt"))).isEqualTo("old");
    }
    assertThat(group.sync()).isEmpty();
    assertThat(group.sync()).isEmpty(); // again, with nothing new: harmless

    assertThat(Files.readString(root.resolve("a/one.txt"))).isEqualTo("a/one.txt");
    assertThat(Files.readString(root.resolve("b/c/three.txt"))).isEqualTo("b/c/three.txt");
    assertThat(Files.readString(root.resolve("old.txt"))).isEqualTo("old.txt");

    assertThat(endpoint.list(null, null, 10).entries())
        .extracting(StorageEntry::path)
        .containsExactly("a/one.txt", "a/two.txt", "b/c/three.txt", "old.txt");
    try (Stream<Path> all = Files.walk(root)) {
      assertThat(all.map(p -> p.getFileName().toString()))
          .noneMatch(n -> n.startsWith(LocalFileSystemEndpoint.TEMP_PREFIX));
    }
  }

  @Test
  void shouldReportAGroupWriteThatCannotBePublishedAndRemoveWhatAnAbortedGroupStaged()
      throws IOException {
    GroupCommit.Group group = ((GroupCommit) endpoint).beginGroup();
    try (PendingWrite w = group.endpoint().beginWrite("later-a-directory")) {
      w.output().write(1);
      w.commit();
    }
    try (PendingWrite w = group.endpoint().beginWrite("fine")) {
      w.output().write(2);
      w.commit();
    }
    if (((LocalFileSystemEndpoint) endpoint).stagesGroupCommits()) {
      Files.createDirectories(root.resolve("later-a-directory/inside"));

      Map<String, StorageException> failed = group.sync();

      assertThat(failed).containsOnlyKeys("later-a-directory");
      assertThat(failed.get("later-a-directory").errorClass()).isEqualTo(ErrorClass.CONFLICT);
      assertThat(Files.readAllBytes(root.resolve("fine"))).containsExactly(2);
    }
    GroupCommit.Group stopped = ((GroupCommit) endpoint).beginGroup();
    try (PendingWrite w = stopped.endpoint().beginWrite("never")) {
      w.output().write(3);
      w.commit();
    }
    stopped.abort();
    assertThat(group.sync()).isEmpty();

    assertThat(root.resolve("never")).doesNotExist();
    try (Stream<Path> all = Files.walk(root)) {
      assertThat(all.map(p -> p.getFileName().toString()))
          .noneMatch(n -> n.startsWith(LocalFileSystemEndpoint.TEMP_PREFIX));
    }
  }

  @Test
  void shouldKeepGroupViewConfinedAndResumable() throws IOException {
    GroupCommit.Group group = ((GroupCommit) endpoint).beginGroup();
    StorageEndpoint view = group.endpoint();
    Files.createSymbolicLink(root.resolve("link"), outside);

    assertThatThrownBy(() -> view.beginWrite("link/x"))
        .isInstanceOf(InvalidPathException.class)
        .hasMessageContaining("outside the endpoint root");
    MultipartResume resumable = view.capability(MultipartResume.class).orElseThrow();
    try (MultipartResume.ResumableWrite w = resumable.beginResumableWrite("big.bin", 4)) {
      w.output().write(new byte[] {1, 2, 3, 4, 5});
      assertThat(w.sync()).isEqualTo(5);
      w.commit();
    }
    assertThat(group.sync()).isEmpty();
    assertThat(Files.readAllBytes(root.resolve("big.bin"))).containsExactly(1, 2, 3, 4, 5);
  }
}
