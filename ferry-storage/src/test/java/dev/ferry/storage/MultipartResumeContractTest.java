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
import java.util.Optional;
import java.util.SplittableRandom;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The behaviour every {@link MultipartResume} adapter shares. Subclasses supply a fresh, empty
 * endpoint with the capability. The optional parts of the capability ({@link
 * ResumableWrite#readBack(long, long)}, {@link ResumableWrite#rewindTo}) are tested when the
 * adapter has them; an adapter whose {@link MultipartResume#resume} cannot be exclusive (S3: an
 * upload has no owner) says so with {@link #exclusiveResume()}, and is then held to the weaker
 * promise that a stale writer still never publishes over the one that committed.
 *
 * <p>Every test ends by asking the adapter for what it left behind ({@link #leftovers()}):
 * temporary files, open multipart uploads, pending in-memory writes. A committed, aborted or
 * discarded write must leave nothing; only a detached one may.
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

  /**
   * Whether {@link MultipartResume#resume} hands a write to one resumer only (true for files, whose
   * temporary file the resumer renames). Adapters that cannot lock a write override it with false.
   */
  protected boolean exclusiveResume() {
    return true;
  }

  /**
   * What the adapter keeps for unfinished writes, as the adapter sees it from outside the endpoint
   * (temporary files on disk, open multipart uploads, pending writes): one line per item. Used to
   * check that committing, aborting and closing leave nothing, and that detaching leaves exactly
   * the write for the next attempt.
   */
  protected abstract List<String> leftovers() throws Exception;

  /**
   * A token in this adapter's format that names a write outside the endpoint's root ({@code ../x},
   * another bucket or prefix); empty when the format has nothing that could escape.
   */
  protected Optional<String> escapingToken() {
    return Optional.empty();
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

  /**
   * {@link MultipartResume.ConcurrentRanges}, where a write offers it: parts written out of order
   * from several threads at once read back as written and publish as one file; a detached write
   * resumes with everything that was synced (holes and parts past a gap included), and cutting it
   * back to a contiguous prefix lets an in-order writer finish it.
   */
  @Test
  void shouldWriteRangesConcurrentlyOutOfOrderAndResumeFromAPrefix() throws Exception {
    int part = partSize();
    int parts = 6;
    byte[] content = data(parts * part + 77, 21);
    ResumableWrite write = resumable.beginResumableWrite("ranges/file.bin", part);
    Optional<MultipartResume.ConcurrentRanges> offered = write.concurrentRanges();
    if (offered.isEmpty()) {
      write.abort();
      assertThat(leftovers()).isEmpty();
      assumeTrue(false, "no concurrent ranges: the in-order path applies");
    }
    MultipartResume.ConcurrentRanges ranges = offered.get();
    // parts 5, 3, 1 from three threads at once (part 5 is the short last one, which ends the file)
    List<Thread> threads = new ArrayList<>();
    List<Throwable> failures = java.util.Collections.synchronizedList(new ArrayList<>());
    for (int p : new int[] {5, 3, 1}) {
      int from = p * part;
      int len = p == 5 ? content.length - from : part;
      Thread t =
          new Thread(
              () -> {
                try {
                  ranges.writeAt(from, java.nio.ByteBuffer.wrap(content, from, len));
                  ranges.sync();
                } catch (Throwable e) {
                  failures.add(e);
                }
              });
      threads.add(t);
      t.start();
    }
    for (Thread t : threads) {
      t.join(10_000);
    }
    assertThat(failures).isEmpty();
    assertThat(readBytes(write.readBack(3L * part, part)))
        .isEqualTo(java.util.Arrays.copyOfRange(content, 3 * part, 4 * part));
    assertThat(readBytes(write.readBack(5L * part, content.length)))
        .isEqualTo(java.util.Arrays.copyOfRange(content, 5 * part, content.length));
    assertThat(write.durableBytes()).isEqualTo(content.length); // up to the furthest synced end
    ranges.writeAt(0, java.nio.ByteBuffer.wrap(content, 0, part));
    ranges.sync();
    String token = write.resumeToken();
    write.detach();
    assertThat(leftovers()).hasSize(1);

    // parts 0 and 1 are a verified prefix; 2 and 4 are holes; the resumer keeps only the prefix
    ResumableWrite resumed = resumable.resume(token).orElseThrow();
    assertThat(resumed.durableBytes()).isGreaterThanOrEqualTo(2L * part);
    assertThat(resumed.rewindTo(2L * part)).isTrue();
    assertThat(resumed.durableBytes()).isEqualTo(2L * part);
    resumed.output().write(content, 2 * part, content.length - 2 * part);
    resumed.commit();

    assertThat(readBytes(endpoint.open("ranges/file.bin"))).isEqualTo(content);
    assertThat(leftovers()).isEmpty();
  }

  @Test
  void shouldContinueFromDurablePrefixAndPublishOnlyOnCommit() throws Exception {
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
    assertThat(leftovers()).as("the detached write, kept for the next attempt").hasSize(1);

    ResumableWrite second = resumable.resume(token).orElseThrow();
    assertThat(second.path().value()).isEqualTo("dir/big.bin");
    assertThat(second.durableBytes()).isEqualTo(2L * part);
    second.output().write(content, 2 * part, content.length - 2 * part);
    assertThat(endpoint.stat("dir/big.bin")).isEmpty();
    second.commit();

    assertThat(readBytes(endpoint.open("dir/big.bin"))).isEqualTo(content);
    assertThat(listAll()).containsExactly("dir/big.bin");
    assertThat(resumable.resume(second.resumeToken())).isEmpty();
    assertThat(leftovers()).isEmpty();
  }

  @Test
  void shouldNotResumeAbortedWriteNorOneClosedWithoutDetach() throws Exception {
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
    assertThat(leftovers()).isEmpty();
  }

  @Test
  void shouldRejectMalformedToken() {
    assertThatThrownBy(() -> resumable.resume("certainly not a token"))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void shouldHandWriteToOneResumerOnly() throws Exception {
    int part = partSize();
    byte[] content = data(2 * part, 4);
    ResumableWrite stale = resumable.beginResumableWrite("f", part);
    stale.output().write(content, 0, part);
    assertThat(stale.sync()).isEqualTo(part);
    String token = stale.resumeToken();

    ResumableWrite taken = resumable.resume(token).orElseThrow();
    if (exclusiveResume()) {
      assertThat(resumable.resume(token)).as("second resume of the same token").isEmpty();
      assertThatThrownBy(stale::commit).isInstanceOf(RuntimeException.class);
      assertThat(endpoint.stat("f")).as("the stale writer published nothing").isEmpty();
      taken.output().write(content, part, part);
      taken.commit();
    } else {
      // every resumer gets the write; the first commit publishes and ends it for everyone else
      assertThat(resumable.resume(token)).as("not exclusive").isPresent();
      taken.output().write(content, part, part);
      taken.commit();
      assertThatThrownBy(stale::commit)
          .isInstanceOfSatisfying(
              StorageException.class,
              e -> assertThat(e.errorClass()).isEqualTo(ErrorClass.NOT_FOUND));
    }
    assertThat(readBytes(endpoint.open("f"))).isEqualTo(content);
    assertThat(leftovers()).isEmpty();
  }

  @Test
  void shouldReadBackRangesWhileWritingOn() throws Exception {
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
    assertThat(leftovers()).isEmpty();
  }

  @Test
  void shouldRewindToDropAnUnverifiedTail() throws Exception {
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
    assertThat(leftovers()).isEmpty();
  }

  @Test
  void shouldRewindToTheStartAndWriteEverythingAgain() throws Exception {
    int part = partSize();
    byte[] content = data(2 * part + 11, 8);
    ResumableWrite first = resumable.beginResumableWrite("again", part);
    first.output().write(data(2 * part, 9)); // none of it trusted by the next attempt
    first.sync();
    String token = first.resumeToken();
    first.detach();

    ResumableWrite second = resumable.resume(token).orElseThrow();
    assumeTrue(second.rewindTo(0), "rewind");
    assertThat(second.durableBytes()).isZero();
    second.output().write(content);
    second.commit();

    assertThat(readBytes(endpoint.open("again"))).isEqualTo(content);
    assertThat(leftovers()).isEmpty();
  }

  @Test
  void shouldLeaveARewindToAnOffsetItCannotCutAtWithoutEffect() throws Exception {
    int part = partSize();
    byte[] content = data(2 * part, 10);
    ResumableWrite write = resumable.beginResumableWrite("odd", part);
    write.output().write(content);
    long durable = write.sync();

    boolean cut = write.rewindTo(durable - 1);
    if (cut) {
      assertThat(write.durableBytes()).isEqualTo(durable - 1);
      write.output().write(content, (int) durable - 1, 1);
    } else {
      assertThat(write.durableBytes()).as("unchanged by a refused rewind").isEqualTo(durable);
    }
    write.output().write(content, (int) durable, content.length - (int) durable);
    write.commit();

    assertThat(readBytes(endpoint.open("odd"))).isEqualTo(content);
    assertThat(leftovers()).isEmpty();
  }

  @Test
  void shouldLoseOnlyWhatWasNotDurableWhenDetached() throws Exception {
    int part = partSize();
    byte[] content = data(3 * part, 11);
    ResumableWrite first = resumable.beginResumableWrite("partial", part);
    first.output().write(content, 0, part + part / 2); // a part and a half
    long durable = first.sync();
    assertThat(durable)
        .as("durable after sync: at least every full part, at most what was written")
        .isBetween((long) part, (long) part + part / 2);
    String token = first.resumeToken();
    first.detach();

    ResumableWrite second = resumable.resume(token).orElseThrow();
    assertThat(second.durableBytes()).isEqualTo(durable);
    second.output().write(content, (int) durable, content.length - (int) durable);
    second.commit();

    assertThat(readBytes(endpoint.open("partial"))).isEqualTo(content);
    assertThat(leftovers()).isEmpty();
  }

  @Test
  void shouldPublishAnEmptyResumableWrite() throws Exception {
    ResumableWrite write = resumable.beginResumableWrite("empty", partSize());
    assertThat(write.sync()).isZero();
    write.commit();

    assertThat(endpoint.stat("empty")).map(StorageEntry::size).contains(0L);
    assertThat(leftovers()).isEmpty();
  }

  @Test
  void shouldDiscardAResumedWriteOnAbortLeavingNothing() throws Exception {
    int part = partSize();
    ResumableWrite first = resumable.beginResumableWrite("discard/me", part);
    first.output().write(data(2 * part, 12));
    first.sync();
    String token = first.resumeToken();
    first.detach();

    ResumableWrite second = resumable.resume(token).orElseThrow();
    second.abort();

    assertThat(resumable.resume(token)).isEmpty();
    assertThat(endpoint.stat("discard/me")).isEmpty();
    assertThat(leftovers()).isEmpty();
  }

  @Test
  void shouldRefuseTokenNamingAPathOutsideTheEndpoint() throws Exception {
    Optional<String> forged = escapingToken();
    assumeTrue(forged.isPresent(), "the adapter can forge an escaping token");

    assertThatThrownBy(() -> resumable.resume(forged.get()))
        .isInstanceOfAny(IllegalArgumentException.class, InvalidPathException.class);
    assertThat(leftovers()).isEmpty();
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
