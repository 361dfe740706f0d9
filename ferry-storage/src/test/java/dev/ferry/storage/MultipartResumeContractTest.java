package dev.ferry.storage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.ferry.storage.MultipartResume.ResumableWrite;
import dev.ferry.storage.StorageException.ErrorClass;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The behaviour every {@link MultipartResume} adapter shares. Subclasses supply a fresh, empty
 * endpoint with the capability. The optional parts of the capability ({@link
 * ResumableWrite#readBack(long, long)}, {@link ResumableWrite#rewindTo}) are tested when the
 * adapter has them; an adapter whose {@link MultipartResume#resume} is not exclusive overrides
 * {@link #shouldHandWriteToOneResumerOnly()}.
 */
public abstract class MultipartResumeContractTest {

  protected StorageEndpoint endpoint;
  protected MultipartResume resumable;

  /** A new, empty endpoint with {@link MultipartResume}; closed after each test. */
  protected abstract StorageEndpoint createEndpoint() throws Exception;

  /** The part size the tests write with; adapters with a minimum part size override it. */
  protected int partSize() {
    return 1024;
  }

  @BeforeEach
  void openEndpoint() throws Exception {
    endpoint = createEndpoint();
    resumable =
        endpoint
            .capability(MultipartResume.class)
            .orElseThrow(() -> new AssertionError(endpoint + " lacks MultipartResume"));
  }

  @AfterEach
  void closeEndpoint() {
    endpoint.close();
  }

  protected static byte[] data(int size, long seed) {
    byte[] bytes = new byte[size];
    new SplittableRandom(seed).nextBytes(bytes);
    return bytes;
  }

  protected static byte[] readBytes(InputStream in) {
    try (in) {
      return in.readAllBytes();
    } catch (IOException e) {
      throw new AssertionError(e);
    }
  }

  protected List<String> listAll() {
    List<String> paths = new ArrayList<>();
    String token = null;
    do {
      ListPage page = endpoint.list("", token, 100);
      page.entries().forEach(e -> paths.add(e.path()));
      token = page.nextPageToken();
    } while (token != null);
    return paths;
  }

  @Test
  void shouldContinueFromDurablePrefixAndPublishOnlyOnCommit() throws IOException {
    int part = partSize();
    byte[] content = data(3 * part + 100, 1);
    ResumableWrite first = resumable.beginResumableWrite("dir/big.bin", part);
    first.output().write(content, 0, 2 * part);

    assertThat(first.sync()).isEqualTo(2L * part);
    assertThat(first.durableBytes()).isEqualTo(2L * part);
    String token = first.resumeToken();
    first.detach();
    first.close(); // no longer aborts
    assertThat(endpoint.stat("dir/big.bin")).isEmpty();
    assertThat(listAll()).isEmpty();

    ResumableWrite second = resumable.resume(token).orElseThrow();
    assertThat(second.path().value()).isEqualTo("dir/big.bin");
    assertThat(second.durableBytes()).isEqualTo(2L * part);
    second.output().write(content, 2 * part, content.length - 2 * part);
    assertThat(endpoint.stat("dir/big.bin")).isEmpty();
    second.commit();

    assertThat(readBytes(endpoint.open("dir/big.bin"))).isEqualTo(content);
    assertThat(listAll()).containsExactly("dir/big.bin");
    assertThat(resumable.resume(second.resumeToken())).isEmpty();
  }

  @Test
  void shouldNotResumeAbortedWriteNorOneClosedWithoutDetach() throws IOException {
    ResumableWrite aborted = resumable.beginResumableWrite("a", partSize());
    aborted.output().write(data(partSize(), 2));
    aborted.sync();
    String abortedToken = aborted.resumeToken();
    aborted.abort();
    ResumableWrite closed = resumable.beginResumableWrite("b", partSize());
    closed.output().write(data(partSize(), 3));
    closed.sync();
    String closedToken = closed.resumeToken();
    closed.close();

    assertThat(resumable.resume(abortedToken)).isEmpty();
    assertThat(resumable.resume(closedToken)).isEmpty();
    assertThat(listAll()).isEmpty();
  }

  @Test
  void shouldRejectMalformedToken() {
    assertThatThrownBy(() -> resumable.resume("certainly not a token"))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void shouldHandWriteToOneResumerOnly() throws IOException {
    int part = partSize();
    byte[] content = data(2 * part, 4);
    ResumableWrite stale = resumable.beginResumableWrite("f", part);
    stale.output().write(content, 0, part);
    stale.sync();
    String token = stale.resumeToken();

    ResumableWrite taken = resumable.resume(token).orElseThrow();
    assertThat(resumable.resume(token)).as("second resume of the same token").isEmpty();
    assertThatThrownBy(stale::commit).isInstanceOf(RuntimeException.class);
    assertThat(endpoint.stat("f")).as("the stale writer published nothing").isEmpty();

    taken.output().write(content, part, part);
    taken.commit();
    assertThat(readBytes(endpoint.open("f"))).isEqualTo(content);
  }

  @Test
  void shouldReadBackRangesWhileWritingOn() throws IOException {
    int part = partSize();
    byte[] content = data(2 * part + 7, 5);
    ResumableWrite write = resumable.beginResumableWrite("r", part);
    assumeTrue(supports(() -> write.readBack(0, 0)), "ranged read-back");

    write.output().write(content, 0, part + 3);
    assertThat(readBytes(write.readBack(1, part))).isEqualTo(slice(content, 1, part));
    write.output().write(content, part + 3, content.length - part - 3);
    write.sync();
    assertThat(readBytes(write.readBack(part, part))).isEqualTo(slice(content, part, part));
    assertThat(readBytes(write.readBack(2L * part, 1000))).isEqualTo(slice(content, 2 * part, 7));
    assertThat(readBytes(write.readBack(content.length, 10))).isEmpty();
    write.commit();

    assertThat(readBytes(endpoint.open("r"))).isEqualTo(content);
  }

  @Test
  void shouldRewindToDropAnUnverifiedTail() throws IOException {
    int part = partSize();
    byte[] good = data(2 * part, 6);
    ResumableWrite first = resumable.beginResumableWrite("w", part);
    first.output().write(good, 0, part);
    first.output().write(data(part, 7)); // a tail the next attempt does not trust
    first.sync();
    String token = first.resumeToken();
    first.detach();

    ResumableWrite second = resumable.resume(token).orElseThrow();
    assertThat(second.durableBytes()).isEqualTo(2L * part);
    assumeTrue(second.rewindTo(part), "rewind");
    assertThat(second.durableBytes()).isEqualTo(part);
    second.output().write(good, part, part);
    second.commit();

    assertThat(readBytes(endpoint.open("w"))).isEqualTo(good);
  }

  private static boolean supports(Runnable probe) {
    try {
      probe.run();
      return true;
    } catch (StorageException e) {
      if (e.errorClass() == ErrorClass.UNSUPPORTED) {
        return false;
      }
      throw e;
    }
  }

  private static byte[] slice(byte[] b, int from, int length) {
    byte[] out = new byte[length];
    System.arraycopy(b, from, out, 0, length);
    return out;
  }
}
