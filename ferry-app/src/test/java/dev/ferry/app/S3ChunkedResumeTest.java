package dev.ferry.app;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ferry.model.ChecksumAlgorithm;
import dev.ferry.model.OverwritePolicy;
import dev.ferry.model.TransferMode;
import dev.ferry.model.protocol.FileItem;
import dev.ferry.model.protocol.FileResult;
import dev.ferry.model.protocol.FileResult.Status;
import dev.ferry.model.protocol.ResumePoint;
import dev.ferry.storage.Checksums;
import dev.ferry.storage.ListPage;
import dev.ferry.storage.LocalFileSystemEndpoint;
import dev.ferry.storage.MultipartResume;
import dev.ferry.storage.PendingWrite;
import dev.ferry.storage.RelativePath;
import dev.ferry.storage.StorageEndpoint;
import dev.ferry.storage.StorageEntry;
import dev.ferry.storage.s3.S3Endpoint;
import dev.ferry.storage.s3.TestS3;
import dev.ferry.worker.CopyControl;
import dev.ferry.worker.CopyOptions;
import dev.ferry.worker.FileCopier;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import java.util.Optional;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.services.s3.model.MultipartUpload;

/**
 * The worker's chunked copy into S3 (s3proxy in process): {@link FileCopier} takes the {@code
 * MultipartResume} path (one part per chunk, each read back and checked before its resume point is
 * reported), and a copy whose source connection drops mid-file resumes from the last verified part
 * on the next attempt instead of starting over. Each {@link #attempt} plays one task attempt, given
 * the resume points the previous ones reported, as the control plane hands them back in the next
 * lease.
 */
class S3ChunkedResumeTest {
  private static final int CHUNK = (int) S3Endpoint.MIN_PART_SIZE; // 5 MiB, S3's smallest part
  private static final int SIZE = 8 * CHUNK + 12_345;

  @TempDir Path temp;
  private DroppingSource source;
  private S3Endpoint destination;
  private String bucket;
  private final FileCopier copier = new FileCopier(256 * 1024);
  private final Map<String, ResumePoint> points = new ConcurrentHashMap<>();
  private final CopyControl control =
      new CopyControl() {
        @Override
        public void resumePoint(String file, ResumePoint point) {
          if (point == null) {
            points.remove(file);
          } else {
            points.put(file, point);
          }
        }
      };

  @BeforeEach
  void endpoints() throws IOException {
    source =
        new DroppingSource(
            LocalFileSystemEndpoint.at(Files.createDirectories(temp.resolve("src"))));
    TestS3 s3 = TestS3.get();
    bucket = s3.newBucket();
    destination = S3Endpoint.open(s3.uri(bucket, "dst"), s3.credentials());
  }

  @AfterEach
  void close() {
    destination.close();
  }

  private byte[] sourceFile(String path, long seed) throws IOException {
    byte[] data = new byte[SIZE];
    new SplittableRandom(seed).nextBytes(data);
    Files.write(source.root().resolve(path), data);
    return data;
  }

  private FileResult attempt(String path) {
    source.bytesRead.set(0);
    source.lowestOffset.set(Long.MAX_VALUE);
    CopyOptions options =
        new CopyOptions(TransferMode.COPY, ChecksumAlgorithm.CRC32C, OverwritePolicy.ALWAYS)
            .withChunking(CHUNK, CHUNK)
            .withResume(points);
    return copier.copy(source, destination, new FileItem(path, path, SIZE), options, control);
  }

  private java.util.List<MultipartUpload> openUploads() {
    return TestS3.get().openUploads(bucket);
  }

  @Test
  void shouldResumeAnInterruptedCopyIntoS3FromTheLastVerifiedPart() throws IOException {
    byte[] data = sourceFile("big.bin", 1);
    long dropAt = SIZE * 7L / 10;
    source.dropAt = dropAt;

    FileResult first = attempt("big.bin");

    assertThat(first.status()).isEqualTo(Status.FAILED);
    assertThat(first.error().errorClass()).isEqualTo("io");
    assertThat(first.error().retryable()).isTrue();
    assertThat(first.error().message()).contains("chunks verified, kept for the next attempt");
    long durable = dropAt / CHUNK * CHUNK;
    assertThat(points.get("big.bin").durableBytes()).isEqualTo(durable);
    assertThat(destination.stat("big.bin")).as("nothing published").isEmpty();
    assertThat(openUploads()).as("the upload is kept for the next attempt").hasSize(1);

    FileResult second = attempt("big.bin");

    assertThat(second.status()).isEqualTo(Status.SUCCEEDED);
    assertThat(second.checksum()).isEqualTo(Checksums.of(ChecksumAlgorithm.CRC32C, data));
    assertThat(source.bytesRead.get()).as("source bytes read again").isEqualTo(SIZE - durable);
    assertThat(source.lowestOffset.get()).isEqualTo(durable);
    try (InputStream in = destination.open("big.bin")) {
      assertThat(in.readAllBytes()).isEqualTo(data);
    }
    assertThat(destination.checksum("big.bin", ChecksumAlgorithm.CRC32C))
        .as("S3's whole-object CRC32C, combined from the parts of both attempts")
        .contains(second.checksum());
    assertThat(openUploads()).isEmpty();
    assertThat(points).isEmpty();
    System.out.printf(
        "S3 resume after a drop at byte %d of %d: attempt 2 read %d source bytes (%d verified"
            + " bytes in %d-byte parts kept)%n",
        dropAt, SIZE, SIZE - durable, durable, CHUNK);
  }

