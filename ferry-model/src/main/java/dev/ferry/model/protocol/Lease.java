package dev.ferry.model.protocol;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import dev.ferry.model.ChecksumAlgorithm;
import dev.ferry.model.OverwritePolicy;
import dev.ferry.model.TransferMode;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * What a successful claim returns: the right to execute {@code attempt} of a task until {@code
 * expiresAt}, extended by heartbeats. {@code resume} holds, by source path, how far earlier
 * attempts got with large files.
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record Lease(
    UUID taskId,
    UUID jobId,
    int attempt,
    Instant expiresAt,
    TransferMode mode,
    ChecksumAlgorithm checksum,
    OverwritePolicy overwrite,
    EndpointRef source,
    EndpointRef destination,
    List<FileItem> files,
    Map<String, ResumePoint> resume) {

  /** A lease without resume points. */
  public Lease(
      UUID taskId,
      UUID jobId,
      int attempt,
      Instant expiresAt,
      TransferMode mode,
      ChecksumAlgorithm checksum,
      OverwritePolicy overwrite,
      EndpointRef source,
      EndpointRef destination,
      List<FileItem> files) {
    this(
        taskId,
        jobId,
        attempt,
        expiresAt,
        mode,
        checksum,
        overwrite,
        source,
        destination,
        files,
        Map.of());
  }

  public Lease {
    resume = resume == null ? Map.of() : Map.copyOf(resume);
  }
}
