package dev.ferry.worker;

import dev.ferry.model.ChecksumAlgorithm;
import dev.ferry.model.OverwritePolicy;
import dev.ferry.model.TransferMode;
import dev.ferry.model.protocol.FileItem;
import dev.ferry.model.protocol.FileResult;
import dev.ferry.model.protocol.FileResult.FileError;
import dev.ferry.model.protocol.FileResult.Status;
import dev.ferry.storage.Checksums;
import dev.ferry.storage.MultipartResume;
import dev.ferry.storage.PendingWrite;
import dev.ferry.storage.StorageEndpoint;
import dev.ferry.storage.StorageEntry;
import dev.ferry.storage.StorageException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.util.Optional;

/**
 * Copies one file between two endpoints, verifying before it publishes.
 *
 * <ol>
 *   <li>The destination is compared with the source first. {@code SYNC} mode skips a file whose
 *       destination has the same size and a modification time at or after the source's (the
 *       destination is then at least as new). Then the overwrite policy applies to an existing
 *       destination: {@code NEVER} skips it; {@code IF_DIFFERENT} skips it when sizes are equal and
 *       both checksums (read through the worker) are equal; {@code ALWAYS} copies.
 *   <li>The source is streamed into a temporary object while its checksum is computed; sources of a
 *       few megabytes or more are read ahead on another thread ({@link ReadAheadInputStream}), so
 *       that reading overlaps with writing.
 *   <li>The temporary object is read back and its checksum compared with the source's. A mismatch
 *       aborts the temporary object and fails the file, retryable, with {@code checksum-mismatch}.
 *       A source whose size changed while it was read fails, retryable, with {@code
 *       source-changed}.
 *   <li>Only then is the temporary object published atomically.
 * </ol>
 *
 * <p><b>Large files</b> (at least {@link CopyOptions#chunkThreshold()} bytes, or any file with a
 * resume point) go in chunks when the destination has {@link MultipartResume}: each chunk is made
 * durable and verified as it is written, and reported as a {@link
 * dev.ferry.model.protocol.ResumePoint} through {@link CopyControl#resumePoint}; a later attempt
 * given that point continues after the last verified chunk instead of starting over. See {@link
 * ChunkedCopier} for the details and their costs.
 *
 * <p>Failures become {@link FileResult}s, never exceptions, except a stop: when {@link
 * CopyControl#stopRequested()} turns true (or the thread is interrupted) the copy aborts its
 * temporary object at the next buffer boundary (a chunked copy keeps it if {@link
 * CopyControl#keepResumableOnStop()} says so) and throws {@link CopyStoppedException}. Stateless
 * and thread-safe.
 */
public final class FileCopier {
  /** Error class of a source that changed while it was copied. */
  public static final String SOURCE_CHANGED = "source-changed";

  public static final int DEFAULT_BUFFER_SIZE = 256 * 1024;

  /**
   * Buffer of the read-ahead thread ({@link ReadAheadInputStream}); sources of at least two of
   * these are read ahead, smaller ones are read on the copying thread (a thread hand-off costs more
   * than it saves on a few kilobytes).
   */
  static final int READ_AHEAD_BUFFER = 1024 * 1024;

  /**
   * Most chunks a file is cut into; larger files get larger chunks. Bounds the resume point a
   * heartbeat carries (10,000 SHA-256 checksums are 660 KB) and matches S3's part limit.
   */
  public static final int MAX_CHUNKS = 10_000;

  private final int bufferSize;
  private final ChunkedCopier chunked;

  public FileCopier() {
    this(DEFAULT_BUFFER_SIZE);
  }

  public FileCopier(int bufferSize) {
    if (bufferSize < 1) {
      throw new IllegalArgumentException("buffer size must be positive, got " + bufferSize);
    }
    this.bufferSize = bufferSize;
    this.chunked = new ChunkedCopier(bufferSize);
  }

