package dev.ferry.storage;

import dev.ferry.storage.StorageException.ErrorClass;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.util.Optional;

/**
 * Capability: a write can be continued by a later attempt after a crash, from the last durable part
 * (S3 multipart uploads, a kept temporary file on a filesystem). The resume token is opaque, safe
 * to store in the control plane, and free of credentials.
 *
 * <p>How a copier uses it (see {@code dev.ferry.worker.FileCopier}): it writes a part, calls {@link
 * ResumableWrite#sync()}, reads the part back with {@link ResumableWrite#readBack(long, long)} to
 * verify it, and records the part's checksum with the token. A later attempt calls {@link #resume},
 * compares {@link ResumableWrite#durableBytes()} with what it recorded, cuts off an unverified tail
 * with {@link ResumableWrite#rewindTo}, and continues. A write that should survive its writer's
 * failure is let go with {@link ResumableWrite#detach()}; {@link PendingWrite#close()} still
 * aborts.
 *
 * <p>The methods with defaults were added after the first adapters; an adapter that does not
 * override them still resumes, but a copier cannot verify its parts one by one (and may then prefer
 * a plain, whole-file verified write).
 */
public interface MultipartResume {

  /** A write whose durable prefix survives the writer. */
  interface ResumableWrite extends PendingWrite {
    /**
     * Token that {@link MultipartResume#resume} accepts. It may change as the write grows (take it
     * again after each part) and it changes when the write is resumed.
     */
    String resumeToken();

    /** Bytes durably stored so far; writing continues at this offset. */
    long durableBytes();

    /**
     * Makes what was written so far durable as far as the endpoint allows (flush and fsync, a part
     * upload), and returns {@link #durableBytes()}. An endpoint that stores whole parts only may
     * leave a partial last part pending: the answer can be less than the bytes written.
     *
     * @throws StorageException when storing fails
     */
    default long sync() {
      try {
        output().flush();
      } catch (IOException e) {
        throw StorageException.of("syncing write of '" + path() + "'", e);
      }
      return durableBytes();
    }

    /**
     * Re-reads {@code length} bytes from {@code offset} of this write's content, including bytes
     * this writer wrote and not yet {@link #sync() synced}, for verifying a part before it is
     * recorded. Unlike {@link #readBack()} it does not close {@link #output()}: writing continues
     * afterwards. The caller closes the stream. Adapters must support at least the ranges written
     * through this write object (bytes inherited from an earlier attempt need not be readable).
     *
     * @throws StorageException {@code unsupported} when the endpoint cannot read an unfinished
     *     write (the default); a {@code length} of 0 is a cheap probe for that
     */
    default InputStream readBack(long offset, long length) {
      throw new StorageException(
          ErrorClass.UNSUPPORTED,
          "reading back a range of the unfinished write of '" + path() + "' is not supported");
    }

    /**
     * Discards the content from {@code offset} on, so that writing continues at {@code offset}: a
     * resuming writer drops a tail whose checksum it never recorded (written after the last report,
     * or found corrupt). Afterwards {@link #durableBytes()} is {@code offset}.
     *
     * @param offset at most {@link #durableBytes()}
     * @return false when the endpoint cannot cut a write back (the default); the caller then starts
     *     over
     */
    default boolean rewindTo(long offset) {
      return false;
    }

    /**
     * True when {@link #sync()} and {@link #readBack(long, long)} may run on another thread while
     * the writer goes on writing to {@link #output()}: a sync then makes at least the bytes written
     * before it started durable and answers exactly those, a read-back of a range written before it
     * sees those bytes. A copier uses it to sync and verify one chunk while it writes the next. The
     * default is false: everything on the writer's thread.
     */
    default boolean syncsConcurrently() {
      return false;
    }

    /**
     * Lets go of the write without aborting it: local handles and buffers are released, the durable
     * prefix stays for {@link MultipartResume#resume} with the last {@link #resumeToken()}; bytes
     * not yet durable may be lost. The object is unusable afterwards, and {@link #close()} no
     * longer aborts. The default releases nothing (for adapters that hold nothing but the remote
     * state).
     */
    default void detach() {}

    /**
     * This write's content written out of order, several ranges at once, when the endpoint can (a
     * local file: positional writes into the temporary file). Empty, the default, when it takes its
     * content in order only; a copier then writes through {@link #output()}.
     */
    default Optional<ConcurrentRanges> concurrentRanges() {
      return Optional.empty();
    }
  }

  /**
   * Capability of a {@link ResumableWrite}: ranges of the content written concurrently, each at its
   * own offset, so that one large file can be read, written, synced and read back by several
   * threads at once (chunk i on one thread while chunk i + 1 is on another).
   *
   * <p>Contract: {@link #writeAt} and {@link #sync} are thread-safe; callers write disjoint ranges.
   * A range's bytes may be {@linkplain ResumableWrite#readBack(long, long) read back} once its
   * {@link #writeAt} calls returned. The write's {@link ResumableWrite#output()} must not be used
   * while ranges are written. Where nothing was written yet the content may hold a hole (zeros):
   * {@link ResumableWrite#durableBytes()} counts up to the end of the furthest range synced, so a
   * writer that resumes must keep only the chunks it verified as one contiguous prefix and cut the
   * rest off ({@link ResumableWrite#rewindTo}). A write whose content ends with a hole is never
   * committed by a correct copier: every chunk is read back before the commit.
   */
  interface ConcurrentRanges {
    /**
     * Writes the buffer's remaining bytes at {@code offset} of the content.
     *
     * @throws IOException when the write fails (the write object stays usable for abort/detach)
     */
    void writeAt(long offset, ByteBuffer bytes) throws IOException;

    /**
     * Makes every byte that a {@link #writeAt} call returned from before this call started durable
     * (a local file: fdatasync), and returns {@link ResumableWrite#durableBytes()}.
     *
     * @throws StorageException when storing fails
     */
    long sync();
  }

  /** Starts a resumable write of {@code path} with parts of {@code partSize} bytes. */
  ResumableWrite beginResumableWrite(String path, long partSize);

  /**
   * Re-opens a write by token; empty when it expired, was aborted or committed, or was already
   * resumed by someone else (adapters that can make resuming exclusive do: a stale writer of the
   * same write then fails instead of publishing).
   *
   * @throws IllegalArgumentException when the token is malformed or not one of this endpoint's
   * @throws InvalidPathException when the token names a path that this endpoint refuses
   */
  Optional<ResumableWrite> resume(String resumeToken);
}
