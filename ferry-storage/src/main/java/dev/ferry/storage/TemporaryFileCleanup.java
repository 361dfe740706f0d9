package dev.ferry.storage;

import java.time.Instant;

/**
 * Capability: removes Ferry's own temporary objects that nobody finished, by age. A writer that
 * dies between creating a temporary object and committing or aborting it leaves the object behind,
 * and a resumable write kept for a next attempt that never comes stays too. Both are invisible to
 * listings but take space.
 *
 * <p>Temporary objects live beside their targets, so the debris of writes into a directory is in
 * that directory: a worker that is about to write there cleans it ({@code
 * dev.ferry.worker.TemporaryFileSweeper}). The age must exceed the longest time a kept write waits
 * for its next attempt (lease expiry, retry backoff, dispatch); removing a resumable write too
 * early costs time (the next attempt starts over), never correctness.
 */
public interface TemporaryFileCleanup {

  /**
   * Removes the temporary objects directly in {@code directory} (not below it) last modified before
   * {@code olderThan}.
   *
   * @param directory a relative path, or empty for the endpoint's root
   * @return how many were removed; 0 when the directory does not exist
   * @throws InvalidPathException when {@code directory} is not a valid path of this endpoint
   * @throws StorageException when the directory cannot be read
   */
  int removeStaleTemporaryFilesIn(String directory, Instant olderThan);
}
