package dev.ferry.storage;

/**
 * Capability: the endpoint copies from another endpoint without the bytes passing through the
 * worker (S3 {@code CopyObject}/{@code UploadPartCopy} within one service).
 */
public interface ServerSideCopy {

  /** True when {@link #copyFrom} can copy from {@code source} (same service, reachable bucket). */
  boolean canCopyFrom(StorageEndpoint source);

  /**
   * Copies {@code sourcePath} of {@code source} to {@code destinationPath} of this endpoint,
   * published atomically like a {@link PendingWrite}.
   *
   * @return the copied entry
   */
  StorageEntry copyFrom(StorageEndpoint source, String sourcePath, String destinationPath);
}
