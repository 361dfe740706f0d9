package dev.ferry.worker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ferry.model.ChecksumAlgorithm;
import dev.ferry.model.OverwritePolicy;
import dev.ferry.model.TransferMode;
import dev.ferry.model.protocol.FileItem;
import dev.ferry.model.protocol.FileResult;
import dev.ferry.model.protocol.FileResult.Status;
import dev.ferry.model.protocol.ResumePoint;
import dev.ferry.storage.Checksums;
import dev.ferry.storage.LocalFileSystemEndpoint;
import dev.ferry.storage.StorageEndpoint;
import dev.ferry.storage.StorageEntry;
import dev.ferry.testsupport.SettableClock;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.SplittableRandom;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Chunks of one large file copied several at once ({@link CopyOptions#ranges()}, {@code
 * MultipartResume.ConcurrentRanges}), on real local files: the same bytes and whole-file checksum
 * as an in-order copy, faults caught per chunk and never published, and a resume that continues
 * after the contiguous prefix of verified chunks, reading none of it again. The writes go through
 * {@link FaultInjectingEndpoint#withConcurrentRanges()}.
 */
class ParallelRangesTest {
  private static final int CHUNK = 256 * 1024;

  @TempDir Path temp;
  private Path srcRoot;
  private Path dstRoot;
  private FaultInjectingEndpoint source;
  private FaultInjectingEndpoint destination;
  private final FileCopier copier = new FileCopier(64 * 1024);
  private final SettableClock clock = new SettableClock();

  /** Records as {@link ResumableCopyTest.Recorder}; its clock moves 1 s per chunk copied. */
  private final ResumableCopyTest.Recorder control =
      new ResumableCopyTest.Recorder() {
        @Override
        public Clock clock() {
          return clock;
        }

        @Override
        public void bytesCopied(long bytes) {
          super.bytesCopied(bytes);
          clock.advance(Duration.ofMillis(bytes * 1000 / CHUNK));
        }
      };

  @BeforeEach
  void endpoints() throws IOException {
    srcRoot = Files.createDirectories(temp.resolve("src"));
    dstRoot = Files.createDirectories(temp.resolve("dst"));
    source = new FaultInjectingEndpoint(LocalFileSystemEndpoint.at(srcRoot));
    destination =
        new FaultInjectingEndpoint(LocalFileSystemEndpoint.at(dstRoot)).withConcurrentRanges();
  }

  /** Every chunk synced before it is read back and reported, as the in-order path does. */
  private static CopyOptions ranged(ChecksumAlgorithm algorithm, int ranges) {
    return new CopyOptions(TransferMode.COPY, algorithm, OverwritePolicy.ALWAYS)
        .withChunking(1, CHUNK)
        .withRanges(ranges)
        .withSyncInterval(Duration.ZERO);
  }

  private byte[] randomFile(String path, int size, long seed) throws IOException {
    byte[] data = new byte[size];
    new SplittableRandom(seed).nextBytes(data);
    Files.write(srcRoot.resolve(path), data);
    return data;
  }

  private FileResult attempt(StorageEndpoint from, String path, long size, CopyOptions options) {
    source.resetCounters();
    destination.resetCounters();
    return copier.copy(
        from,
        destination,
        new FileItem(path, path, size),
        options.withResume(control.points),
        control);
  }

  private List<String> temporaryFiles() throws IOException {
    try (Stream<Path> files = Files.walk(dstRoot)) {
      return files
          .map(p -> p.getFileName().toString())
          .filter(n -> n.startsWith(LocalFileSystemEndpoint.TEMP_PREFIX))
          .toList();
    }
  }

  private static String chunkChecksum(ChecksumAlgorithm algorithm, byte[] data, int index) {
    int from = index * CHUNK;
    return Checksums.of(
        algorithm, Arrays.copyOfRange(data, from, Math.min(data.length, from + CHUNK)));
  }

  @ParameterizedTest
  @EnumSource(
      value = ChecksumAlgorithm.class,
      names = {"CRC32C", "ADLER32"})
  void shouldCopyChunksConcurrentlyWithTheWholeFilesChecksum(ChecksumAlgorithm algorithm)
      throws IOException {
    int size = 23 * CHUNK + 4321;
    byte[] data = randomFile("big.bin", size, 7);
    // the first range read waits until a second range is open: passes only if ranges overlap
    Overlapping overlapping = new Overlapping(source, 2);

    FileResult result = attempt(overlapping, "big.bin", size, ranged(algorithm, 4));

    assertThat(result.status()).isEqualTo(Status.SUCCEEDED);
    assertThat(result.bytes()).isEqualTo(size);
    assertThat(result.checksum()).isEqualTo(Checksums.of(algorithm, data));
    assertThat(Files.readAllBytes(dstRoot.resolve("big.bin"))).isEqualTo(data);
    assertThat(temporaryFiles()).isEmpty();
    assertThat(overlapping.overlapped()).isTrue();
    assertThat(source.bytesRead()).isEqualTo(size); // every byte read once, none twice
    assertThat(destination.bytesWritten()).isEqualTo(size);
    assertThat(destination.bytesReadBack()).isEqualTo(size); // every chunk verified
    assertThat(control.copied.get()).isEqualTo(size);
    assertThat(control.points).isEmpty(); // published: nothing left to resume
    // resume points grew with the contiguous verified prefix, never past a gap
    int last = 0;
    for (ResumePoint point : control.reported) {
      List<String> sums = point.chunkChecksums();
      assertThat(sums.size()).isGreaterThan(last);
      for (int i = 0; i < sums.size(); i++) {
        assertThat(sums.get(i)).isEqualTo(chunkChecksum(algorithm, data, i));
      }
      last = sums.size();
    }
    assertThat(last).isEqualTo(24);
  }

  @Test
  void shouldUseTheInOrderPathForDigestsThatCannotBeCombined() throws IOException {
    int size = 9 * CHUNK;
    byte[] data = randomFile("sha.bin", size, 8);
    Overlapping overlapping = new Overlapping(source, 1); // counts, never waits

    FileResult result = attempt(overlapping, "sha.bin", size, ranged(ChecksumAlgorithm.SHA256, 4));

    assertThat(result.status()).isEqualTo(Status.SUCCEEDED);
    assertThat(result.checksum()).isEqualTo(Checksums.of(ChecksumAlgorithm.SHA256, data));
    assertThat(overlapping.opened()).isEqualTo(1); // one stream from byte 0: no ranges
  }

  @Test
  void shouldCatchAByteFlippedInOneRangeNeverPublishAndResumeAfterTheVerifiedPrefix()
      throws IOException {
    int size = 16 * CHUNK + 99;
    byte[] data = randomFile("f.bin", size, 9);
    destination.flipOnWrite(11L * CHUNK + 5);

    FileResult first = attempt(source, "f.bin", size, ranged(ChecksumAlgorithm.CRC32C, 4));

    assertThat(first.status()).isEqualTo(Status.FAILED);
    assertThat(first.error().errorClass()).isEqualTo("checksum-mismatch");
    assertThat(first.error().retryable()).isTrue();
    assertThat(first.error().message()).contains("chunk 11", "nothing published");
    assertThat(destination.stat("f.bin")).isEmpty();
    ResumePoint point = control.points.get("f.bin");
    List<String> kept = point == null ? List.of() : point.chunkChecksums();
    assertThat(kept).hasSizeLessThanOrEqualTo(11); // never the corrupt chunk or anything after it
    for (int i = 0; i < kept.size(); i++) {
      assertThat(kept.get(i)).isEqualTo(chunkChecksum(ChecksumAlgorithm.CRC32C, data, i));
    }
    // kept for the retry when it holds verified chunks (almost always: chunk 11 is in the third
    // round of four ranges; only if chunk 0 were still unverified would nothing be kept)
    assertThat(temporaryFiles()).hasSize(kept.isEmpty() ? 0 : 1);

    FileResult second = attempt(source, "f.bin", size, ranged(ChecksumAlgorithm.CRC32C, 4));

    assertThat(second.status()).isEqualTo(Status.SUCCEEDED);
    assertThat(second.checksum()).isEqualTo(Checksums.of(ChecksumAlgorithm.CRC32C, data));
    assertThat(Files.readAllBytes(dstRoot.resolve("f.bin"))).isEqualTo(data);
    assertThat(temporaryFiles()).isEmpty();
    long prefix = (long) kept.size() * CHUNK;
    assertThat(source.lowestReadOffset()).isEqualTo(prefix); // nothing of the prefix again
    assertThat(source.bytesRead()).isEqualTo(size - prefix);
  }

  @Test
  void shouldKeepVerifiedChunksWhenTheSourceDropsAndResumeFromThem() throws IOException {
    int size = 20 * CHUNK;
    byte[] data = randomFile("d.bin", size, 10);
    source.dropReadAt(14L * CHUNK + 1000);

    FileResult first = attempt(source, "d.bin", size, ranged(ChecksumAlgorithm.CRC32C, 3));

    assertThat(first.status()).isEqualTo(Status.FAILED);
    assertThat(first.error().errorClass()).isEqualTo("io");
    assertThat(first.error().retryable()).isTrue();
    assertThat(first.error().message()).contains("connection reset");
    ResumePoint point = control.points.get("d.bin");
    int kept = point == null ? 0 : point.chunkChecksums().size();
    assertThat(kept).isBetween(0, 14);
    assertThat(temporaryFiles()).hasSize(kept == 0 ? 0 : 1);

    FileResult second = attempt(source, "d.bin", size, ranged(ChecksumAlgorithm.CRC32C, 3));

    assertThat(second.status()).isEqualTo(Status.SUCCEEDED);
    assertThat(Files.readAllBytes(dstRoot.resolve("d.bin"))).isEqualTo(data);
    assertThat(source.lowestReadOffset()).isEqualTo((long) kept * CHUNK);
    assertThat(temporaryFiles()).isEmpty();
  }

  @Test
  void shouldStopAllRangesOnRequestAndKeepOnlyTheVerifiedPrefix() throws IOException {
    int size = 24 * CHUNK;
    byte[] data = randomFile("s.bin", size, 11);
    control.stopAfter = 10L * CHUNK;
    control.keepOnStop = true;

    assertThatThrownBy(() -> attempt(source, "s.bin", size, ranged(ChecksumAlgorithm.CRC32C, 4)))
        .isInstanceOf(CopyStoppedException.class);

    assertThat(destination.stat("s.bin")).isEmpty();
    ResumePoint point = control.points.get("s.bin");
    int kept = point == null ? 0 : point.chunkChecksums().size();
    assertThat(temporaryFiles()).hasSize(kept == 0 ? 0 : 1);
    // at most one chunk per range past the bytes copied when the stop came
    assertThat(kept).isLessThanOrEqualTo(10 + 3);

    control.stopAfter = Long.MAX_VALUE;
    FileResult second = attempt(source, "s.bin", size, ranged(ChecksumAlgorithm.CRC32C, 4));

    assertThat(second.status()).isEqualTo(Status.SUCCEEDED);
    assertThat(Files.readAllBytes(dstRoot.resolve("s.bin"))).isEqualTo(data);
    assertThat(source.bytesRead()).isEqualTo(size - (long) kept * CHUNK);
    assertThat(temporaryFiles()).isEmpty();
  }

  @Test
  void shouldFailAsSourceChangedWhenTheSourceGrewMeanwhile() throws IOException {
    int size = 8 * CHUNK;
    randomFile("g.bin", size, 12);
    Path file = srcRoot.resolve("g.bin");
    // stat says 8 chunks; the file then grows before the copy reads its end
    StorageEndpoint growing =
        new ForwardingEndpoint(source) {
          @Override
          public Optional<StorageEntry> stat(String path) {
            Optional<StorageEntry> entry = super.stat(path);
            try {
              Files.write(file, new byte[] {1, 2, 3}, java.nio.file.StandardOpenOption.APPEND);
            } catch (IOException e) {
              throw new java.io.UncheckedIOException(e);
            }
            return entry;
          }
        };

    FileResult result = attempt(growing, "g.bin", size, ranged(ChecksumAlgorithm.CRC32C, 4));

    assertThat(result.status()).isEqualTo(Status.FAILED);
    assertThat(result.error().errorClass()).isEqualTo(FileCopier.SOURCE_CHANGED);
    assertThat(destination.stat("g.bin")).isEmpty();
    assertThat(temporaryFiles()).isEmpty(); // a changed source keeps nothing
  }

  @Test
  void shouldSyncAndReportOnlyAtCheckpointsAndOnceMoreBeforePublishing() throws IOException {
    int size = 24 * CHUNK;
    byte[] data = randomFile("c.bin", size, 13);
    long syncsBefore = destination.rangeSyncs();

    FileResult result =
        attempt(
            source,
            "c.bin",
            size,
            ranged(ChecksumAlgorithm.CRC32C, 4).withSyncInterval(Duration.ofSeconds(6)));

    assertThat(result.status()).isEqualTo(Status.SUCCEEDED);
    assertThat(Files.readAllBytes(dstRoot.resolve("c.bin"))).isEqualTo(data);
    // 24 chunks at 1 s each on the task's clock, a checkpoint at most every 6 s: a handful of
    // syncs (each reported as a resume point) and the last one before the commit, not 24
    long syncs = destination.rangeSyncs() - syncsBefore;
    assertThat(syncs).isBetween(2L, 5L);
    assertThat(control.reported).hasSize((int) syncs - 1);
    for (ResumePoint point : control.reported) {
      assertThat(point.chunkChecksums().size()).isBetween(1, 23);
    }
  }

  @Test
  void shouldKeepNothingWhenAFailureComesBeforeTheFirstCheckpoint() throws IOException {
    int size = 20 * CHUNK;
    randomFile("n.bin", size, 14);
    source.dropReadAt(14L * CHUNK + 1000);

    FileResult first =
        attempt(
            source,
            "n.bin",
            size,
            ranged(ChecksumAlgorithm.CRC32C, 4).withSyncInterval(Duration.ofMinutes(5)));

    assertThat(first.status()).isEqualTo(Status.FAILED);
    assertThat(first.error().retryable()).isTrue();
    assertThat(control.reported).isEmpty(); // verified but never synced: not resumable
    assertThat(control.points).isEmpty();
    assertThat(temporaryFiles()).isEmpty();
    assertThat(destination.stat("n.bin")).isEmpty();
  }

  /**
   * A source whose first opened range blocks its first read until {@code wanted} ranges are open at
   * the same time (at most 10 s): proof that ranges overlap, without timing anything.
   */
  private static final class Overlapping extends ForwardingEndpoint {
    private final CountDownLatch open;
    private final AtomicInteger opened = new AtomicInteger();
    private volatile boolean overlapped;

    Overlapping(StorageEndpoint delegate, int wanted) {
      super(delegate);
      this.open = new CountDownLatch(wanted);
    }

    boolean overlapped() {
      return overlapped;
    }

    int opened() {
      return opened.get();
    }

    @Override
    public InputStream openRange(String path, long offset, long length) {
      boolean first = opened.incrementAndGet() == 1;
      open.countDown();
      InputStream in = super.openRange(path, offset, length);
      if (!first) {
        return in;
      }
      return new FilterInputStream(in) {
        private boolean waited;

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
          if (!waited) {
            waited = true;
            try {
              overlapped = open.await(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
              Thread.currentThread().interrupt();
              throw new java.io.InterruptedIOException();
            }
          }
          return super.read(b, off, len);
        }
      };
    }
  }
}
