package dev.ferry.worker;

import static dev.ferry.worker.FileCopier.checkStop;
import static dev.ferry.worker.FileCopier.failed;
import static dev.ferry.worker.FileCopier.stopIfRequested;

import dev.ferry.model.ChecksumAlgorithm;
import dev.ferry.model.protocol.FileItem;
import dev.ferry.model.protocol.FileResult;
import dev.ferry.model.protocol.FileResult.Status;
import dev.ferry.model.protocol.ResumePoint;
import dev.ferry.storage.Checksums;
import dev.ferry.storage.InvalidPathException;
import dev.ferry.storage.MultipartResume;
import dev.ferry.storage.MultipartResume.ConcurrentRanges;
import dev.ferry.storage.MultipartResume.ResumableWrite;
import dev.ferry.storage.RelativePath;
import dev.ferry.storage.StorageEndpoint;
import dev.ferry.storage.StorageEntry;
import dev.ferry.storage.StorageException;
import dev.ferry.storage.StorageException.ErrorClass;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@link FileCopier}'s path for large files, into a destination with {@link MultipartResume}: the
 * file goes in chunks, each one made durable ({@link ResumableWrite#sync()}), read back and
 * compared with the source's chunk ({@link ResumableWrite#readBack(long, long)}) before its
 * checksum is recorded and a {@link ResumePoint} is reported ({@link CopyControl#resumePoint}).
 *
 * <p><b>Resume.</b> Given the point of an earlier attempt, the copy re-opens the write by token and
 * keeps the recorded chunks that are durable there (a tail written after the last report, or found
 * corrupt, is cut off with {@link ResumableWrite#rewindTo}); it then reads the source from the end
 * of that prefix on: the prefix is not sent again. The point is discarded, and the copy starts
 * over, when the token is gone or refused, names another file, or the source's size changed; a
 * write that was found but cannot be used is aborted.
 *
 * <p><b>The whole-file checksum stays exact.</b> For CRC32C and Adler-32 it is combined from the
 * chunks' checksums ({@link ChecksumCombine}), so a resumed copy reads nothing of the prefix.
 * SHA-256 and MD5 cannot be combined: a resumed copy re-reads the prefix from the source to feed
 * the digest (read, hashed, not sent), and compares each prefix chunk with its recorded checksum on
 * the way, which also catches a source rewritten in place since. That costs reading the prefix once
 * more and, for every chunk, a second digest computation (chunk and whole); CRC32C, the default,
 * avoids both. With CRC32C a source changed in place at the same size between attempts goes
 * unnoticed, as with any size-based resume.
 *
 * <p><b>Overlap.</b> The source is read ahead on another thread ({@link ReadAheadInputStream}) by
 * about a chunk, and, where the write allows it ({@link ResumableWrite#syncsConcurrently()}), each
 * chunk is synced and read back on a verifier thread while the copying thread writes the next one.
 * So reading, writing and syncing overlap, and the copy takes about as long as the slowest of them
 * rather than their sum. At most one chunk is in verification at a time (the copying thread waits
 * for chunk k's before it hands over chunk k+1), so chunks are recorded and reported as resume
 * points in order, each as soon as its own sync and read-back passed, exactly as without the
 * pipeline. A copy that fails or stops waits for the chunk in verification first, so what it keeps
 * and reports is settled.
 *
 * <p><b>Verify before publish.</b> Every chunk is verified when it is written; the prefix was
 * verified by the attempt that wrote it; nothing may follow the last chunk; then the write is
 * committed. A chunk that reads back differently fails the attempt, retryable, {@code
 * checksum-mismatch}, nothing published; the verified chunks before it stay resumable.
 *
 * <p><b>What is kept.</b> A retryable failure or a stop the control asks to survive ({@link
 * CopyControl#keepResumableOnStop()}) {@linkplain ResumableWrite#detach() detaches} a write that
 * holds verified chunks; anything else aborts it. A destination that cannot read back a range of an
 * unfinished write, or refuses the chunk size, is not used this way at all: the copy falls back to
 * the whole-file path before sending a byte.
 */
final class ChunkedCopier {
  private static final Logger log = LoggerFactory.getLogger(ChunkedCopier.class);
  private static final HexFormat HEX = HexFormat.of();
  private static final long MIB = 1024L * 1024;
  private static final AtomicInteger VERIFIER_THREADS = new AtomicInteger();

  /**
   * Where chunks are synced and read back while the copying thread writes the next one, for writes
   * that allow it ({@link ResumableWrite#syncsConcurrently()}). Shared daemon threads, created on
   * demand; at most one verification per copy is in flight.
   */
  private static final ExecutorService VERIFIERS =
      new ThreadPoolExecutor(
          0,
          Integer.MAX_VALUE,
          30,
          TimeUnit.SECONDS,
          new SynchronousQueue<>(),
          r -> {
            Thread t = new Thread(r, "ferry-chunk-verify-" + VERIFIER_THREADS.incrementAndGet());
            t.setDaemon(true);
            return t;
          });

  /** Read and write buffer of each range's thread (two per thread, one for the read-back). */
  static final int RANGE_BUFFER = 1024 * 1024;

  private static final AtomicInteger RANGE_THREADS = new AtomicInteger();

  /**
   * Where the helpers of {@link #copyRanges} run: shared daemon threads, created on demand, so that
   * no copy waits for another's. The copying thread itself is always one of a file's ranges.
   */
  private static final ExecutorService RANGE_WORKERS =
      new ThreadPoolExecutor(
          0,
          Integer.MAX_VALUE,
          30,
          TimeUnit.SECONDS,
          new SynchronousQueue<>(),
          r -> {
            Thread t = new Thread(r, "ferry-range-" + RANGE_THREADS.incrementAndGet());
            t.setDaemon(true);
            return t;
          });

  private final int bufferSize;

  ChunkedCopier(int bufferSize) {
    this.bufferSize = bufferSize;
  }

  /** Where a copy starts: a write, its chunk size and the checksums of the chunks it holds. */
  private record Start(ResumableWrite write, long chunkSize, List<String> checksums) {}

  /** What decides whether a failed copy's write is worth keeping. */
  private static final class Progress {
    int verifiedChunks;
    int reportedChunks;
    boolean prefixInvalid;

    boolean resumable() {
      return verifiedChunks > 0 && !prefixInvalid;
    }
  }

  /** The chunk size for a file of {@code size} bytes: at most {@link FileCopier#MAX_CHUNKS}. */
  static long chunkSizeFor(long configured, long size) {
    long needed = ceilDiv(size, FileCopier.MAX_CHUNKS);
    return configured >= needed ? configured : ceilDiv(needed, MIB) * MIB;
  }

  /**
   * Copies {@code item} in chunks.
   *
   * @return empty when the destination cannot take this file in verified chunks; nothing was sent
   *     and nothing is left behind, and the caller copies the file whole
   */
  Optional<FileResult> copy(
      StorageEndpoint source,
      MultipartResume destination,
      FileItem item,
      CopyOptions options,
      CopyControl control,
      StorageEntry src,
      String what) {
    long size = src.size();
    Start start;
    try {
      start = start(destination, item, options, size, what);
    } catch (IllegalArgumentException e) {
      log.debug("{}: destination refuses chunked writes, copying whole: {}", what, e.getMessage());
      return Optional.empty();
    }
    ResumableWrite write = start.write();
    Progress progress = new Progress();
    progress.verifiedChunks = start.checksums().size();
    boolean keep = false;
    try {
      if (!canReadBackRanges(write)) {
        log.debug("{}: destination cannot verify chunks, copying whole", what);
        return Optional.empty();
      }
      FileResult result =
          transfer(
              source,
              write,
              item,
              options.checksum(),
              options.ranges(),
              options.syncInterval(),
              control,
              size,
              start,
              progress,
              what);
      keep =
          result.status() == Status.FAILED && keep(control, progress, result.error().retryable());
      return Optional.of(result);
    } catch (CopyStoppedException e) {
      keep = keep(control, progress, false);
      throw e;
    } catch (StorageException e) {
      keep = keep(control, progress, e.retryable());
      throw e;
    } catch (UncheckedIOException e) {
      keep = keep(control, progress, true);
      throw e;
    } finally {
      if (!write.committed()) {
        if (keep) {
          detachQuietly(write, what);
        } else {
          abortQuietly(write, what);
          control.resumePoint(item.source(), null);
        }
      }
    }
  }

  /**
   * Whether a copy that did not publish keeps its write for the next attempt: only with verified
   * chunks of an unchanged source, and then as the control says for a stop (a failure during a
   * stop, such as an interrupted channel, counts as the stop), else when the failure is retryable.
   */
  private static boolean keep(CopyControl control, Progress progress, boolean retryable) {
    if (!progress.resumable()) {
      return false;
    }
    if (control.stopRequested() || Thread.currentThread().isInterrupted()) {
      return control.keepResumableOnStop();
    }
    return retryable;
  }

  /**
   * Aborts the partial write a resume point names, if it still exists (the file was skipped, or its
   * source is gone, so nobody will resume it). Best effort.
   */
  static void discard(
      StorageEndpoint destination, FileItem item, CopyOptions options, CopyControl control) {
    ResumePoint point = options.resumePoint(item.source());
    if (point == null || point.token() == null) {
      return;
    }
    try {
      destination
          .capability(MultipartResume.class)
          .flatMap(d -> d.resume(point.token()))
          .ifPresent(ResumableWrite::abort);
    } catch (RuntimeException e) {
      log.debug("discarding the resume point of '{}' failed", item.source(), e);
    }
    control.resumePoint(item.source(), null);
  }

  private Start start(
      MultipartResume destination, FileItem item, CopyOptions options, long size, String what) {
    ResumePoint point = options.resumePoint(item.source());
    if (point != null) {
      Start resumed = resume(destination, item, point, options.checksum(), size, what);
      if (resumed != null) {
        return resumed;
      }
    }
    long chunk = chunkSizeFor(options.chunkSize(), size);
    return new Start(destination.beginResumableWrite(item.destination(), chunk), chunk, List.of());
  }

  /** The write to continue, or null to start over (a write found but unusable is aborted). */
  private Start resume(
      MultipartResume destination,
      FileItem item,
      ResumePoint point,
      ChecksumAlgorithm algorithm,
      long size,
      String what) {
    if (point.token() == null || point.token().isBlank()) {
      return null;
    }
    ResumableWrite write;
    try {
      write = destination.resume(point.token()).orElse(null);
    } catch (IllegalArgumentException | InvalidPathException e) {
      log.warn("{}: resume token refused, starting over: {}", what, e.getMessage());
      return null;
    }
    if (write == null) {
      log.info("{}: the partial write to resume is gone, starting over", what);
      return null;
    }
    String problem = unusable(point, algorithm, size);
    if (problem == null
        && !write.path().value().equals(RelativePath.of(item.destination()).value())) {
      problem = "the resume token names '" + write.path() + "'";
    }
    if (problem != null) {
      log.warn("{}: discarding the partial write, starting over: {}", what, problem);
      abortQuietly(write, what);
      return null;
    }
    long chunk = point.chunkSize();
    long durable = write.durableBytes();
    int usable = 0;
    while (usable < point.chunkChecksums().size()
        && Math.min((usable + 1) * chunk, size) <= durable) {
      usable++;
    }
    long offset = Math.min(usable * chunk, size);
    if (durable > offset) {
      boolean cut;
      try {
        cut = write.rewindTo(offset);
      } catch (RuntimeException e) {
        detachQuietly(write, what); // still resumable by the next attempt
        throw e;
      }
      if (!cut) {
        log.warn(
            "{}: the partial write holds {} bytes, {} of them verified, and cannot be cut back;"
                + " starting over",
            what,
            durable,
            offset);
        abortQuietly(write, what);
        return null;
      }
    }
    log.info(
        "{}: resuming at byte {} of {} ({} verified chunks of {} bytes; {} bytes were durable)",
        what,
        offset,
        size,
        usable,
        chunk,
        durable);
    return new Start(write, chunk, point.chunkChecksums().subList(0, usable));
  }

  /** Why {@code point} cannot continue a copy of a {@code size}-byte source; null when it can. */
  private static String unusable(ResumePoint point, ChecksumAlgorithm algorithm, long size) {
    if (point.sourceSize() != size) {
      return "the source has " + size + " bytes now, " + point.sourceSize() + " then";
    }
    long chunk = point.chunkSize();
    if (chunk < 1 || ceilDiv(size, chunk) > FileCopier.MAX_CHUNKS) {
      return "chunk size " + chunk + " unusable for " + size + " bytes";
    }
    if (point.chunkChecksums().size() > ceilDiv(size, chunk)) {
      return point.chunkChecksums().size() + " chunk checksums for " + ceilDiv(size, chunk);
    }
    Pattern hex = Pattern.compile("[0-9a-f]{" + hexDigits(algorithm) + "}");
    for (String c : point.chunkChecksums()) {
      if (c == null || !hex.matcher(c).matches()) {
        return "chunk checksum '" + c + "' is not " + algorithm.wireName();
      }
    }
    return null;
  }

  private FileResult transfer(
      StorageEndpoint source,
      ResumableWrite write,
      FileItem item,
      ChecksumAlgorithm algorithm,
      int ranges,
      Duration syncInterval,
      CopyControl control,
      long size,
      Start start,
      Progress progress,
      String what) {
    long chunk = start.chunkSize();
    List<String> checksums = new ArrayList<>(start.checksums());
    long offset = Math.min(checksums.size() * chunk, size);
    boolean combinable =
        algorithm == ChecksumAlgorithm.CRC32C || algorithm == ChecksumAlgorithm.ADLER32;
    Optional<ConcurrentRanges> concurrent =
        combinable && ranges > 1 && ceilDiv(size, chunk) - checksums.size() >= 2
            ? write.concurrentRanges()
            : Optional.empty();
    if (concurrent.isPresent()) {
      FileResult failure =
          copyRanges(
              source,
              write,
              concurrent.get(),
              item,
              algorithm,
              ranges,
              syncInterval,
              control,
              size,
              chunk,
              checksums,
              progress,
              what);
      return failure != null
          ? failure
          : finish(write, item, algorithm, control, size, chunk, checksums, combinable, null, what);
    }
    Checksums.Hasher whole = combinable ? null : Checksums.hasher(algorithm);
    byte[] buffer = new byte[bufferSize];
    byte[] verifyBuffer = new byte[bufferSize]; // the verifier's, while this thread writes on
    boolean pipelined = write.syncsConcurrently();
    // a chunk in verification on the verifier thread is finished even when a stop comes meanwhile
    // (it is one sync and one read-back): what the stop keeps then includes it
    CopyControl verifyControl = pipelined ? CopyControl.NONE : control;
    if (!combinable && offset > 0) {
      FileResult failure =
          rehashPrefix(
              source, item, algorithm, control, chunk, size, checksums, whole, buffer, what);
      if (failure != null) {
        progress.prefixInvalid = failure.error().errorClass().equals(FileCopier.SOURCE_CHANGED);
        return failure;
      }
    }
    Future<FileResult> inFlight = null; // the previous chunk's sync and read-back
    try (InputStream in =
        FileCopier.readAhead(
            source.openRange(item.source(), offset, Long.MAX_VALUE),
            size - offset,
            readAheadDepth(chunk))) {
      OutputStream out = write.output();
      int index = checksums.size();
      while (offset < size) {
        long length = Math.min(chunk, size - offset);
        Checksums.Hasher sent = Checksums.hasher(algorithm);
        for (long remaining = length; remaining > 0; ) {
          checkStop(control, what, offset + sent.bytes());
          int n = in.read(buffer, 0, (int) Math.min(buffer.length, remaining));
          if (n < 0) {
            progress.prefixInvalid = true;
            return sourceChanged(item, what, size, "ended at byte " + (offset + sent.bytes()));
          }
          sent.update(buffer, 0, n);
          if (whole != null) {
            whole.update(buffer, 0, n);
          }
          out.write(buffer, 0, n);
          control.bytesCopied(n);
          remaining -= n;
        }
        if (inFlight != null) {
          Future<FileResult> previous = inFlight;
          inFlight = null;
          FileResult mismatch = settle(previous, what);
          if (mismatch != null) {
            return mismatch;
          }
        }
        int chunkIndex = index++;
        long chunkOffset = offset;
        String expected = sent.hex();
        // runs on the verifier thread or this one; while it runs, this thread does not touch
        // checksums or progress (it waits for it before the next verification or the end)
        Callable<FileResult> verification =
            () -> {
              long durable = write.sync();
              FileResult mismatch =
                  verifyChunk(
                      write,
                      item,
                      algorithm,
                      verifyControl,
                      chunkIndex,
                      chunkOffset,
                      length,
                      expected,
                      verifyBuffer,
                      what);
              if (mismatch == null) {
                checksums.add(expected);
                progress.verifiedChunks = checksums.size();
                report(control, item, write, chunk, checksums, size, durable, progress);
              }
              return mismatch;
            };
        inFlight =
            pipelined
                ? VERIFIERS.submit(verification)
                : CompletableFuture.completedFuture(verification.call());
        offset += length;
        if (!pipelined || offset >= size) { // settled at once, as if there were no pipeline
          Future<FileResult> last = inFlight;
          inFlight = null;
          FileResult mismatch = settle(last, what);
          if (mismatch != null) {
            return mismatch;
          }
        }
      }
      if (in.read() >= 0) {
        progress.prefixInvalid = true;
        return sourceChanged(item, what, size, "has more bytes");
      }
    } catch (RuntimeException e) {
      settleQuietly(inFlight, what);
      throw e;
    } catch (Exception e) { // an IOException; verification.call() declares Exception
      // a chunk verified before the failure still counts for what is kept and reported
      settleQuietly(inFlight, what);
      stopIfRequested(control, what, e);
      return failed(
          item,
          "io",
          what
              + ": copy failed at byte "
              + offset
              + " of "
              + size
              + (progress.resumable()
                  ? " (" + progress.verifiedChunks + " chunks verified, kept for the next attempt)"
                  : "")
              + ": "
              + e,
          true);
    }
    return finish(write, item, algorithm, control, size, chunk, checksums, combinable, whole, what);
  }

  /**
   * After the last chunk: nothing may follow it at the destination; then the whole-file checksum
   * and the commit.
   */
  private static FileResult finish(
      ResumableWrite write,
      FileItem item,
      ChecksumAlgorithm algorithm,
      CopyControl control,
      long size,
      long chunk,
      List<String> checksums,
      boolean combinable,
      Checksums.Hasher whole,
      String what) {
    try (InputStream tail = write.readBack(size, 1)) {
      if (tail.read() >= 0) {
        return failed(
            item,
            ErrorClass.CHECKSUM_MISMATCH.wireName(),
            what
                + ": the destination holds more than the "
                + size
                + " bytes sent; nothing published",
            true);
      }
    } catch (IOException e) {
      stopIfRequested(control, what, e);
      return failed(item, "io", what + ": reading back the end failed: " + e, true);
    }
    String checksum =
        combinable ? HEX.toHexDigits(combine(algorithm, checksums, chunk, size)) : whole.hex();
    checkStop(control, what, size); // last chance not to publish for a cancelled task
    write.commit();
    control.resumePoint(item.source(), null);
    return new FileResult(item.source(), Status.SUCCEEDED, size, checksum, null);
  }

  /**
   * Copies the chunks after the verified prefix {@code ranges} at a time, each on its own thread
   * (this one and helpers from {@link #RANGE_WORKERS}): a thread takes the next chunk not yet
   * taken, reads its range of the source ({@link StorageEndpoint#openRange}) while hashing it,
   * writes it at its offset ({@link ConcurrentRanges#writeAt}), syncs ({@link
   * ConcurrentRanges#sync}) and reads it back; then it takes the next. So one file keeps several
   * reads, writes, syncs and read-backs in flight at once, which a single in-order stream cannot.
   *
   * <p>Chunks finish out of order. {@code checksums} and the reported resume point only ever hold
   * the <em>contiguous</em> prefix of verified chunks (a chunk verified past a gap waits until the
   * gap is filled), so a resume continues exactly as after an in-order copy: a chunk verified
   * beyond the prefix when the copy stops is written again by the next attempt (at most {@code
   * ranges - 1} of them), and whatever a kept write holds past the prefix is cut off on resume.
   *
   * <p>The first failure (a mismatch, a changed source, an I/O error, a stop) halts the other
   * threads at their next buffer; this thread waits for all of them before it returns, so what is
   * kept and reported is settled. Only for combinable checksums: the whole file's CRC32C or
   * Adler-32 is combined from the chunks' afterwards.
   *
   * @return null when every chunk was verified; else the failure
   */
  private FileResult copyRanges(
      StorageEndpoint source,
      ResumableWrite write,
      ConcurrentRanges ranges,
      FileItem item,
      ChecksumAlgorithm algorithm,
      int parallelism,
      Duration syncInterval,
      CopyControl control,
      long size,
      long chunk,
      List<String> checksums,
      Progress progress,
      String what) {
    int total = (int) ceilDiv(size, chunk);
    String[] verified = new String[total];
    for (int i = 0; i < checksums.size(); i++) {
      verified[i] = checksums.get(i);
    }
    Clock clock = control.clock();
    Checkpoints checkpoints = new Checkpoints(checksums.size(), clock.instant().plus(syncInterval));
    AtomicInteger next = new AtomicInteger(checksums.size());
    AtomicReference<FileResult> failure = new AtomicReference<>();
    AtomicReference<Throwable> thrown = new AtomicReference<>();
    AtomicBoolean halt = new AtomicBoolean();
    int buffer = Math.max(bufferSize, RANGE_BUFFER);
    Runnable work =
        () -> {
          byte[] data = new byte[buffer];
          byte[] verifyBuffer = new byte[buffer];
          try {
            while (!halt.get()) {
              int index = next.getAndIncrement();
              if (index >= total) {
                return;
              }
              long offset = index * chunk;
              long length = chunkLength(index, chunk, size);
              Checksums.Hasher sent = Checksums.hasher(algorithm);
              try (InputStream in = source.openRange(item.source(), offset, length)) {
                ByteBuffer wrapped = ByteBuffer.wrap(data);
                for (long remaining = length; remaining > 0; ) {
                  if (halt.get()) {
                    return;
                  }
                  checkStop(control, what, offset + sent.bytes());
                  int n = in.read(data, 0, (int) Math.min(data.length, remaining));
                  if (n < 0) {
                    synchronized (verified) {
                      progress.prefixInvalid = true;
                    }
                    fail(
                        failure,
                        halt,
                        sourceChanged(
                            item, what, size, "ended at byte " + (offset + sent.bytes())));
                    return;
                  }
                  sent.update(data, 0, n);
                  wrapped.clear().limit(n);
                  ranges.writeAt(offset + length - remaining, wrapped);
                  control.bytesCopied(n);
                  remaining -= n;
                }
              }
              if (syncInterval.isZero()) {
                ranges.sync(); // before the read-back, as the in-order path does
              }
              String expected = sent.hex();
              FileResult mismatch =
                  verifyChunk(
                      write,
                      item,
                      algorithm,
                      control,
                      index,
                      offset,
                      length,
                      expected,
                      verifyBuffer,
                      what);
              if (mismatch != null) {
                fail(failure, halt, mismatch);
                return;
              }
              int upTo; // the contiguous verified prefix this thread makes durable, or -1
              synchronized (verified) {
                verified[index] = expected;
                while (checkpoints.contiguous < total && verified[checkpoints.contiguous] != null) {
                  checkpoints.contiguous++;
                }
                upTo = checkpoints.claim(syncInterval, clock.instant());
              }
              if (upTo >= 0) {
                try {
                  if (!syncInterval.isZero()) {
                    ranges.sync(); // covers every chunk of the prefix: their writes returned
                  }
                } finally {
                  synchronized (verified) {
                    checkpoints.syncing = false;
                  }
                }
                synchronized (verified) {
                  checkpoints.next = clock.instant().plus(syncInterval);
                  if (upTo > checksums.size()) {
                    for (int i = checksums.size(); i < upTo; i++) {
                      checksums.add(verified[i]);
                    }
                    progress.verifiedChunks = checksums.size();
                    long prefix = Math.min(checksums.size() * chunk, size);
                    report(control, item, write, chunk, checksums, size, prefix, progress);
                  }
                }
              }
            }
          } catch (Throwable t) { // rethrown on the copying thread
            thrown.compareAndSet(null, t);
            halt.set(true);
          }
        };
    List<Future<?>> helpers = new ArrayList<>();
    int threads = (int) Math.min(parallelism, total - checksums.size());
    for (int h = 1; h < threads; h++) {
      try {
        helpers.add(RANGE_WORKERS.submit(work));
      } catch (RejectedExecutionException e) {
        break; // fewer threads; this one still copies every chunk nobody took
      }
    }
    work.run();
    boolean interrupted = false;
    for (Future<?> helper : helpers) {
      while (true) {
        try {
          helper.get();
          break;
        } catch (InterruptedException e) {
          interrupted = true; // a stop: the helpers see it at their next buffer
          halt.set(true);
        } catch (ExecutionException e) {
          thrown.compareAndSet(null, e.getCause());
          break;
        }
      }
    }
    if (interrupted) {
      Thread.currentThread().interrupt();
    }
    Throwable t = thrown.get();
    if (t instanceof IOException e) {
      stopIfRequested(control, what, e);
      return failed(
          item,
          "io",
          what
              + ": copying "
              + threads
              + " ranges at once failed"
              + (progress.resumable()
                  ? " (" + progress.verifiedChunks + " chunks verified, kept for the next attempt)"
                  : "")
              + ": "
              + e,
          true);
    }
    if (t instanceof RuntimeException r) {
      throw r;
    }
    if (t instanceof Error err) {
      throw err;
    }
    if (t != null) {
      throw new IllegalStateException(what + ": copying a range failed", t);
    }
    if (failure.get() != null) {
      return failure.get();
    }
    checkStop(control, what, Math.min(checksums.size() * chunk, size));
    if (checkpoints.contiguous != total) { // cannot happen without a failure or stop
      throw new IllegalStateException(
          what
              + ": "
              + checkpoints.contiguous
              + " of "
              + total
              + " chunks verified after the copy");
    }
    // every chunk verified: one sync for the rest (a no-op for what a checkpoint synced), so the
    // content is durable before the commit whether or not the destination stages it in a group
    ranges.sync();
    for (int i = checksums.size(); i < total; i++) {
      checksums.add(verified[i]);
    }
    progress.verifiedChunks = checksums.size();
    try (InputStream rest = source.openRange(item.source(), size, 1)) {
      if (rest.read() >= 0) {
        progress.prefixInvalid = true;
        return sourceChanged(item, what, size, "has more bytes");
      }
    } catch (IOException e) {
      stopIfRequested(control, what, e);
      return failed(item, "io", what + ": reading the source's end failed: " + e, true);
    }
    return null;
  }

  /**
   * When the verified chunks of a ranged copy are made durable and reported. Guarded by the copy's
   * lock.
   */
  private static final class Checkpoints {
    /** Chunks verified without a gap from the start (synced or not). */
    int contiguous;

    /** Chunks already synced and reported (or inherited from the resume point). */
    int synced;

    /** Not before this instant does the next checkpoint run (unless the interval is zero). */
    Instant next;

    /** A thread is syncing for a checkpoint; others go on copying. */
    boolean syncing;

    Checkpoints(int synced, Instant next) {
      this.contiguous = synced;
      this.synced = synced;
      this.next = next;
    }

    /**
     * The prefix the calling thread is to sync and report now, or -1: with a zero interval every
     * chunk's own sync already happened, so the prefix is reported at once; otherwise one thread at
     * a time, when the interval has passed and the prefix grew.
     */
    int claim(Duration interval, Instant now) {
      if (contiguous <= synced) {
        return -1;
      }
      if (!interval.isZero() && (syncing || now.isBefore(next))) {
        return -1;
      }
      syncing = !interval.isZero();
      synced = contiguous;
      return contiguous;
    }
  }

  /** Records the first failure of a range and halts the others. */
  private static void fail(
      AtomicReference<FileResult> failure, AtomicBoolean halt, FileResult result) {
    failure.compareAndSet(null, result);
    halt.set(true);
  }

  /**
   * Feeds the digest {@code whole} with the source's first chunks, checking each against the
   * checksum the earlier attempt recorded. Null when they all match.
   */
  private FileResult rehashPrefix(
      StorageEndpoint source,
      FileItem item,
      ChecksumAlgorithm algorithm,
      CopyControl control,
      long chunk,
      long size,
      List<String> checksums,
      Checksums.Hasher whole,
      byte[] buffer,
      String what) {
    long prefix = Math.min(checksums.size() * chunk, size);
    try (InputStream in = source.openRange(item.source(), 0, prefix)) {
      for (int i = 0; i < checksums.size(); i++) {
        Checksums.Hasher hasher = Checksums.hasher(algorithm);
        long length = chunkLength(i, chunk, size);
        for (long remaining = length; remaining > 0; ) {
          checkStop(control, what, 0);
          int n = in.read(buffer, 0, (int) Math.min(buffer.length, remaining));
          if (n < 0) {
            return sourceChanged(
                item, what, size, "ended while its first " + prefix + " bytes were re-read");
          }
          hasher.update(buffer, 0, n);
          whole.update(buffer, 0, n);
          remaining -= n;
        }
        if (!hasher.hex().equals(checksums.get(i))) {
          return sourceChanged(
              item, what, size, "differs in chunk " + i + " from what an earlier attempt sent");
        }
      }
    } catch (IOException e) {
      stopIfRequested(control, what, e);
      return failed(
          item,
          "io",
          what + ": re-reading the first " + prefix + " bytes to hash failed: " + e,
          true);
    }
    return null;
  }

  /**
   * Waits for a chunk's verification (which recorded and reported the chunk when it matched) and
   * returns its mismatch, if any. The wait is not cut short by an interrupt: the verification is
   * one sync and one read-back, and leaving it running would let it record a chunk while the copy
   * is being wound up; nor is the verifier interrupted, since an interrupted channel closes the
   * write. An interrupt is kept for the caller.
   */
  private static FileResult settle(Future<FileResult> inFlight, String what) {
    boolean interrupted = false;
    try {
      while (true) {
        try {
          return inFlight.get();
        } catch (InterruptedException e) {
          interrupted = true;
        }
      }
    } catch (ExecutionException e) {
      Throwable cause = e.getCause();
      if (cause instanceof RuntimeException r) {
        throw r;
      }
      if (cause instanceof Error err) {
        throw err;
      }
      throw new UncheckedIOException(
          new IOException(what + ": verifying a chunk failed: " + cause, cause));
    } finally {
      if (interrupted) {
        Thread.currentThread().interrupt();
      }
    }
  }

  /** {@link #settle} on the way out of a failed copy; a failure of its own is dropped. */
  private static void settleQuietly(Future<FileResult> inFlight, String what) {
    if (inFlight == null) {
      return;
    }
    try {
      settle(inFlight, what);
    } catch (RuntimeException e) {
      log.debug("{}: the last chunk's verification failed too", what, e);
    }
  }

  /** The whole file's CRC32C or Adler-32, combined from its chunks' (all of them). */
  private static int combine(
      ChecksumAlgorithm algorithm, List<String> checksums, long chunk, long size) {
    int combined = algorithm == ChecksumAlgorithm.ADLER32 ? 1 : 0; // the checksum of no bytes
    for (int i = 0; i < checksums.size(); i++) {
      int value = Integer.parseUnsignedInt(checksums.get(i), 16);
      combined = combine(algorithm, combined, value, chunkLength(i, chunk, size));
    }
    return combined;
  }

  /** Null when the chunk reads back as sent. */
  private static FileResult verifyChunk(
      ResumableWrite write,
      FileItem item,
      ChecksumAlgorithm algorithm,
      CopyControl control,
      int index,
      long offset,
      long length,
      String expected,
      byte[] buffer,
      String what) {
    Checksums.Hasher stored = Checksums.hasher(algorithm);
    try (InputStream back = write.readBack(offset, length)) {
      for (int n; (n = back.read(buffer)) >= 0; ) {
        checkStop(control, what, offset);
        stored.update(buffer, 0, n);
      }
    } catch (IOException e) {
      stopIfRequested(control, what, e);
      return failed(item, "io", what + ": reading back chunk " + index + " failed: " + e, true);
    }
    String actual = stored.hex();
    if (stored.bytes() == length && actual.equals(expected)) {
      return null;
    }
    return failed(
        item,
        ErrorClass.CHECKSUM_MISMATCH.wireName(),
        what
            + ": checksum mismatch in chunk "
            + index
            + " (bytes "
            + offset
            + ".."
            + (offset + length)
            + "), sent "
            + length
            + " bytes with "
            + algorithm.wireName()
            + " "
            + expected
            + ", stored "
            + stored.bytes()
            + " bytes with "
            + actual
            + "; nothing published, the "
            + index
            + " chunks before it stay resumable",
        true);
  }

  /** Reports the chunks that are durable, when there are more of them than last time. */
  private static void report(
      CopyControl control,
      FileItem item,
      ResumableWrite write,
      long chunk,
      List<String> checksums,
      long size,
      long durable,
      Progress progress) {
    int durableChunks =
        durable >= size ? checksums.size() : (int) Math.min(checksums.size(), durable / chunk);
    if (durableChunks > progress.reportedChunks) {
      progress.reportedChunks = durableChunks;
      control.resumePoint(
          item.source(),
          new ResumePoint(write.resumeToken(), chunk, checksums.subList(0, durableChunks), size));
    }
  }

  private static boolean canReadBackRanges(ResumableWrite write) {
    try (InputStream probe = write.readBack(0, 0)) {
      return true;
    } catch (StorageException e) {
      if (e.errorClass() == ErrorClass.UNSUPPORTED) {
        return false;
      }
      throw e;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static FileResult sourceChanged(FileItem item, String what, long size, String how) {
    return failed(
        item,
        FileCopier.SOURCE_CHANGED,
        what + ": source changed while copied: stat said " + size + " bytes, the source " + how,
        true);
  }

  private static int combine(ChecksumAlgorithm algorithm, int a, int b, long lengthB) {
    return algorithm == ChecksumAlgorithm.CRC32C
        ? ChecksumCombine.crc32c(a, b, lengthB)
        : ChecksumCombine.adler32(a, b, lengthB);
  }

  /**
   * Read-ahead buffers for chunks of {@code chunk} bytes: a chunk and one buffer more, so that the
   * source is read for the next chunk while this one is synced and read back (2 to 33 MiB).
   */
  static int readAheadDepth(long chunk) {
    return (int) Math.max(2, Math.min(32, chunk / FileCopier.READ_AHEAD_BUFFER + 1));
  }

  private static int hexDigits(ChecksumAlgorithm algorithm) {
    return switch (algorithm) {
      case CRC32C, ADLER32 -> 8;
      case MD5 -> 32;
      case SHA256 -> 64;
    };
  }

  private static long chunkLength(int index, long chunk, long size) {
    return Math.min(chunk, size - index * chunk);
  }

  private static long ceilDiv(long a, long b) {
    return (a + b - 1) / b;
  }

  private static void detachQuietly(ResumableWrite write, String what) {
    try {
      write.detach();
    } catch (RuntimeException e) {
      log.debug("{}: detaching the partial write failed", what, e);
    }
  }

  private static void abortQuietly(ResumableWrite write, String what) {
    try {
      write.abort();
    } catch (RuntimeException e) {
      log.warn("{}: removing the partial write failed: {}", what, e.getMessage());
    }
  }
}
