package dev.ferry.storage;

import java.util.Optional;

/**
 * Capability: a write can be continued by a later attempt after a crash, from the last durable part
 * (S3 multipart uploads, a kept temporary file on a filesystem). The resume token is opaque, safe
 * to store in the control plane, and free of credentials.
 */
public interface MultipartResume {

  /** A write whose durable prefix survives the writer. */
  interface ResumableWrite extends PendingWrite {
    /** Token that {@link MultipartResume#resume} accepts. */
    String resumeToken();

    /** Bytes durably stored so far; writing continues at this offset. */
    long durableBytes();
  }

  /** Starts a resumable write of {@code path} with parts of {@code partSize} bytes. */
  ResumableWrite beginResumableWrite(String path, long partSize);

  /** Re-opens a write by token; empty when it expired or was aborted. */
  Optional<ResumableWrite> resume(String resumeToken);
}