  /**
   * Copies {@code item.source()} of {@code source} to {@code item.destination()} of {@code
   * destination}.
   *
   * @return the file's result: {@code SUCCEEDED} with the bytes and verified checksum, {@code
   *     SKIPPED}, or {@code FAILED} with an error class and whether another attempt may succeed
   * @throws CopyStoppedException when {@code control} asked to stop; nothing was published
   */
  public FileResult copy(
      StorageEndpoint source,
      StorageEndpoint destination,
      FileItem item,
      CopyOptions options,
      CopyControl control) {
    String what = describe(source, destination, item);
    try {
      Optional<StorageEntry> src = source.stat(item.source());
      if (src.isEmpty()) {
        ChunkedCopier.discard(destination, item, options, control);
        return failed(item, "not-found", what + ": source not found", false);
      }
      Optional<StorageEntry> dst = destination.stat(item.destination());
      if (dst.isPresent()) {
        Optional<FileResult> skip =
            skip(source, destination, item, options, control, src.get(), dst.get());
        if (skip.isPresent()) {
          ChunkedCopier.discard(destination, item, options, control);
          return skip.get();
        }
      }
      Optional<MultipartResume> resumable = chunkable(destination, item, options, src.get());
      if (resumable.isPresent()) {
        Optional<FileResult> result =
            chunked.copy(source, resumable.get(), item, options, control, src.get(), what);
        if (result.isPresent()) {
          return result.get();
        }
      } else {
        ChunkedCopier.discard(destination, item, options, control); // a point for a file now small
      }
      return transfer(source, destination, item, options.checksum(), control, src.get(), what);
    } catch (StorageException e) {
      stopIfRequested(control, what, e);
      return failed(item, e.errorClass().wireName(), what + ": " + e.getMessage(), e.retryable());
    } catch (UncheckedIOException e) {
      stopIfRequested(control, what, e);
      return failed(item, "io", what + ": " + e.getCause(), true);
    }
  }

  private static Optional<MultipartResume> chunkable(
      StorageEndpoint destination, FileItem item, CopyOptions options, StorageEntry src) {
    boolean large =
        src.size() >= options.chunkThreshold() || options.resumePoint(item.source()) != null;
    return src.size() > 0 && large
        ? destination.capability(MultipartResume.class)
        : Optional.empty();
  }

  private Optional<FileResult> skip(
      StorageEndpoint source,
      StorageEndpoint destination,
      FileItem item,
      CopyOptions options,
      CopyControl control,
      StorageEntry src,
      StorageEntry dst) {
    if (options.mode() == TransferMode.SYNC
        && dst.size() == src.size()
        && !dst.modified().isBefore(src.modified())) {
      return Optional.of(skipped(item, null));
    }
    if (options.overwrite() == OverwritePolicy.NEVER) {
      return Optional.of(skipped(item, null));
    }
    if (options.overwrite() == OverwritePolicy.IF_DIFFERENT && dst.size() == src.size()) {
      String what = describe(source, destination, item);
      String theirs = hash(destination, item.destination(), options.checksum(), control, what);
      String ours = hash(source, item.source(), options.checksum(), control, what);
      if (theirs.equals(ours)) {
        return Optional.of(skipped(item, ours));
      }
    }
    return Optional.empty();
  }

