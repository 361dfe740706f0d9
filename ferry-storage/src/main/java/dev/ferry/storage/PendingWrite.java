package dev.ferry.storage;

import java.io.InputStream;
import java.io.OutputStream;

/**
 * A write in progress to a temporary object. Nothing is visible at {@link #path()} until {@link
 * #commit()}, which publishes the object atomically (rename, multipart complete); {@link #abort()}
 * removes the temporary object. Whatever happens, the final name holds either its previous content
 * or the complete new content, never a prefix of it.
 *
 * <p>Lifecycle: {@code OPEN → COMMITTED | ABORTED}. {@link #close()} aborts a write that was not
 * committed, so try-with-resources never leaves a temporary object behind on failure.
 *
 * <p>Not thread-safe: one thread writes, verifies and commits; {@link #abort()} may be called from
 * another thread to stop a write, after which the writer's next call fails.
 */
public interface PendingWrite extends AutoCloseable {

  /** The final name this write publishes to. */
  RelativePath path();

  /**
   * The stream to write the content to; the same stream on every call. Closing it ends the content
   * (and flushes it) but publishes nothing.
   */
  OutputStream output();

  /** Bytes written to {@link #output()} so far. */
  long bytesWritten();

  /**
   * Re-reads the temporary object from the storage, for verification before publishing. Closes
   * {@link #output()} first if it is still open. The caller closes the stream.
   *
   * @throws StorageException when the temporary object cannot be read
   */
  InputStream readBack();

  /**
   * Publishes the content at {@link #path()}, replacing what was there, atomically and durably (as
   * far as the endpoint allows). Closes {@link #output()} first if it is still open. A second call
   * is a no-op.
   *
   * @throws StorageException when publishing fails; the temporary object is then removed
   * @throws IllegalStateException after {@link #abort()}
   */
  void commit();

  /** Removes the temporary object. Idempotent; does nothing after {@link #commit()}. */
  void abort();

  /** True once {@link #commit()} succeeded. */
  boolean committed();

  /** Aborts unless committed. */
  @Override
  default void close() {
    if (!committed()) {
      abort();
    }
  }
}
