package dev.ferry.storage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The behaviour every {@link StorageEndpoint} adapter shares. Subclasses supply a fresh, empty
 * endpoint per test.
 */
public abstract class StorageEndpointContractTest {

  protected StorageEndpoint endpoint;

  /** A new, empty endpoint; closed after each test. */
  protected abstract StorageEndpoint createEndpoint() throws Exception;

  /**
   * The local directory that holds the files of the endpoint from the last {@link
   * #createEndpoint()} (a filesystem root; the SFTP server's directory for the endpoint's base), so
   * that the tests can plant symbolic links in it; empty for adapters without symbolic links (S3,
   * in-memory), whose symlink tests are then skipped.
   */
  protected Optional<Path> backingDirectory() {
    return Optional.empty();
  }

  /**
   * Stores {@code content} under {@code rawName} behind the endpoint's back, exactly as named and
   * without any validation (an S3 key below the endpoint's prefix, {@code "prefix/" + rawName}), to
   * see that the endpoint never lists or opens names no valid path has; false when the adapter
   * cannot store such names (filesystems resolve {@code ..} and {@code //} before anything is
   * stored).
   */
  protected boolean plantRawName(String rawName, String content) {
    return false;
  }

  @BeforeEach
  void openEndpoint() throws Exception {
    endpoint = createEndpoint();
  }

  @AfterEach
  void closeEndpoint() {
    endpoint.close();
  }

  protected void write(String path, String content) {
    write(path, content.getBytes(StandardCharsets.UTF_8));
  }

  protected void write(String path, byte[] content) {
    try (PendingWrite w = endpoint.beginWrite(path)) {
      w.output().write(content);
      w.commit();
    } catch (IOException e) {
      throw new AssertionError(e);
    }
  }

  protected String read(String path) {
    return new String(readBytes(endpoint.open(path)), StandardCharsets.UTF_8);
  }

  protected static byte[] readBytes(InputStream in) {
    try (in) {
      return in.readAllBytes();
    } catch (IOException e) {
      throw new AssertionError(e);
    }
  }

  protected List<String> listAll(String prefix, int pageSize) {
    List<String> paths = new ArrayList<>();
    String token = null;
    int pages = 0;
    do {
      ListPage page = endpoint.list(prefix, token, pageSize);
      assertThat(page.entries()).hasSizeLessThanOrEqualTo(pageSize);
      page.entries().forEach(e -> paths.add(e.path()));
      token = page.nextPageToken();
      assertThat(++pages).as("pages").isLessThan(10_000);
    } while (token != null);
    return paths;
  }

  @Test
  void shouldListEmptyEndpoint() {
    ListPage page = endpoint.list("", null, 10);
    assertThat(page.entries()).isEmpty();
    assertThat(page.hasMore()).isFalse();
  }

  @Test
  void shouldListRecursivelyInPathOrder() {
    write("b.txt", "b");
    write("a/x.txt", "ax");
    write("a-b.txt", "ab");
    write("a/deep/er/y.txt", "y");
    write("c/z", "z");

    assertThat(listAll(null, 100))
        .containsExactly("a-b.txt", "a/deep/er/y.txt", "a/x.txt", "b.txt", "c/z");
  }

  @Test
  void shouldPageThroughEveryFileExactlyOnce() {
    List<String> expected = new ArrayList<>();
    IntStream.range(0, 23)
        .forEach(
            i -> {
              String path = "dir" + (i % 4) + "/sub" + (i % 3) + "/f" + i;
              write(path, "x" + i);
              expected.add(path);
            });
    expected.sort(String::compareTo);

    for (int pageSize : new int[] {1, 2, 5, 22, 23, 24, 100}) {
      assertThat(listAll("", pageSize)).as("page size %d", pageSize).isEqualTo(expected);
    }
    ListPage first = endpoint.list("", null, 5);
    assertThat(first.entries()).hasSize(5);
    assertThat(first.hasMore()).isTrue();
  }

  @Test
  void shouldListUnderPrefixSegmentWise() {
    write("data/a", "1");
    write("data/sub/b", "2");
    write("database/c", "3");
    write("data-x", "4");
    write("other/d", "5");

    assertThat(listAll("data", 1)).containsExactly("data/a", "data/sub/b");
    assertThat(listAll("data/", 10)).containsExactly("data/a", "data/sub/b");
    assertThat(listAll("data/a", 10)).containsExactly("data/a");
    assertThat(listAll("nothing/here", 10)).isEmpty();
  }

