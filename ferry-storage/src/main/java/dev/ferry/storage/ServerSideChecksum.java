package dev.ferry.storage;

import dev.ferry.model.ChecksumAlgorithm;
import java.util.Optional;
import java.util.Set;

/**
 * Capability: the endpoint can tell a stored object's checksum without the bytes being read through
 * the worker (S3 {@code x-amz-checksum-crc32c}, an SFTP {@code check-file} extension). Lets a
 * worker verify a destination, or compare for {@code IF_DIFFERENT}, at the cost of a metadata call.
 */
public interface ServerSideChecksum {

  /** The algorithms {@link #checksum} can answer for. */
  Set<ChecksumAlgorithm> serverSideChecksums();

  /**
   * The checksum of the file at {@code path}, lowercase hex as {@link Checksums} formats it; empty
   * when the endpoint did not record one for this object.
   */
  Optional<String> checksum(String path, ChecksumAlgorithm algorithm);
}
