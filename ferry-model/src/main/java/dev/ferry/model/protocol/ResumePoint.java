package dev.ferry.model.protocol;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import java.util.List;

/**
 * How far a large file's copy got durably, so that a later attempt (on any worker) continues
 * instead of starting over. Reported in heartbeats, kept by the control plane per file, handed back
 * in the next lease.
 *
 * @param token the destination's resume token ({@code MultipartResume}); opaque, no credentials
 * @param chunkSize bytes per chunk (the last chunk may be shorter)
 * @param chunkChecksums the checksum of each durable, verified chunk, in order (lowercase hex of
 *     the job's checksum algorithm); their count times {@code chunkSize} is the durable prefix
 * @param sourceSize the source file's size when the copy began; a different size means the source
 *     changed and the resume point must be discarded
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record ResumePoint(
    String token, long chunkSize, List<String> chunkChecksums, long sourceSize) {

  public ResumePoint {
    chunkChecksums = chunkChecksums == null ? List.of() : List.copyOf(chunkChecksums);
  }

  /** Bytes durably written and verified. */
  public long durableBytes() {
    return Math.min(sourceSize, chunkSize * chunkChecksums.size());
  }
}