  @Test
  void shouldReportSizeAndModificationTime() {
    write("dir/file.bin", new byte[1234]);

    StorageEntry entry = endpoint.stat("dir/file.bin").orElseThrow();
    assertThat(entry.path()).isEqualTo("dir/file.bin");
    assertThat(entry.size()).isEqualTo(1234);
    assertThat(entry.modified()).isNotNull();
    assertThat(endpoint.list("dir", null, 10).entries()).containsExactly(entry);
  }

  @Test
  void shouldStatMissingFileAndDirectoryAsEmpty() {
    write("dir/file", "x");

    assertThat(endpoint.stat("missing")).isEmpty();
    assertThat(endpoint.stat("dir")).isEmpty();
    assertThat(endpoint.stat("./dir/file")).map(StorageEntry::path).contains("dir/file");
  }

  @Test
  void shouldReadRanges() {
    write("r.txt", "0123456789");

    assertThat(readBytes(endpoint.openRange("r.txt", 0, 10))).asString().isEqualTo("0123456789");
    assertThat(readBytes(endpoint.openRange("r.txt", 3, 4))).asString().isEqualTo("3456");
    assertThat(readBytes(endpoint.openRange("r.txt", 7, 100))).asString().isEqualTo("789");
    assertThat(readBytes(endpoint.openRange("r.txt", 5, Long.MAX_VALUE)))
        .asString()
        .isEqualTo("56789");
    assertThat(readBytes(endpoint.openRange("r.txt", 10, 5))).isEmpty();
    assertThat(readBytes(endpoint.openRange("r.txt", 50, 5))).isEmpty();
    assertThat(readBytes(endpoint.openRange("r.txt", 2, 0))).isEmpty();
  }

  @Test
  void shouldFailToOpenMissingFileAsNotFound() {
    assertThatThrownBy(() -> endpoint.open("no/such/file"))
        .isInstanceOf(StorageException.class)
        .hasMessageContaining("no/such/file")
        .satisfies(
            e -> {
              StorageException se = (StorageException) e;
              assertThat(se.errorClass()).isEqualTo(StorageException.ErrorClass.NOT_FOUND);
              assertThat(se.retryable()).isFalse();
            });
  }

  @Test
  void shouldMakeWriteVisibleOnlyAfterCommit() throws IOException {
    PendingWrite w = endpoint.beginWrite("out/new.txt");
    w.output().write("hello".getBytes(StandardCharsets.UTF_8));
    w.output().flush();

    assertThat(endpoint.stat("out/new.txt")).isEmpty();
    assertThat(listAll("", 10)).isEmpty();
    assertThat(readBytes(w.readBack())).asString().isEqualTo("hello");
    assertThat(endpoint.stat("out/new.txt")).isEmpty();

    w.commit();

    assertThat(w.committed()).isTrue();
    assertThat(read("out/new.txt")).isEqualTo("hello");
    assertThat(listAll("", 10)).containsExactly("out/new.txt");
    w.commit(); // idempotent
    w.close(); // no abort after commit
    assertThat(read("out/new.txt")).isEqualTo("hello");
  }

  @Test
  void shouldKeepOldContentUntilCommitReplacesIt() throws IOException {
    write("f", "old");
    try (PendingWrite w = endpoint.beginWrite("f")) {
      w.output().write("new content".getBytes(StandardCharsets.UTF_8));
      assertThat(read("f")).isEqualTo("old");
      w.commit();
    }
    assertThat(read("f")).isEqualTo("new content");
    assertThat(listAll("", 10)).containsExactly("f");
  }

  @Test
  void shouldLeaveNothingAfterAbort() throws IOException {
    PendingWrite w = endpoint.beginWrite("gone/file.txt");
    w.output().write(new byte[4096]);
    w.abort();
    w.abort(); // idempotent

    assertThat(endpoint.stat("gone/file.txt")).isEmpty();
    assertThat(listAll("", 10)).isEmpty();
    assertThatThrownBy(w::commit).isInstanceOf(IllegalStateException.class);
    assertThatThrownBy(() -> w.output().write(1)).isInstanceOf(IOException.class);
  }

