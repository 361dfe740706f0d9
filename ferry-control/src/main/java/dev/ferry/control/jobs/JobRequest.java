package dev.ferry.control.jobs;

/**
 * The body of {@code POST /api/v1/jobs}, as sent; {@link JobService} validates it.
 *
 * @param priority higher runs first; default 0
 */
public record JobRequest(
    Side source,
    Side destination,
    String mode,
    String checksum,
    String overwrite,
    Integer priority) {

  /** An endpoint by name and a path relative to its root ("" or "." for the root). */
  public record Side(String endpoint, String path) {}
}
