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
import dev.ferry.storage.MultipartResume;
import dev.ferry.storage.MultipartResume.ResumableWrite;
import java.io.IOException;
import java.io.InputStream;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Large files in chunks: verified per chunk, resumed after faults, never published wrong. Real
 * local filesystems on both sides, broken on purpose by {@link FaultInjectingEndpoint}; each call
 * of {@link #attempt} plays one task attempt, given the resume points the previous ones reported
 * (as the control plane hands them back in the next lease).
 */
class ResumableCopyTest {
  private static final int CHUNK = 256 * 1024;
  private static final long MIB = 1024 * 1024;

  @TempDir Path temp;
  private Path srcRoot;
  private Path dstRoot;
  private FaultInjectingEndpoint source;
  private FaultInjectingEndpoint destination;
  private final FileCopier copier = new FileCopier(64 * 1024);
  private final Recorder control = new Recorder();

  @BeforeEach
  void endpoints() throws IOException {
    srcRoot = Files.createDirectories(temp.resolve("src"));
    dstRoot = Files.createDirectories(temp.resolve("dst"));
    source = new FaultInjectingEndpoint(LocalFileSystemEndpoint.at(srcRoot));
    destination = new FaultInjectingEndpoint(LocalFileSystemEndpoint.at(dstRoot));
  }

  private static CopyOptions chunked(ChecksumAlgorithm algorithm) {
    return new CopyOptions(TransferMode.COPY, algorithm, OverwritePolicy.ALWAYS)
        .withChunking(1, CHUNK);
  }

  private static FileItem item(String path, long size) {
    return new FileItem(path, path, size);
  }

  private byte[] randomFile(String path, int size, long seed) throws IOException {
    byte[] data = new byte[size];
    new SplittableRandom(seed).nextBytes(data);
    Files.write(srcRoot.resolve(path), data);
    return data;
  }

  /** One attempt with the resume points reported so far, counters reset. */
  private FileResult attempt(FileItem item, CopyOptions options) {
    source.resetCounters();
    destination.resetCounters();
    return copier.copy(source, destination, item, options.withResume(control.points), control);
  }

  private List<String> temporaryFiles() throws IOException {
    try (Stream<Path> files = Files.walk(dstRoot)) {
      return files
          .map(p -> p.getFileName().toString())
          .filter(n -> n.startsWith(LocalFileSystemEndpoint.TEMP_PREFIX))
          .toList();
    }
  }

  private void assertPublishedExactly(String path, byte[] data) throws IOException {
    assertThat(Files.mismatch(srcRoot.resolve(path), dstRoot.resolve(path))).isEqualTo(-1L);
    assertThat(Files.readAllBytes(dstRoot.resolve(path))).isEqualTo(data);
    assertThat(temporaryFiles()).isEmpty();
  }

  private static void assertFailed(FileResult result, String errorClass) {
    assertThat(result.status()).isEqualTo(Status.FAILED);
    assertThat(result.error().errorClass()).isEqualTo(errorClass);
    assertThat(result.error().retryable()).isTrue();
    assertThat(result.bytes()).isZero();
  }

  @Test
  void shouldDetectByteFlippedOnWriteNeverPublishItAndResumeAfterTheLastGoodChunk()
      throws IOException {
    int size = 9 * CHUNK + 123;
    byte[] data = randomFile("big.bin", size, 1);
    destination.flipOnWrite(5L * CHUNK + 1000);

    FileResult first = attempt(item("big.bin", size), chunked(ChecksumAlgorithm.CRC32C));

    assertFailed(first, "checksum-mismatch");
    assertThat(first.error().message())
        .contains("big.bin", "chunk 5", "crc32c", "nothing published");
    assertThat(destination.stat("big.bin")).isEmpty();
    assertThat(temporaryFiles()).hasSize(1); // the five verified chunks, kept for the retry
    assertThat(control.points.get("big.bin").chunkChecksums()).hasSize(5);

    FileResult second = attempt(item("big.bin", size), chunked(ChecksumAlgorithm.CRC32C));

    assertThat(second.status()).isEqualTo(Status.SUCCEEDED);
    assertThat(second.bytes()).isEqualTo(size);
    assertThat(second.checksum()).isEqualTo(Checksums.of(ChecksumAlgorithm.CRC32C, data));
    assertPublishedExactly("big.bin", data);
    long remainder = size - 5L * CHUNK; // the corrupt chunk is sent again, nothing before it
    assertThat(source.bytesRead()).isEqualTo(remainder);
    assertThat(source.lowestReadOffset()).isEqualTo(5L * CHUNK);
    assertThat(destination.bytesWritten()).isEqualTo(remainder);
    assertThat(control.points).isEmpty();
  }

  @Test
  void shouldTreatByteFlippedOnReadBackAsMismatchAndSucceedOnRetry() throws IOException {
    int size = 6 * CHUNK;
    byte[] data = randomFile("f", size, 2);
    destination.flipOnReadBack(3L * CHUNK + 7);

    FileResult first = attempt(item("f", size), chunked(ChecksumAlgorithm.CRC32C));
    FileResult second = attempt(item("f", size), chunked(ChecksumAlgorithm.CRC32C));

    assertFailed(first, "checksum-mismatch");
    assertThat(first.error().message()).contains("chunk 3");
    assertThat(second.status()).isEqualTo(Status.SUCCEEDED);
    assertPublishedExactly("f", data);
    assertThat(source.bytesRead()).isEqualTo(size - 3L * CHUNK);
  }

  @Test
  void shouldDetectByteFlippedOnWriteOfSmallFileCopiedWhole() throws IOException {
    byte[] data = randomFile("small", 100_000, 3);
    destination.flipOnWrite(50_000);
    CopyOptions defaults =
        new CopyOptions(TransferMode.COPY, ChecksumAlgorithm.CRC32C, OverwritePolicy.ALWAYS);

    FileResult first = attempt(item("small", data.length), defaults);

    assertFailed(first, "checksum-mismatch");
    assertThat(destination.stat("small")).isEmpty();
    assertThat(temporaryFiles()).isEmpty();
    assertThat(control.reported).isEmpty(); // below the threshold: no chunks, no resume points

    FileResult second = attempt(item("small", data.length), defaults);

    assertThat(second.status()).isEqualTo(Status.SUCCEEDED);
    assertPublishedExactly("small", data);
  }

  @ParameterizedTest
  @EnumSource(ChecksumAlgorithm.class)
  void shouldResumeFromLastDurableChunkAfterConnectionDropAt70Percent(ChecksumAlgorithm algorithm)
      throws IOException {
    resumeAfterConnectionDropAt70Percent(algorithm);
  }

  @Test
  void shouldResumeTheSameWayWhenChunksAreVerifiedOnTheCopyingThread() throws IOException {
    destination.serialVerification();
    resumeAfterConnectionDropAt70Percent(ChecksumAlgorithm.CRC32C);
  }

  private void resumeAfterConnectionDropAt70Percent(ChecksumAlgorithm algorithm)
      throws IOException {
    int size = 10 * CHUNK + 777;
    byte[] data = randomFile("big.bin", size, 4);
    long dropAt = size * 7L / 10;
    source.dropReadAt(dropAt);

    FileResult first = attempt(item("big.bin", size), chunked(algorithm));

    assertFailed(first, "io");
    assertThat(first.error().message()).contains("connection reset", "7 chunks verified, kept");
    assertThat(source.bytesRead()).isEqualTo(dropAt);
    assertThat(destination.stat("big.bin")).isEmpty();
    long durable = dropAt / CHUNK * CHUNK; // 7 chunks
    assertThat(control.points.get("big.bin").durableBytes()).isEqualTo(durable);

    FileResult second = attempt(item("big.bin", size), chunked(algorithm));

    assertThat(second.status()).isEqualTo(Status.SUCCEEDED);
    assertThat(second.checksum()).isEqualTo(Checksums.of(algorithm, data));
    assertPublishedExactly("big.bin", data);
    long remainder = size - durable;
    assertThat(remainder).isLessThanOrEqualTo(size - dropAt + CHUNK);
    assertThat(destination.bytesWritten()).as("bytes sent again").isEqualTo(remainder);
    boolean combinable =
        algorithm == ChecksumAlgorithm.CRC32C || algorithm == ChecksumAlgorithm.ADLER32;
    if (combinable) {
      assertThat(source.bytesRead()).as("source bytes read").isEqualTo(remainder);
      assertThat(source.lowestReadOffset()).isEqualTo(durable);
    } else {
      // the digest cannot be combined: the prefix is read again, hashed, and not sent
      assertThat(source.bytesRead()).as("source bytes read").isEqualTo(durable + remainder);
      assertThat(source.lowestReadOffset()).isZero();
    }
    System.out.printf(
        "resume after drop at %d of %d bytes, %s: attempt 2 read %d source bytes, sent %d,"
            + " read back %d (prefix %d not sent again)%n",
        dropAt,
        size,
        algorithm.wireName(),
        source.bytesRead(),
        destination.bytesWritten(),
        destination.bytesReadBack(),
        durable);
  }

  @Test
  void shouldResumeSha256ByRereadingThePrefixForTheDigestWithoutRewritingIt() throws IOException {
    int size = 8 * CHUNK + 5;
    byte[] data = randomFile("sha", size, 5);
    source.dropReadAt(6L * CHUNK + 100);
    attempt(item("sha", size), chunked(ChecksumAlgorithm.SHA256));

    FileResult second = attempt(item("sha", size), chunked(ChecksumAlgorithm.SHA256));

    assertThat(second.status()).isEqualTo(Status.SUCCEEDED);
    assertThat(second.checksum()).isEqualTo(Checksums.of(ChecksumAlgorithm.SHA256, data));
    assertPublishedExactly("sha", data);
    assertThat(destination.bytesWritten()).isEqualTo(size - 6L * CHUNK);
    assertThat(destination.bytesReadBack()).isEqualTo(size - 6L * CHUNK);
    assertThat(source.bytesRead()).isEqualTo(size); // 6 chunks re-read for hashing + the rest
    assertThat(control.reported.get(control.reported.size() - 1).chunkChecksums())
        .hasSize(9)
        .allSatisfy(c -> assertThat(c).hasSize(64));
  }

  @Test
  void shouldStartOverWhenTheSourceChangedInPlaceBeforeASha256Resume() throws IOException {
    int size = 8 * CHUNK;
    byte[] data = randomFile("f", size, 6);
    source.dropReadAt(5L * CHUNK);
    attempt(item("f", size), chunked(ChecksumAlgorithm.SHA256));
    data[10] ^= 0x40; // same size, different content
    Files.write(srcRoot.resolve("f"), data);

    FileResult second = attempt(item("f", size), chunked(ChecksumAlgorithm.SHA256));

    assertFailed(second, FileCopier.SOURCE_CHANGED);
    assertThat(second.error().message()).contains("chunk 0");
    assertThat(temporaryFiles()).isEmpty();
    assertThat(control.points).isEmpty();

    FileResult third = attempt(item("f", size), chunked(ChecksumAlgorithm.SHA256));

    assertThat(third.status()).isEqualTo(Status.SUCCEEDED);
    assertPublishedExactly("f", data);
  }

  @Test
  void shouldCutBackChunksWrittenAfterTheLastPointThatReachedTheControlPlane() throws IOException {
    int size = 9 * CHUNK;
    byte[] data = randomFile("lag", size, 7);
    source.dropReadAt(7L * CHUNK + 3);
    attempt(item("lag", size), chunked(ChecksumAlgorithm.CRC32C));
    ResumePoint lagging = control.reported.get(2); // the heartbeat saw 3 chunks, the disk has 7
    assertThat(lagging.chunkChecksums()).hasSize(3);
    control.points.put("lag", lagging);

    FileResult second = attempt(item("lag", size), chunked(ChecksumAlgorithm.CRC32C));

    assertThat(second.status()).isEqualTo(Status.SUCCEEDED);
    assertPublishedExactly("lag", data);
    assertThat(source.bytesRead()).isEqualTo(size - 3L * CHUNK);
    assertThat(destination.bytesWritten()).isEqualTo(size - 3L * CHUNK);
  }

  @ParameterizedTest
  @ValueSource(strings = {"garbage", "escaping", "gone", "other-file"})
  void shouldRefuseStaleOrForgedTokenAndStartOverCleanly(String kind) throws IOException {
    int size = 5 * CHUNK + 9;
    byte[] data = randomFile("f", size, 8);
    Path outside = Files.createDirectories(temp.resolve("outside"));
    Files.writeString(outside.resolve(".ferry-tmp-x-f"), "not yours");
    MultipartResume local = LocalFileSystemEndpoint.at(dstRoot);
    String token =
        switch (kind) {
          case "garbage" -> "forged";
          case "escaping" -> localToken("../outside/f", ".ferry-tmp-x-f");
          case "gone" -> {
            ResumableWrite w = local.beginResumableWrite("f", CHUNK);
            String t = w.resumeToken();
            w.abort();
            yield t;
          }
          case "other-file" -> {
            ResumableWrite w = local.beginResumableWrite("other", CHUNK);
            w.output().write(data, 0, 2 * CHUNK);
            w.sync();
            String t = w.resumeToken();
            w.detach();
            yield t;
          }
          default -> throw new IllegalArgumentException(kind);
        };
    List<String> checksums = new ArrayList<>();
    for (int i = 0; i < 2; i++) {
      checksums.add(
          Checksums.of(
              ChecksumAlgorithm.CRC32C, Arrays.copyOfRange(data, i * CHUNK, (i + 1) * CHUNK)));
    }
    control.points.put("f", new ResumePoint(token, CHUNK, checksums, size));

    FileResult result = attempt(item("f", size), chunked(ChecksumAlgorithm.CRC32C));

    assertThat(result.status()).isEqualTo(Status.SUCCEEDED);
    assertPublishedExactly("f", data);
    assertThat(source.bytesRead()).as("started over").isEqualTo(size);
    assertThat(source.lowestReadOffset()).isZero();
    assertThat(Files.readString(outside.resolve(".ferry-tmp-x-f"))).isEqualTo("not yours");
    assertThat(destination.stat("other")).isEmpty();
  }

  private static String localToken(String target, String tempName) {
    Base64.Encoder b64 = Base64.getUrlEncoder().withoutPadding();
    return "ferry-file-resume:1:"
        + b64.encodeToString(target.getBytes(StandardCharsets.UTF_8))
        + ":"
        + b64.encodeToString(tempName.getBytes(StandardCharsets.UTF_8));
  }

  @Test
  void shouldDiscardThePartialWriteWhenTheSourceSizeChanged() throws IOException {
    randomFile("f", 8 * CHUNK, 9);
    source.dropReadAt(4L * CHUNK + 1);
    attempt(item("f", 8 * CHUNK), chunked(ChecksumAlgorithm.CRC32C));
    assertThat(temporaryFiles()).hasSize(1);
    byte[] grown = randomFile("f", 9 * CHUNK + 1, 10);

    FileResult second = attempt(item("f", grown.length), chunked(ChecksumAlgorithm.CRC32C));

    assertThat(second.status()).isEqualTo(Status.SUCCEEDED);
    assertPublishedExactly("f", grown); // the old partial write was aborted, not left behind
    assertThat(source.bytesRead()).isEqualTo(grown.length);
  }

  @Test
  void shouldKeepVerifiedChunksWhenStoppedForShutdownAndRemoveThemWhenCancelled()
      throws IOException {
    int size = 8 * CHUNK;
    byte[] data = randomFile("kept", size, 11);
    randomFile("dropped", size, 12);
    control.stopAfter = 3L * CHUNK + 10;
    control.keepOnStop = true;

    assertThatThrownBy(() -> attempt(item("kept", size), chunked(ChecksumAlgorithm.CRC32C)))
        .isInstanceOf(CopyStoppedException.class);
    assertThat(temporaryFiles()).hasSize(1);
    assertThat(control.points.get("kept").chunkChecksums()).hasSize(3);

    control.keepOnStop = false;
    control.copied.set(0);
    assertThatThrownBy(() -> attempt(item("dropped", size), chunked(ChecksumAlgorithm.CRC32C)))
        .isInstanceOf(CopyStoppedException.class);
    assertThat(temporaryFiles()).hasSize(1); // only the kept one
    assertThat(control.points).containsOnlyKeys("kept");

    control.stopAfter = Long.MAX_VALUE;
    FileResult resumed = attempt(item("kept", size), chunked(ChecksumAlgorithm.CRC32C));

    assertThat(resumed.status()).isEqualTo(Status.SUCCEEDED);
    assertPublishedExactly("kept", data);
    assertThat(source.bytesRead()).isEqualTo(size - 3L * CHUNK);
  }

  @Test
  void shouldTreatAnInterruptAsAStopAndKeepOrRemoveAsTheControlSays() throws IOException {
    int size = 6 * CHUNK;
    randomFile("f", size, 16);
    Recorder interrupting =
        new Recorder() {
          @Override
          public void bytesCopied(long bytes) {
            if (copied.addAndGet(bytes) > 2L * CHUNK + 10) {
              Thread.currentThread().interrupt(); // as the worker does to a blocked copy
            }
          }
        };
    CopyOptions options = chunked(ChecksumAlgorithm.CRC32C);
    try {
      interrupting.keepOnStop = false;
      assertThatThrownBy(
              () -> copier.copy(source, destination, item("f", size), options, interrupting))
          .isInstanceOf(CopyStoppedException.class);
      assertThat(Thread.interrupted()).isTrue();
      assertThat(temporaryFiles()).isEmpty();

      interrupting.keepOnStop = true;
      interrupting.copied.set(0);
      assertThatThrownBy(
              () -> copier.copy(source, destination, item("f", size), options, interrupting))
          .isInstanceOf(CopyStoppedException.class);
      assertThat(Thread.interrupted()).isTrue();
      assertThat(temporaryFiles()).hasSize(1);
      assertThat(interrupting.points.get("f").chunkChecksums()).hasSize(2);
    } finally {
      Thread.interrupted();
    }
  }

  @Test
  void shouldCopyWholeWhenTheDestinationCannotVerifyChunks() throws IOException {
    int size = 4 * CHUNK + 1;
    byte[] data = randomFile("f", size, 13);
    destination.withoutRangedReadBack();

    FileResult result = attempt(item("f", size), chunked(ChecksumAlgorithm.CRC32C));

    assertThat(result.status()).isEqualTo(Status.SUCCEEDED);
    assertPublishedExactly("f", data);
    assertThat(control.reported).isEmpty();
    assertThat(source.bytesRead()).isEqualTo(size);
    assertThat(destination.bytesWritten()).isEqualTo(size);
  }

  @Test
  void shouldCopy32MiBIn4MiBChunksReportingAResumePointPerChunk() throws IOException {
    int size = 32 * (int) MIB;
    byte[] data = randomFile("32m.bin", size, 14);
    CopyOptions options =
        new CopyOptions(TransferMode.COPY, ChecksumAlgorithm.CRC32C, OverwritePolicy.ALWAYS)
            .withChunking(16 * MIB, 4 * MIB);

    FileResult result = attempt(item("32m.bin", size), options);

    assertThat(result.status()).isEqualTo(Status.SUCCEEDED);
    assertThat(result.checksum()).isEqualTo(Checksums.of(ChecksumAlgorithm.CRC32C, data));
    assertPublishedExactly("32m.bin", data);
    assertThat(control.reported)
        .extracting(p -> p.chunkChecksums().size())
        .containsExactly(1, 2, 3, 4, 5, 6, 7, 8);
    assertThat(control.reported)
        .allSatisfy(
            p -> {
              assertThat(p.chunkSize()).isEqualTo(4 * MIB);
              assertThat(p.sourceSize()).isEqualTo(size);
              assertThat(p.token()).doesNotContain(dstRoot.toString());
            });
    assertThat(control.points).isEmpty(); // cleared once published
    assertThat(source.bytesRead()).isEqualTo(size);
    assertThat(destination.bytesReadBack()).isEqualTo(size);
  }

  @Test
  void shouldCopy200MiBFileWithDefaultChunking() throws IOException {
    long size = 200 * MIB + 4321;
    Path file = srcRoot.resolve("200m.bin");
    // sparse, with random blocks every 3 MiB and at the end, so that misplaced chunks show
    try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "rw")) {
      raf.setLength(size);
      SplittableRandom random = new SplittableRandom(15);
      byte[] block = new byte[64 * 1024];
      for (long at = 0; at < size; at += 3 * MIB) {
        random.nextBytes(block);
        raf.seek(at);
        raf.write(block, 0, (int) Math.min(block.length, size - at));
      }
      raf.seek(size - 4321);
      random.nextBytes(block);
      raf.write(block, 0, 4321);
    }
    String expected;
    try (InputStream in = Files.newInputStream(file)) {
      expected = Checksums.of(ChecksumAlgorithm.CRC32C, in);
    }
    CopyOptions defaults =
        new CopyOptions(TransferMode.COPY, ChecksumAlgorithm.CRC32C, OverwritePolicy.ALWAYS);

    FileResult result = attempt(item("200m.bin", size), defaults);

    assertThat(result.status()).isEqualTo(Status.SUCCEEDED);
    assertThat(result.checksum()).isEqualTo(expected);
    assertThat(Files.mismatch(file, dstRoot.resolve("200m.bin"))).isEqualTo(-1L);
    assertThat(temporaryFiles()).isEmpty();
    assertThat(control.reported).hasSize(26); // 25 chunks of 8 MiB and a short one
  }

  @Test
  void shouldBoundTheNumberOfChunks() {
    long tib = 1024 * 1024 * MIB;

    assertThat(ChunkedCopier.chunkSizeFor(8 * MIB, 200 * MIB)).isEqualTo(8 * MIB);
    assertThat(ChunkedCopier.chunkSizeFor(8 * MIB, 8 * MIB * FileCopier.MAX_CHUNKS))
        .isEqualTo(8 * MIB);
    long big = ChunkedCopier.chunkSizeFor(8 * MIB, tib);
    assertThat(big % MIB).isZero();
    assertThat((tib + big - 1) / big).isLessThanOrEqualTo(FileCopier.MAX_CHUNKS);
    assertThat(big).isEqualTo(105 * MIB);
  }

  /** What a task execution would record: the latest point per file, progress, a stop switch. */
  static class Recorder implements CopyControl {
    final Map<String, ResumePoint> points = new ConcurrentHashMap<>();
    final List<ResumePoint> reported = Collections.synchronizedList(new ArrayList<>());
    final AtomicLong copied = new AtomicLong();
    volatile long stopAfter = Long.MAX_VALUE;
    volatile boolean keepOnStop;

    @Override
    public boolean stopRequested() {
      return copied.get() >= stopAfter;
    }

    @Override
    public void bytesCopied(long bytes) {
      copied.addAndGet(bytes);
    }

    @Override
    public void resumePoint(String source, ResumePoint point) {
      if (point == null) {
        points.remove(source);
      } else {
        reported.add(point);
        points.put(source, point);
      }
    }

    @Override
    public boolean keepResumableOnStop() {
      return keepOnStop;
    }
  }
}