  @Test
  void shouldAbortUncommittedWriteOnClose() throws IOException {
    try (PendingWrite w = endpoint.beginWrite("closed.txt")) {
      w.output().write(1);
    }
    assertThat(endpoint.stat("closed.txt")).isEmpty();
    assertThat(listAll("", 10)).isEmpty();
  }

  @Test
  void shouldDelete() {
    write("d/one", "1");
    write("d/two", "2");

    assertThat(endpoint.delete("d/one")).isTrue();
    assertThat(endpoint.delete("d/one")).isFalse();
    assertThat(endpoint.delete("never/existed")).isFalse();
    assertThat(endpoint.stat("d/one")).isEmpty();
    assertThat(listAll("", 10)).containsExactly("d/two");
  }

  @Test
  void shouldHandleUnicodeNames() {
    String[] names = {"données/été.txt", "日本語/ファイル.bin", "emoji/🚢.txt", "mixed/Ωmega ü.csv"};
    for (String name : names) {
      write(name, name);
    }
    for (String name : names) {
      assertThat(read(name)).isEqualTo(name);
      assertThat(endpoint.stat(name)).isPresent();
    }
    assertThat(listAll("", 2)).containsExactlyInAnyOrder(names).isSorted();
  }

  @Test
  void shouldCreateNestedFolders() {
    write("a/b/c/d/e/f/g.txt", "deep");

    assertThat(read("a/b/c/d/e/f/g.txt")).isEqualTo("deep");
    assertThat(listAll("a/b/c", 10)).containsExactly("a/b/c/d/e/f/g.txt");
  }

  @Test
  void shouldStoreEmptyFiles() {
    write("empty", new byte[0]);

    assertThat(endpoint.stat("empty")).map(StorageEntry::size).contains(0L);
    assertThat(readBytes(endpoint.open("empty"))).isEmpty();
    assertThat(listAll("", 10)).containsExactly("empty");
  }

  @Test
  void shouldWriteLargeFileInPieces() throws IOException {
    byte[] chunk = new byte[100_000];
    for (int i = 0; i < chunk.length; i++) {
      chunk[i] = (byte) (i * 31);
    }
    try (PendingWrite w = endpoint.beginWrite("big.bin")) {
      OutputStream out = w.output();
      for (int i = 0; i < 10; i++) {
        out.write(chunk);
      }
      out.write(7);
      w.commit();
      assertThat(w.bytesWritten()).isEqualTo(1_000_001);
    }
    assertThat(endpoint.stat("big.bin")).map(StorageEntry::size).contains(1_000_001L);
    byte[] tail = readBytes(endpoint.openRange("big.bin", 999_999, 10));
    assertThat(tail).containsExactly(chunk[99_999], 7);
  }

  @Test
  void shouldRejectInvalidPathsBeforeAnyIo() {
    for (String bad : new String[] {"../x", "a/../../x", "/etc/passwd", "a\\b", "a//b", "", "."}) {
      assertThatThrownBy(() -> endpoint.stat(bad)).as(bad).isInstanceOf(InvalidPathException.class);
      assertThatThrownBy(() -> endpoint.beginWrite(bad))
          .as(bad)
          .isInstanceOf(InvalidPathException.class);
      assertThatThrownBy(() -> endpoint.open(bad)).as(bad).isInstanceOf(InvalidPathException.class);
      assertThatThrownBy(() -> endpoint.delete(bad))
          .as(bad)
          .isInstanceOf(InvalidPathException.class);
    }
    assertThatThrownBy(() -> endpoint.list("../up", null, 10))
        .isInstanceOf(InvalidPathException.class);
  }

