package dev.ferry.control.jobs;

import java.time.Instant;
import java.util.UUID;
import tools.jackson.databind.JsonNode;

/** A job as the API shows it. */
public record JobView(
    UUID id,
    String state,
    String mode,
    String checksum,
    String overwrite,
    int priority,
    Location source,
    Location destination,
    Progress progress,
    Instant createdAt,
    Instant updatedAt,
    Instant startedAt,
    Instant finishedAt,
    JsonNode firstError,
    JsonNode lastError) {

  /** One side of a job. */
  public record Location(String endpoint, String site, String path) {}

  /** Counts of files and bytes. */
  public record Progress(Files files, Bytes bytes) {}

  public record Files(long total, long done, long skipped, long failed) {}

  public record Bytes(long total, long done, long failed) {}
}
