package dev.ferry.storage;

import java.time.Instant;
import java.util.Objects;

/**
 * A file (or object) at an endpoint. Directories are not entries.
 *
 * @param path normalized endpoint-relative path
 * @param size bytes
 * @param modified last modification time as the endpoint reports it
 */
public record StorageEntry(String path, long size, Instant modified) {
  public StorageEntry {
    Objects.requireNonNull(path, "path");
    Objects.requireNonNull(modified, "modified");
    if (size < 0) {
      throw new IllegalArgumentException("negative size " + size + " for " + path);
    }
  }
}