  @Test
  void shouldRejectReadingAndWritingThroughADirectorySymlinkThatEscapes() throws IOException {
    Path outside = plantOutside();
    Files.createSymbolicLink(
        backingDirectory().orElseThrow().resolve("link"),
        Path.of("..", outside.getFileName().toString()));

    assertThatThrownBy(() -> endpoint.open("link/secret.txt"))
        .isInstanceOf(InvalidPathException.class)
        .hasMessageContaining("link/secret.txt")
        .hasMessageContaining("outside the endpoint");
    assertThatThrownBy(() -> endpoint.stat("link/secret.txt"))
        .isInstanceOf(InvalidPathException.class);
    assertThatThrownBy(() -> endpoint.list("link", null, 10))
        .isInstanceOf(InvalidPathException.class);
    assertThatThrownBy(() -> endpoint.beginWrite("link/planted.txt"))
        .isInstanceOf(InvalidPathException.class)
        .hasMessageContaining("link/planted.txt")
        .hasMessageContaining("outside the endpoint");
    assertThatThrownBy(() -> endpoint.beginWrite("link/deeper/planted.txt"))
        .isInstanceOf(InvalidPathException.class);
    assertThatThrownBy(() -> endpoint.delete("link/secret.txt"))
        .isInstanceOf(InvalidPathException.class);
    endpoint
        .capability(MultipartResume.class)
        .ifPresent(
            m ->
                assertThatThrownBy(() -> m.beginResumableWrite("link/planted.bin", 1 << 23))
                    .isInstanceOf(InvalidPathException.class));

    assertThat(listAll("", 10)).isEmpty();
    try (Stream<Path> files = Files.list(outside)) {
      assertThat(files).containsExactly(outside.resolve("secret.txt"));
    }
    assertThat(outside.resolve("secret.txt")).hasContent("top secret");
  }

  @Test
  void shouldRejectReadingAFileSymlinkThatEscapesAndReplaceItOnWrite() throws IOException {
    Path outside = plantOutside();
    Files.createSymbolicLink(
        backingDirectory().orElseThrow().resolve("evil.txt"),
        Path.of("..", outside.getFileName().toString(), "secret.txt"));

    assertThatThrownBy(() -> endpoint.openRange("evil.txt", 2, 3))
        .isInstanceOf(InvalidPathException.class)
        .hasMessageContaining("evil.txt");
    assertThatThrownBy(() -> endpoint.open("evil.txt")).isInstanceOf(InvalidPathException.class);
    assertThat(listAll("", 10)).isEmpty();

    write("evil.txt", "replaced"); // the link is replaced, not written through

    assertThat(read("evil.txt")).isEqualTo("replaced");
    assertThat(Files.isSymbolicLink(backingDirectory().orElseThrow().resolve("evil.txt")))
        .isFalse();
    assertThat(outside.resolve("secret.txt")).hasContent("top secret");
  }

  @Test
  void shouldNeverListOrOpenStoredNamesThatNoValidPathHas() {
    List<String> planted = new ArrayList<>();
    for (String raw : new String[] {"../escaped.txt", "a/../b.txt", "a//c.txt", "./d.txt"}) {
      if (plantRawName(raw, "stored as " + raw)) {
        planted.add(raw);
      }
    }
    assumeTrue(!planted.isEmpty(), "the adapter stores names no valid path has");
    write("fine.txt", "fine");

    assertThat(listAll("", 2)).containsExactly("fine.txt");
    assertThat(listAll("a", 10)).isEmpty();
    for (String bad : planted) {
      assertThatThrownBy(() -> endpoint.open(bad)).as(bad).isInstanceOf(InvalidPathException.class);
    }
  }

  /** A directory next to the backing directory, holding {@code secret.txt}. */
  private Path plantOutside() throws IOException {
    Path backing = backingDirectory().orElse(null);
    assumeTrue(backing != null, "symbolic links");
    Path outside =
        Files.createDirectories(backing.resolveSibling(backing.getFileName() + "-outside"));
    Files.writeString(outside.resolve("secret.txt"), "top secret");
    return outside;
  }

  @Test
  void shouldRejectPageSizeBelowOne() {
    assertThatThrownBy(() -> endpoint.list("", null, 0))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void shouldServeConcurrentWriters() throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(8);
    try {
      List<Future<?>> futures = new ArrayList<>();
      for (int t = 0; t < 8; t++) {
        int n = t;
        futures.add(
            pool.submit(
                () -> {
                  for (int i = 0; i < 20; i++) {
                    write("t" + n + "/f" + i, "v" + i);
                  }
                }));
      }
      for (Future<?> f : futures) {
        f.get(30, TimeUnit.SECONDS);
      }
    } finally {
      pool.shutdownNow();
    }
    assertThat(listAll("", 50)).hasSize(160);
  }
}