  private FileResult transfer(
      StorageEndpoint source,
      StorageEndpoint destination,
      FileItem item,
      ChecksumAlgorithm algorithm,
      CopyControl control,
      StorageEntry src,
      String what) {
    Checksums.Hasher sent = Checksums.hasher(algorithm);
    byte[] buffer = new byte[bufferFor(src.size())];
    try (PendingWrite write = destination.beginWrite(item.destination())) {
      try (InputStream in = readAhead(source.open(item.source()), src.size(), 4)) {
        OutputStream out = write.output();
        for (int n; (n = in.read(buffer)) >= 0; ) {
          checkStop(control, what, sent.bytes());
          sent.update(buffer, 0, n);
          out.write(buffer, 0, n);
          control.bytesCopied(n);
        }
        out.close();
      } catch (IOException e) {
        stopIfRequested(control, what, e);
        return failed(
            item, "io", what + ": copy failed after " + sent.bytes() + " bytes: " + e, true);
      }
      String expected = sent.hex();
      long bytes = sent.bytes();
      if (bytes != src.size()) {
        return failed(
            item,
            SOURCE_CHANGED,
            what
                + ": source changed while copied: stat said "
                + src.size()
                + " bytes, read "
                + bytes,
            true);
      }
      Checksums.Hasher stored = Checksums.hasher(algorithm);
      try (InputStream back = write.readBack()) {
        for (int n; (n = back.read(buffer)) >= 0; ) {
          checkStop(control, what, bytes);
          stored.update(buffer, 0, n);
        }
      } catch (IOException e) {
        stopIfRequested(control, what, e);
        return failed(item, "io", what + ": reading back the temporary object failed: " + e, true);
      }
      String actual = stored.hex();
      if (!actual.equals(expected) || stored.bytes() != bytes) {
        return failed(
            item,
            StorageException.ErrorClass.CHECKSUM_MISMATCH.wireName(),
            what
                + ": checksum mismatch, sent "
                + bytes
                + " bytes with "
                + algorithm.wireName()
                + " "
                + expected
                + ", stored "
                + stored.bytes()
                + " bytes with "
                + actual
                + "; nothing published",
            true);
      }
      checkStop(control, what, bytes); // last chance not to publish for a cancelled task
      write.commit();
      return new FileResult(item.source(), Status.SUCCEEDED, bytes, expected, null);
    }
  }

  private String hash(
      StorageEndpoint endpoint,
      String path,
      ChecksumAlgorithm algorithm,
      CopyControl control,
      String what) {
    Checksums.Hasher hasher = Checksums.hasher(algorithm);
    byte[] buffer = new byte[bufferSize];
    try (InputStream in = endpoint.open(path)) {
      for (int n; (n = in.read(buffer)) >= 0; ) {
        checkStop(control, what, 0);
        hasher.update(buffer, 0, n);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("hashing '" + path + "' at " + endpoint.uri(), e);
    }
    return hasher.hex();
  }

  /**
   * The copy buffer for a file of {@code size} bytes: no larger than the file needs (a batch of 4
   * KiB files would otherwise allocate a 256 KiB buffer per file), at most the configured size.
   */
  private int bufferFor(long size) {
    return (int) Math.min(bufferSize, Math.max(8 * 1024, size + 1));
  }

  /**
   * {@code in}, read ahead on another thread by up to {@code depth} buffers of {@link
   * #READ_AHEAD_BUFFER} when it has at least two of them to read; else {@code in} itself.
   */
  static InputStream readAhead(InputStream in, long bytes, int depth) {
    return bytes >= 2L * READ_AHEAD_BUFFER
        ? new ReadAheadInputStream(in, READ_AHEAD_BUFFER, depth)
        : in;
  }

  static void checkStop(CopyControl control, String what, long bytes) {
    if (control.stopRequested() || Thread.currentThread().isInterrupted()) {
      throw new CopyStoppedException(what + ": stopped after " + bytes + " bytes");
    }
  }

  /** An I/O failure caused by a stop (an interrupted channel closes) is a stop, not a failure. */
  static void stopIfRequested(CopyControl control, String what, Exception cause) {
    if (control.stopRequested() || Thread.currentThread().isInterrupted()) {
      CopyStoppedException stop = new CopyStoppedException(what + ": stopped");
      stop.addSuppressed(cause);
      throw stop;
    }
  }

  private static String describe(
      StorageEndpoint source, StorageEndpoint destination, FileItem item) {
    return "'"
        + item.source()
        + "' at "
        + source.uri()
        + " -> '"
        + item.destination()
        + "' at "
        + destination.uri();
  }

  private static FileResult skipped(FileItem item, String checksum) {
    return new FileResult(item.source(), Status.SKIPPED, 0, checksum, null);
  }

  static FileResult failed(FileItem item, String errorClass, String message, boolean retryable) {
    return new FileResult(
        item.source(), Status.FAILED, 0, null, new FileError(errorClass, message, retryable));
  }
}
