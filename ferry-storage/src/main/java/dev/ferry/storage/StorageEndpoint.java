package dev.ferry.storage;

import java.io.InputStream;
import java.util.Optional;

/**
 * A storage root at a site: a directory tree, a bucket prefix, a remote directory. Paths are
 * relative to that root and validated by {@link RelativePath}; an invalid or escaping path fails
 * with {@link InvalidPathException} before any I/O.
 *
 * <p>The required operations are deliberately few. Optional features are separate capability
 * interfaces ({@link ServerSideChecksum}, {@link MultipartResume}, {@link ServerSideCopy}) that an
 * adapter implements when it can; callers discover them with {@link #capability(Class)}.
 *
 * <p>Errors are {@link StorageException}s with an {@link StorageException.ErrorClass} and a
 * retryable flag. Implementations are thread-safe: one endpoint instance serves concurrent copies.
 * {@link #close()} releases connections; using an endpoint after close is undefined.
 */
public interface StorageEndpoint extends AutoCloseable {

  /** The endpoint's URI without credentials, for messages and logs. */
  String uri();

  /**
   * Lists files recursively, in ascending order of path ({@link String#compareTo}), one page at a
   * time. Directories are not listed, only the files below them. Ferry's temporary objects are
   * never listed.
   *
   * @param prefix null or empty for everything; otherwise a relative path: the file of that name
   *     and every file below the directory of that name (segment-wise: {@code a} matches {@code
   *     a/x} but not {@code ab})
   * @param pageToken null for the first page, else {@link ListPage#nextPageToken()} of the previous
   *     page. Paging visits every file that exists for the whole listing exactly once.
   * @param pageSize at least 1
   */
  ListPage list(String prefix, String pageToken, int pageSize);

  /** The file at {@code path}; empty when there is none (or when it is a directory). */
  Optional<StorageEntry> stat(String path);

  /**
   * Opens {@code length} bytes from {@code offset} (fewer at the end of the file; none when {@code
   * offset} is at or past the end). The caller closes the stream.
   *
   * @param length at least 0; {@link Long#MAX_VALUE} for "to the end"
   * @throws StorageException {@code not-found} when there is no such file
   */
  InputStream openRange(String path, long offset, long length);

  /** The whole file. */
  default InputStream open(String path) {
    return openRange(path, 0, Long.MAX_VALUE);
  }

  /**
   * Starts writing {@code path} to a temporary object; see {@link PendingWrite}. Missing parent
   * directories are created where the endpoint has directories.
   */
  PendingWrite beginWrite(String path);

  /**
   * Deletes the file at {@code path}.
   *
   * @return false when there was none
   * @throws StorageException {@code conflict} when {@code path} is a directory
   */
  boolean delete(String path);

  /**
   * This endpoint as the capability {@code type}, when it has it. The default answers by {@code
   * instanceof}; wrappers override it to delegate.
   */
  default <C> Optional<C> capability(Class<C> type) {
    return type.isInstance(this) ? Optional.of(type.cast(this)) : Optional.empty();
  }

  /** Releases connections and handles. Does not throw checked exceptions. */
  @Override
  void close();
}
