package dev.ferry.worker;

import dev.ferry.model.ChecksumAlgorithm;
import dev.ferry.model.OverwritePolicy;
import dev.ferry.model.TransferMode;
import dev.ferry.model.protocol.Lease;

/**
 * How {@link FileCopier} treats each file of a task. Null arguments take the job defaults: {@code
 * COPY}, {@code CRC32C}, {@code IF_DIFFERENT}.
 */
public record CopyOptions(
    TransferMode mode, ChecksumAlgorithm checksum, OverwritePolicy overwrite) {
  public CopyOptions {
    mode = mode == null ? TransferMode.COPY : mode;
    checksum = checksum == null ? ChecksumAlgorithm.CRC32C : checksum;
    overwrite = overwrite == null ? OverwritePolicy.IF_DIFFERENT : overwrite;
  }

  public static CopyOptions of(Lease lease) {
    return new CopyOptions(lease.mode(), lease.checksum(), lease.overwrite());
  }
}