  @Test
  void shouldStartOverWhenTheUploadToResumeIsGone() throws IOException {
    byte[] data = sourceFile("f.bin", 2);
    source.dropAt = 3L * CHUNK + 10;
    attempt("f.bin");
    MultipartUpload kept = openUploads().get(0);
    TestS3.get()
        .admin()
        .abortMultipartUpload(b -> b.bucket(bucket).key(kept.key()).uploadId(kept.uploadId()));

    FileResult second = attempt("f.bin");

    assertThat(second.status()).isEqualTo(Status.SUCCEEDED);
    assertThat(source.bytesRead.get()).as("started over").isEqualTo(SIZE);
    assertThat(source.lowestOffset.get()).isZero();
    try (InputStream in = destination.open("f.bin")) {
      assertThat(in.readAllBytes()).isEqualTo(data);
    }
    assertThat(openUploads()).isEmpty();
  }

  @Test
  void shouldAbortTheKeptUploadWhenTheSourceChangedSize() throws IOException {
    sourceFile("g.bin", 3);
    source.dropAt = 4L * CHUNK;
    attempt("g.bin");
    assertThat(openUploads()).hasSize(1);
    byte[] shorter = new byte[SIZE - 1];
    new SplittableRandom(4).nextBytes(shorter);
    Files.write(source.root().resolve("g.bin"), shorter);

    FileResult second =
        copier.copy(
            source,
            destination,
            new FileItem("g.bin", "g.bin", shorter.length),
            new CopyOptions(TransferMode.COPY, ChecksumAlgorithm.CRC32C, OverwritePolicy.ALWAYS)
                .withChunking(CHUNK, CHUNK)
                .withResume(points),
            control);

    assertThat(second.status()).isEqualTo(Status.SUCCEEDED);
    try (InputStream in = destination.open("g.bin")) {
      assertThat(in.readAllBytes()).isEqualTo(shorter);
    }
    assertThat(openUploads()).as("the stale upload was aborted, not left behind").isEmpty();
  }

  @Test
  void shouldCatchAByteFlippedOnTheWayIntoS3AndResumeAfterTheLastGoodPart() throws IOException {
    byte[] data = sourceFile("flip.bin", 5);
    long flipAt = 4L * CHUNK + 1000; // in the fifth part
    FlippingDestination flipping = new FlippingDestination(destination, flipAt);

    CopyOptions options =
        new CopyOptions(TransferMode.COPY, ChecksumAlgorithm.CRC32C, OverwritePolicy.ALWAYS)
            .withChunking(CHUNK, CHUNK);
    FileResult first =
        copier.copy(source, flipping, new FileItem("flip.bin", "flip.bin", SIZE), options, control);

    assertThat(first.status()).isEqualTo(Status.FAILED);
    assertThat(first.error().errorClass()).isEqualTo("checksum-mismatch");
    assertThat(first.error().retryable()).isTrue();
    assertThat(first.error().message()).contains("chunk 4", "nothing published");
    assertThat(destination.stat("flip.bin")).isEmpty();
    assertThat(points.get("flip.bin").chunkChecksums()).hasSize(4);
    assertThat(openUploads()).hasSize(1);

    FileResult second = attempt("flip.bin"); // no fault this time

    assertThat(second.status()).isEqualTo(Status.SUCCEEDED);
    assertThat(source.bytesRead.get())
        .as("the corrupt part and the rest")
        .isEqualTo(SIZE - 4L * CHUNK);
    try (InputStream in = destination.open("flip.bin")) {
      assertThat(in.readAllBytes()).isEqualTo(data);
    }
    assertThat(destination.checksum("flip.bin", ChecksumAlgorithm.CRC32C))
        .contains(Checksums.of(ChecksumAlgorithm.CRC32C, data));
    assertThat(openUploads()).isEmpty();
  }

