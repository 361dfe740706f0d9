package dev.ferry.worker;

import dev.ferry.model.ChecksumAlgorithm;
import dev.ferry.model.OverwritePolicy;
import dev.ferry.model.TransferMode;
import dev.ferry.model.protocol.Lease;
import dev.ferry.model.protocol.ResumePoint;
import java.time.Duration;
import java.util.Map;

/**
 * How {@link FileCopier} treats each file of a task. Null arguments take the job defaults: {@code
 * COPY}, {@code CRC32C}, {@code IF_DIFFERENT}, no resume points.
 *
 * @param chunkThreshold files of at least this many bytes are copied in chunks, resumably, when the
 *     destination has {@code MultipartResume}; {@link Long#MAX_VALUE} turns chunking off
 * @param chunkSize bytes per chunk: the unit of durability, verification and resume (raised for
 *     files that would need more than {@link FileCopier#MAX_CHUNKS} chunks)
 * @param resume resume points of earlier attempts by source path, as the lease carries them
 * @param ranges how many chunks of one chunked file are copied at once (each read, written, synced
 *     and read back on its own thread) when the destination's write offers {@code
 *     MultipartResume.ConcurrentRanges} and the checksum can be combined from the chunks' (CRC32C,
 *     Adler-32); 1 copies the chunks one after the other (see {@link ChunkedCopier})
 * @param syncInterval with {@code ranges} above 1: how often at most the chunks verified so far are
 *     made durable and reported as a resume point; {@link Duration#ZERO} syncs after every chunk.
 *     The file is made durable before it is published either way; see {@link
 *     #DEFAULT_SYNC_INTERVAL}
 */
public record CopyOptions(
    TransferMode mode,
    ChecksumAlgorithm checksum,
    OverwritePolicy overwrite,
    long chunkThreshold,
    long chunkSize,
    Map<String, ResumePoint> resume,
    int ranges,
    Duration syncInterval) {

  public static final long DEFAULT_CHUNK_THRESHOLD = 64L * 1024 * 1024;
  public static final long DEFAULT_CHUNK_SIZE = 8L * 1024 * 1024;

  /**
   * Chunks of one file in flight at once. Four keep a local disk's queue busy (a read, a write, a
   * sync and a read-back can all be outstanding) without taking more than two 1 MiB buffers per
   * range; see docs/benchmarks-transfer.md for the measurement.
   */
  public static final int DEFAULT_RANGES = 4;

  /**
   * A resume point is only worth something once the worker reports it, which it does with its
   * heartbeat (every 5 s by default); syncing more often than that buys nothing for resume and
   * costs a lot: each {@code fdatasync} flushes the device, and on the benchmark machine writing 1
   * GiB with an {@code fdatasync} every 8 MiB took 6.5-9 s against 1.2-1.4 s with one at the end
   * (docs/benchmarks-transfer.md). So parallel ranges sync at most this often.
   */
  public static final Duration DEFAULT_SYNC_INTERVAL = Duration.ofSeconds(5);

  public CopyOptions {
    mode = mode == null ? TransferMode.COPY : mode;
    checksum = checksum == null ? ChecksumAlgorithm.CRC32C : checksum;
    overwrite = overwrite == null ? OverwritePolicy.IF_DIFFERENT : overwrite;
    if (chunkThreshold < 1 || chunkSize < 1) {
      throw new IllegalArgumentException(
          "chunk threshold and chunk size must be positive, got "
              + chunkThreshold
              + " and "
              + chunkSize);
    }
    resume = resume == null ? Map.of() : Map.copyOf(resume);
    if (ranges < 1) {
      throw new IllegalArgumentException("ranges must be at least 1, got " + ranges);
    }
    syncInterval = syncInterval == null ? DEFAULT_SYNC_INTERVAL : syncInterval;
    if (syncInterval.isNegative()) {
      throw new IllegalArgumentException("negative sync interval " + syncInterval);
    }
  }

  /** Default ranges. */
  public CopyOptions(
      TransferMode mode,
      ChecksumAlgorithm checksum,
      OverwritePolicy overwrite,
      long chunkThreshold,
      long chunkSize,
      Map<String, ResumePoint> resume) {
    this(
        mode,
        checksum,
        overwrite,
        chunkThreshold,
        chunkSize,
        resume,
        DEFAULT_RANGES,
        DEFAULT_SYNC_INTERVAL);
  }

  /** Default chunking, no resume points. */
  public CopyOptions(TransferMode mode, ChecksumAlgorithm checksum, OverwritePolicy overwrite) {
    this(mode, checksum, overwrite, DEFAULT_CHUNK_THRESHOLD, DEFAULT_CHUNK_SIZE, Map.of());
  }

  /** The lease's options and resume points, with default chunking. */
  public static CopyOptions of(Lease lease) {
    return new CopyOptions(
        lease.mode(),
        lease.checksum(),
        lease.overwrite(),
        DEFAULT_CHUNK_THRESHOLD,
        DEFAULT_CHUNK_SIZE,
        lease.resume(),
        DEFAULT_RANGES,
        DEFAULT_SYNC_INTERVAL);
  }

  public CopyOptions withChunking(long threshold, long size) {
    return new CopyOptions(
        mode, checksum, overwrite, threshold, size, resume, ranges, syncInterval);
  }

  /** The same options with {@code n} chunks of a file copied at once. */
  public CopyOptions withRanges(int n) {
    return new CopyOptions(
        mode, checksum, overwrite, chunkThreshold, chunkSize, resume, n, syncInterval);
  }

  /** The same options with durability checkpoints of parallel ranges at most this often. */
  public CopyOptions withSyncInterval(Duration interval) {
    return new CopyOptions(
        mode, checksum, overwrite, chunkThreshold, chunkSize, resume, ranges, interval);
  }

  public CopyOptions withResume(Map<String, ResumePoint> points) {
    return new CopyOptions(
        mode, checksum, overwrite, chunkThreshold, chunkSize, points, ranges, syncInterval);
  }

  /** The resume point of the file read from {@code source}, or null. */
  public ResumePoint resumePoint(String source) {
    return resume.get(source);
  }
}
