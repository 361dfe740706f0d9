package dev.ferry.worker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ferry.model.ChecksumAlgorithm;
import dev.ferry.model.OverwritePolicy;
import dev.ferry.model.TransferMode;
import dev.ferry.model.protocol.FileItem;
import dev.ferry.model.protocol.FileResult;
import dev.ferry.model.protocol.FileResult.Status;
import dev.ferry.storage.LocalFileSystemEndpoint;
import dev.ferry.storage.PendingWrite;
import dev.ferry.storage.RelativePath;
import dev.ferry.storage.StorageEndpoint;
import dev.ferry.storage.StorageEntry;
import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class FileCopierTest {
  private static final CopyOptions COPY_ALWAYS =
      new CopyOptions(TransferMode.COPY, ChecksumAlgorithm.CRC32C, OverwritePolicy.ALWAYS);

  @TempDir Path temp;
  private Path srcRoot;
  private Path dstRoot;
  private LocalFileSystemEndpoint source;
  private LocalFileSystemEndpoint destination;
  private final FileCopier copier = new FileCopier(4096);

  @BeforeEach
  void endpoints() throws IOException {
    srcRoot = Files.createDirectories(temp.resolve("src"));
    dstRoot = Files.createDirectories(temp.resolve("dst"));
    source = LocalFileSystemEndpoint.at(srcRoot);
    destination = LocalFileSystemEndpoint.at(dstRoot);
  }

  private void put(Path root, String path, String content) throws IOException {
    Path p = root.resolve(path);
    Files.createDirectories(p.getParent());
    Files.writeString(p, content);
  }

  private static FileItem item(String path, long size) {
    return new FileItem(path, path, size);
  }

  private FileResult copy(FileItem item, CopyOptions options) {
    return copier.copy(source, destination, item, options, CopyControl.NONE);
  }

  @ParameterizedTest
  @CsvSource({
    "CRC32C, e3069283",
    "ADLER32, 091e01de",
    "MD5, 25f9e794323b453885f5181f1b624d0b",
    "SHA256, 15e2b0d3c33891ebb0f1ef609ec419420c20e320ce94c65fbc8c3312448eb225",
  })
  void shouldReportKnownChecksumOfCopiedFile(ChecksumAlgorithm algorithm, String expected)
      throws IOException {
    put(srcRoot, "digits.txt", "123456789");

    FileResult result =
        copy(
            item("digits.txt", 9),
            new CopyOptions(TransferMode.COPY, algorithm, OverwritePolicy.ALWAYS));

    assertThat(result.status()).isEqualTo(Status.SUCCEEDED);
    assertThat(result.checksum()).isEqualTo(expected);
    assertThat(result.bytes()).isEqualTo(9);
    assertThat(result.error()).isNull();
    assertThat(Files.readString(dstRoot.resolve("digits.txt"))).isEqualTo("123456789");
  }

  @Test
  void shouldCopyLargeNestedUnicodeFileAndReportProgress() throws IOException {
    byte[] data = new byte[100_003];
    for (int i = 0; i < data.length; i++) {
      data[i] = (byte) (i * 13);
    }
    Path p = srcRoot.resolve("données/日本/big.bin");
    Files.createDirectories(p.getParent());
    Files.write(p, data);
    AtomicLong progress = new AtomicLong();

    FileResult result =
        copier.copy(
            source,
            destination,
            new FileItem("données/日本/big.bin", "copied/ü/big.bin", data.length),
            COPY_ALWAYS,
            new CopyControl() {
              @Override
              public void bytesCopied(long bytes) {
                progress.addAndGet(bytes);
              }
            });

    assertThat(result.status()).isEqualTo(Status.SUCCEEDED);
    assertThat(result.source()).isEqualTo("données/日本/big.bin");
    assertThat(progress.get()).isEqualTo(data.length);
    assertThat(Files.readAllBytes(dstRoot.resolve("copied/ü/big.bin"))).isEqualTo(data);
    assertNoTemporaryFiles();
  }

  @Test
  void shouldCopyEmptyFile() throws IOException {
    put(srcRoot, "empty", "");

    FileResult result = copy(item("empty", 0), COPY_ALWAYS);

    assertThat(result.status()).isEqualTo(Status.SUCCEEDED);
    assertThat(result.checksum()).isEqualTo("00000000");
    assertThat(Files.size(dstRoot.resolve("empty"))).isZero();
  }

  @Test
  void shouldSkipExistingDestinationWhenOverwriteIsNever() throws IOException {
    put(srcRoot, "f", "new");
    put(dstRoot, "f", "old content");

    FileResult result =
        copy(
            item("f", 3),
            new CopyOptions(TransferMode.COPY, ChecksumAlgorithm.CRC32C, OverwritePolicy.NEVER));

    assertThat(result.status()).isEqualTo(Status.SKIPPED);
    assertThat(result.bytes()).isZero();
    assertThat(Files.readString(dstRoot.resolve("f"))).isEqualTo("old content");
  }

  @Test
  void shouldCopyMissingDestinationWhenOverwriteIsNever() throws IOException {
    put(srcRoot, "f", "new");

    FileResult result =
        copy(
            item("f", 3),
            new CopyOptions(TransferMode.COPY, ChecksumAlgorithm.CRC32C, OverwritePolicy.NEVER));

    assertThat(result.status()).isEqualTo(Status.SUCCEEDED);
    assertThat(Files.readString(dstRoot.resolve("f"))).isEqualTo("new");
  }

  @Test
  void shouldSkipIdenticalDestinationWhenOverwriteIsIfDifferent() throws IOException {
    put(srcRoot, "f", "same bytes");
    put(dstRoot, "f", "same bytes");
    CopyOptions options =
        new CopyOptions(TransferMode.COPY, ChecksumAlgorithm.SHA256, OverwritePolicy.IF_DIFFERENT);

    FileResult result = copy(item("f", 10), options);

    assertThat(result.status()).isEqualTo(Status.SKIPPED);
    assertThat(result.checksum()).hasSize(64);
  }

  @Test
  void shouldReplaceDifferentDestinationOfSameSizeWhenOverwriteIsIfDifferent() throws IOException {
    put(srcRoot, "f", "aaaa");
    put(dstRoot, "f", "bbbb");
    put(srcRoot, "g", "longer source");
    put(dstRoot, "g", "short");
    CopyOptions options =
        new CopyOptions(TransferMode.COPY, ChecksumAlgorithm.CRC32C, OverwritePolicy.IF_DIFFERENT);

    assertThat(copy(item("f", 4), options).status()).isEqualTo(Status.SUCCEEDED);
    assertThat(copy(item("g", 13), options).status()).isEqualTo(Status.SUCCEEDED);

    assertThat(Files.readString(dstRoot.resolve("f"))).isEqualTo("aaaa");
    assertThat(Files.readString(dstRoot.resolve("g"))).isEqualTo("longer source");
  }

  @Test
  void shouldOverwriteEvenIdenticalDestinationWhenOverwriteIsAlways() throws IOException {
    put(srcRoot, "f", "same");
    put(dstRoot, "f", "same");

    FileResult result = copy(item("f", 4), COPY_ALWAYS);

    assertThat(result.status()).isEqualTo(Status.SUCCEEDED);
    assertThat(result.bytes()).isEqualTo(4);
  }

  @Test
  void shouldSkipInSyncModeWhenDestinationHasSameSizeAndIsNotOlder() throws IOException {
    put(srcRoot, "f", "v2!!");
    put(dstRoot, "f", "v1!!");
    Instant t = Instant.parse("2026-01-01T00:00:00Z");
    Files.setLastModifiedTime(srcRoot.resolve("f"), FileTime.from(t));
    Files.setLastModifiedTime(dstRoot.resolve("f"), FileTime.from(t));
    CopyOptions sync =
        new CopyOptions(TransferMode.SYNC, ChecksumAlgorithm.CRC32C, OverwritePolicy.ALWAYS);

    assertThat(copy(item("f", 4), sync).status()).isEqualTo(Status.SKIPPED);

    Files.setLastModifiedTime(dstRoot.resolve("f"), FileTime.from(t.minusSeconds(1)));
    assertThat(copy(item("f", 4), sync).status()).isEqualTo(Status.SUCCEEDED);
    assertThat(Files.readString(dstRoot.resolve("f"))).isEqualTo("v2!!");
  }

  @Test
  void shouldCopyInSyncModeWhenSizeDiffers() throws IOException {
    put(srcRoot, "f", "grown");
    put(dstRoot, "f", "old");
    Files.setLastModifiedTime(dstRoot.resolve("f"), FileTime.from(Instant.now().plusSeconds(3600)));

    FileResult result =
        copy(
            item("f", 5),
            new CopyOptions(
                TransferMode.SYNC, ChecksumAlgorithm.CRC32C, OverwritePolicy.IF_DIFFERENT));

    assertThat(result.status()).isEqualTo(Status.SUCCEEDED);
  }

  @Test
  void shouldFailRetryableAndPublishNothingWhenStoredBytesDiffer() throws IOException {
    put(srcRoot, "dir/f.bin", "the quick brown fox jumps over the lazy dog");
    StorageEndpoint corrupting = new CorruptingEndpoint(destination, 7);

    FileResult result =
        copier.copy(source, corrupting, item("dir/f.bin", 43), COPY_ALWAYS, CopyControl.NONE);

    assertThat(result.status()).isEqualTo(Status.FAILED);
    assertThat(result.bytes()).isZero();
    assertThat(result.checksum()).isNull();
    assertThat(result.error().errorClass()).isEqualTo("checksum-mismatch");
    assertThat(result.error().retryable()).isTrue();
    assertThat(result.error().message())
        .contains("dir/f.bin", "checksum mismatch", "nothing published", "crc32c");
    assertThat(destination.stat("dir/f.bin")).isEmpty();
    assertNoTemporaryFiles();
  }

  @Test
  void shouldKeepPreviousDestinationWhenVerificationFails() throws IOException {
    put(srcRoot, "f", "fresh content");
    put(dstRoot, "f", "previous");

    FileResult result =
        copier.copy(
            source,
            new CorruptingEndpoint(destination, 0),
            item("f", 13),
            COPY_ALWAYS,
            CopyControl.NONE);

    assertThat(result.status()).isEqualTo(Status.FAILED);
    assertThat(Files.readString(dstRoot.resolve("f"))).isEqualTo("previous");
  }

  @Test
  void shouldFailNotFoundWithoutRetryWhenSourceIsMissing() {
    FileResult result = copy(item("absent", 1), COPY_ALWAYS);

    assertThat(result.status()).isEqualTo(Status.FAILED);
    assertThat(result.error().errorClass()).isEqualTo("not-found");
    assertThat(result.error().retryable()).isFalse();
    assertThat(result.error().message()).contains("absent");
  }

  @Test
  void shouldFailInvalidPathWithoutRetry() throws IOException {
    put(srcRoot, "f", "x");

    FileResult result = copy(new FileItem("f", "../escape", 1), COPY_ALWAYS);

    assertThat(result.status()).isEqualTo(Status.FAILED);
    assertThat(result.error().errorClass()).isEqualTo("invalid-path");
    assertThat(result.error().retryable()).isFalse();
    assertThat(Files.exists(temp.resolve("escape"))).isFalse();
  }

  @Test
  void shouldFailRetryableWhenSourceChangesWhileCopied() throws IOException {
    put(srcRoot, "f", "12345");
    StorageEndpoint shrinking =
        new ForwardingEndpoint(source) {
          @Override
          public Optional<StorageEntry> stat(String path) {
            return delegate.stat(path).map(e -> new StorageEntry(e.path(), 99, e.modified()));
          }
        };

    FileResult result =
        copier.copy(shrinking, destination, item("f", 5), COPY_ALWAYS, CopyControl.NONE);

    assertThat(result.status()).isEqualTo(Status.FAILED);
    assertThat(result.error().errorClass()).isEqualTo(FileCopier.SOURCE_CHANGED);
    assertThat(result.error().retryable()).isTrue();
    assertThat(destination.stat("f")).isEmpty();
  }

  @Test
  void shouldStopAtBufferBoundaryAndAbortTemporaryObject() throws IOException {
    put(srcRoot, "big", "x".repeat(50_000));
    AtomicLong copied = new AtomicLong();
    CopyControl stopAfterFirstBuffer =
        new CopyControl() {
          @Override
          public boolean stopRequested() {
            return copied.get() > 0;
          }

          @Override
          public void bytesCopied(long bytes) {
            copied.addAndGet(bytes);
          }
        };

    assertThatThrownBy(
            () ->
                copier.copy(
                    source, destination, item("big", 50_000), COPY_ALWAYS, stopAfterFirstBuffer))
        .isInstanceOf(CopyStoppedException.class)
        .hasMessageContaining("big")
        .hasMessageContaining("stopped after 4096 bytes");
    assertThat(copied.get()).isEqualTo(4096);
    assertThat(destination.stat("big")).isEmpty();
    assertNoTemporaryFiles();
  }

  private void assertNoTemporaryFiles() throws IOException {
    try (Stream<Path> files = Files.walk(dstRoot)) {
      assertThat(files.map(p -> p.getFileName().toString()))
          .noneMatch(n -> n.startsWith(LocalFileSystemEndpoint.TEMP_PREFIX));
    }
  }

  /** Flips one byte of what is written, as a faulty disk or network would. */
  static final class CorruptingEndpoint extends ForwardingEndpoint {
    private final long position;

    CorruptingEndpoint(StorageEndpoint delegate, long position) {
      super(delegate);
      this.position = position;
    }

    @Override
    public PendingWrite beginWrite(String path) {
      PendingWrite real = delegate.beginWrite(path);
      OutputStream flipping =
          new FilterOutputStream(real.output()) {
            private long offset;

            @Override
            public void write(int b) throws IOException {
              out.write(offset++ == position ? b ^ 0x01 : b);
            }

            @Override
            public void write(byte[] b, int off, int len) throws IOException {
              for (int i = 0; i < len; i++) {
                write(b[off + i]);
              }
            }
          };
      return new PendingWrite() {
        @Override
        public RelativePath path() {
          return real.path();
        }

        @Override
        public OutputStream output() {
          return flipping;
        }

        @Override
        public long bytesWritten() {
          return real.bytesWritten();
        }

        @Override
        public InputStream readBack() {
          return real.readBack();
        }

        @Override
        public void commit() {
          real.commit();
        }

        @Override
        public void abort() {
          real.abort();
        }

        @Override
        public boolean committed() {
          return real.committed();
        }
      };
    }
  }
}