  /**
   * S3 as the destination, but the byte at offset {@code flipAt} of a resumable write is inverted
   * between the copier and the endpoint, as a bad NIC or memory would: the endpoint uploads (with a
   * CRC32C of) what it was given, so only the copier's read-back can notice.
   */
  private static final class FlippingDestination implements StorageEndpoint, MultipartResume {
    private final S3Endpoint delegate;
    private final long flipAt;

    FlippingDestination(S3Endpoint delegate, long flipAt) {
      this.delegate = delegate;
      this.flipAt = flipAt;
    }

    @Override
    public ResumableWrite beginResumableWrite(String path, long partSize) {
      ResumableWrite write = delegate.beginResumableWrite(path, partSize);
      OutputStream flipped =
          new OutputStream() {
            private long position = write.durableBytes();

            @Override
            public void write(int b) throws IOException {
              write(new byte[] {(byte) b}, 0, 1);
            }

            @Override
            public void write(byte[] b, int off, int len) throws IOException {
              byte[] copy = Arrays.copyOfRange(b, off, off + len);
              if (flipAt >= position && flipAt < position + len) {
                copy[(int) (flipAt - position)] ^= (byte) 0xff;
              }
              position += len;
              write.output().write(copy);
            }

            @Override
            public void close() throws IOException {
              write.output().close();
            }
          };
      return new ResumableWrite() {
        @Override
        public String resumeToken() {
          return write.resumeToken();
        }

        @Override
        public long durableBytes() {
          return write.durableBytes();
        }

        @Override
        public long sync() {
          return write.sync();
        }

        @Override
        public InputStream readBack(long offset, long length) {
          return write.readBack(offset, length);
        }

        @Override
        public boolean rewindTo(long offset) {
          return write.rewindTo(offset);
        }

        @Override
        public void detach() {
          write.detach();
        }

        @Override
        public RelativePath path() {
          return write.path();
        }

        @Override
        public OutputStream output() {
          return flipped;
        }

        @Override
        public long bytesWritten() {
          return write.bytesWritten();
        }

        @Override
        public InputStream readBack() {
          return write.readBack();
        }

        @Override
        public void commit() {
          write.commit();
        }

        @Override
        public void abort() {
          write.abort();
        }

        @Override
        public boolean committed() {
          return write.committed();
        }
      };
    }

    @Override
    public Optional<ResumableWrite> resume(String resumeToken) {
      return delegate.resume(resumeToken);
    }

    @Override
    public String uri() {
      return delegate.uri();
    }

    @Override
    public ListPage list(String prefix, String pageToken, int pageSize) {
      return delegate.list(prefix, pageToken, pageSize);
    }

    @Override
    public Optional<StorageEntry> stat(String path) {
      return delegate.stat(path);
    }

    @Override
    public InputStream openRange(String path, long offset, long length) {
      return delegate.openRange(path, offset, length);
    }

    @Override
    public PendingWrite beginWrite(String path) {
      return delegate.beginWrite(path);
    }

    @Override
    public boolean delete(String path) {
      return delegate.delete(path);
    }

    @Override
    public void close() {}
  }

  /**
   * A local source whose reads fail with "connection reset" once, at byte {@link #dropAt} of the
   * file, and that counts what it serves.
   */
  private static final class DroppingSource implements StorageEndpoint {
    private final LocalFileSystemEndpoint delegate;
    final AtomicLong bytesRead = new AtomicLong();
    final AtomicLong lowestOffset = new AtomicLong(Long.MAX_VALUE);
    volatile long dropAt = -1;

    DroppingSource(LocalFileSystemEndpoint delegate) {
      this.delegate = delegate;
    }

    Path root() {
      return delegate.root();
    }

    @Override
    public String uri() {
      return delegate.uri();
    }

    @Override
    public ListPage list(String prefix, String pageToken, int pageSize) {
      return delegate.list(prefix, pageToken, pageSize);
    }

    @Override
    public Optional<StorageEntry> stat(String path) {
      return delegate.stat(path);
    }

    @Override
    public InputStream openRange(String path, long offset, long length) {
      lowestOffset.accumulateAndGet(offset, Math::min);
      return new FilterInputStream(delegate.openRange(path, offset, length)) {
        private long position = offset;

        @Override
        public int read() throws IOException {
          byte[] one = new byte[1];
          return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
          long drop = dropAt;
          if (drop >= 0 && position >= drop) {
            dropAt = -1; // once
            throw new IOException("connection reset");
          }
          int n = in.read(b, off, drop >= 0 ? (int) Math.min(len, drop - position) : len);
          if (n > 0) {
            position += n;
            bytesRead.addAndGet(n);
          }
          return n;
        }
      };
    }

    @Override
    public PendingWrite beginWrite(String path) {
      return delegate.beginWrite(path);
    }

    @Override
    public boolean delete(String path) {
      return delegate.delete(path);
    }

    @Override
    public void close() {
      delegate.close();
    }
  }
}
