package dev.ferry.worker;

import dev.ferry.model.protocol.CompleteRequest;
import dev.ferry.model.protocol.FileItem;
import dev.ferry.model.protocol.FileResult;
import dev.ferry.model.protocol.FileResult.FileError;
import dev.ferry.model.protocol.HeartbeatRequest;
import dev.ferry.model.protocol.HeartbeatResponse;
import dev.ferry.model.protocol.Lease;
import dev.ferry.model.protocol.ReleaseRequest;
import dev.ferry.model.protocol.ResumePoint;
import dev.ferry.storage.GroupCommit;
import dev.ferry.storage.RelativePath;
import dev.ferry.storage.StorageEndpoint;
import dev.ferry.storage.StorageException;
import dev.ferry.worker.WorkerListener.Outcome;
import dev.ferry.worker.WorkerListener.StopReason;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.AtomicReferenceArray;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import tools.jackson.databind.JsonNode;

/**
 * One claimed attempt, run on the calling thread: copies every file of the lease, heartbeats on the
 * scheduler meanwhile, and reports. A stop (cancel, stale attempt, lease run out, shutdown) ends
 * the copy at the next buffer boundary with the temporary object aborted (a chunked copy keeps its
 * verified chunks unless the job was cancelled); a cancelled or stale attempt reports nothing more,
 * a shut-down one releases its lease.
 *
 * <p><b>Pipelining.</b> The files of a batch are copied up to {@code fileConcurrency} at a time:
 * the calling thread and helpers from the worker's file pool take the next file index from a shared
 * counter, and each result lands at its file's index, so results stay in lease order whatever
 * finishes first. A small file costs a few metadata round trips and an fsync, which overlap well;
 * when the pool has no thread to spare, fewer helpers run and the calling thread does the rest.
 * Progress counters are shared atomics; a stop is seen by every copier at its next buffer. The
 * listener hears of published files in lease order.
 *
 * <p><b>Durability in groups.</b> When the destination has {@link GroupCommit}, the files are
 * copied through one group per attempt, and the group is synced after the last file and before the
 * report: every file reported {@code SUCCEEDED} is published and durable, as with per-file commits.
 * On the local filesystem that is one {@code syncfs}, the renames and one sync per directory for a
 * whole batch, instead of two syncs per file. A stopped attempt that will not report aborts the
 * group, removing what it staged.
 *
 * <p><b>Heartbeats</b> carry bytes and files done, the moving byte rate over the last {@link
 * #RATE_WINDOW} and the latest resume point of each chunked file in progress.
 */
final class TaskExecution implements CopyControl {
  private static final Logger log = LoggerFactory.getLogger(TaskExecution.class);
  static final Duration RATE_WINDOW = Duration.ofSeconds(10);

  /** What every execution of a worker shares. */
  record Services(
      String workerId,
      Clock clock,
      Duration heartbeatInterval,
      ControlPlaneClient client,
      EndpointOpener opener,
      FileCopier copier,
      WorkerListener listener,
      int fileConcurrency,
      Executor filePool,
      TemporaryFileSweeper sweeper,
      int rangesPerFile) {}

  private enum Phase {
    COPYING,
    REPORTING,
    DONE
  }

  private final Lease lease;
  private final java.util.function.Consumer<TaskExecution> copyDone;
  private final Services services;
  private final BandwidthLimiter bandwidth; // null: not throttled
  private final List<FileItem> files;
  private final AtomicReferenceArray<FileResult> results;

  private final AtomicLong bytesDone = new AtomicLong();
  private final AtomicInteger filesDone = new AtomicInteger();
  private final AtomicInteger announced =
      new AtomicInteger(); // files passed to fileCopied, in order
  private final Map<String, ResumePoint> resumePoints = new ConcurrentHashMap<>();
  private final AtomicReference<StopReason> stop = new AtomicReference<>();
  private final AtomicBoolean released = new AtomicBoolean();
  private final Set<Thread> helpers = new HashSet<>(); // guarded by itself
  private volatile Instant leaseExpiresAt;
  private volatile Phase phase = Phase.COPYING;
  private volatile Thread runner;
  private volatile MovingRate rate;
  private volatile long durationMillis;

  TaskExecution(Lease lease, Services services, BandwidthLimiter bandwidth) {
    this(lease, services, bandwidth, e -> {});
  }

  /**
   * @param copyDone called once on the running thread when the copying is over (results final, stop
   *     state known) and before the report: the worker frees the task's slot and link permit there,
   *     so the next task's claim and copy overlap with this one's report. Must not throw.
   */
  TaskExecution(
      Lease lease,
      Services services,
      BandwidthLimiter bandwidth,
      java.util.function.Consumer<TaskExecution> copyDone) {
    this.copyDone = copyDone;
    this.lease = lease;
    this.services = services;
    this.bandwidth = bandwidth;
    this.files = lease.files() == null ? List.of() : lease.files();
    this.results = new AtomicReferenceArray<>(files.size());
    this.leaseExpiresAt = lease.expiresAt();
  }

  Lease lease() {
    return lease;
  }

  /** Results computed so far, in lease order (all of them once a run reported). */
  List<FileResult> results() {
    List<FileResult> done = new ArrayList<>(results.length());
    for (int i = 0; i < results.length(); i++) {
      FileResult r = results.get(i);
      if (r != null) {
        done.add(r);
      }
    }
    return done;
  }

  /** Bytes read from the source and written to temporary objects so far. */
  long bytesOnWire() {
    return bytesDone.get();
  }

  /** From the start of {@link #run} to its end (reporting included); 0 before. */
  long durationMillis() {
    return durationMillis;
  }

  @Override
  public boolean stopRequested() {
    return stop.get() != null;
  }

  @Override
  public Clock clock() {
    return services.clock();
  }

  @Override
  public void bytesCopied(long bytes) {
    bytesDone.addAndGet(bytes);
    if (bandwidth != null) {
      bandwidth.acquire(bytes, this::stopRequested);
    }
  }

  @Override
  public void resumePoint(String source, ResumePoint point) {
    if (point == null) {
      resumePoints.remove(source);
    } else {
      resumePoints.put(source, point);
    }
  }

  /** Verified chunks are kept for the next attempt unless nobody will run one (cancelled job). */
  @Override
  public boolean keepResumableOnStop() {
    return stop.get() != StopReason.CANCELLED;
  }

  /** Asks the attempt to stop; the first reason wins. */
  void requestStop(StopReason reason) {
    if (phase != Phase.DONE && stop.compareAndSet(null, reason)) {
      log.info(
          "task {} attempt {}: stopping ({}) after {} bytes, {} of {} files",
          lease.taskId(),
          lease.attempt(),
          reason,
          bytesDone.get(),
          filesDone.get(),
          files.size());
      services.listener().stopRequested(lease, reason);
    }
  }

  /**
   * Interrupts the threads still copying (blocked reads end at once); a thread that is reporting is
   * left alone so that its answer is not lost.
   */
  void interruptIfCopying() {
    synchronized (helpers) {
      if (phase != Phase.COPYING) {
        return;
      }
      Thread t = runner;
      if (t != null) {
        t.interrupt();
      }
      helpers.forEach(Thread::interrupt);
    }
  }

  /** Runs the attempt to its end on the calling thread. */
  Outcome run(ScheduledExecutorService scheduler) {
    runner = Thread.currentThread();
    Instant started = services.clock().instant();
    rate = new MovingRate(RATE_WINDOW, started, 0);
    long interval = services.heartbeatInterval().toNanos();
    ScheduledFuture<?> heartbeats =
        scheduler.scheduleWithFixedDelay(this::heartbeat, interval, interval, TimeUnit.NANOSECONDS);
    Outcome outcome;
    try {
      try {
        copyAll();
      } finally {
        copyDone.accept(this);
      }
      synchronized (helpers) {
        phase = Phase.REPORTING;
      }
      heartbeats.cancel(false);
      StopReason reason = stop.get();
      List<FileResult> done = results();
      if (reason == null || (reason == StopReason.SHUTDOWN && done.size() == files.size())) {
        // a shutdown that arrives after the last file is done still reports the work
        outcome = complete(done, Duration.between(started, services.clock().instant()).toMillis());
      } else if (reason == StopReason.SHUTDOWN) {
        outcome = release();
      } else {
        outcome = reason == StopReason.CANCELLED ? Outcome.CANCELLED : Outcome.ABANDONED;
      }
    } finally {
      heartbeats.cancel(false);
      synchronized (helpers) {
        phase = Phase.DONE;
      }
      runner = null;
      durationMillis = Duration.between(started, services.clock().instant()).toMillis();
    }
    services.listener().taskFinished(lease, outcome, results());
    return outcome;
  }

  private void copyAll() {
    CopyOptions options = CopyOptions.of(lease).withRanges(services.rangesPerFile());
    StorageEndpoint source = null;
    StorageEndpoint destination = null;
    try {
      try {
        source = services.opener().open(lease.source());
        destination = services.opener().open(lease.destination());
      } catch (StorageException e) {
        for (int i = 0; i < files.size(); i++) {
          results.set(
              i,
              failed(
                  files.get(i),
                  e.errorClass().wireName(),
                  "cannot open endpoint: " + e.getMessage(),
                  e.retryable()));
        }
        return;
      }
      services.sweeper().beforeWrites(lease.destination(), destination, files);
      AtomicInteger next = new AtomicInteger();
      int extra = Math.min(services.fileConcurrency(), files.size()) - 1;
      CountDownLatch helpersDone = new CountDownLatch(Math.max(0, extra));
      StorageEndpoint src = source;
      GroupCommit.Group group =
          destination.capability(GroupCommit.class).map(GroupCommit::beginGroup).orElse(null);
      StorageEndpoint dst = group == null ? destination : group.endpoint();
      for (int h = 0; h < extra; h++) {
        try {
          services
              .filePool()
              .execute(
                  () -> {
                    try {
                      copyFiles(src, dst, options, next, true);
                    } finally {
                      helpersDone.countDown();
                    }
                  });
        } catch (RejectedExecutionException e) {
          // no thread to spare: this thread does more of the work itself
          for (int rest = h; rest < extra; rest++) {
            helpersDone.countDown();
          }
          break;
        }
      }
      try {
        copyFiles(src, dst, options, next, false);
        awaitHelpers(helpersDone);
        if (group != null && (!stopRequested() || results().size() == files.size())) {
          syncGroup(group, destination); // these results will be reported
        }
      } finally {
        if (group != null) {
          group.abort(); // what a stopped or failed attempt staged and did not publish
        }
      }
    } finally {
      closeQuietly(source);
      closeQuietly(destination);
    }
  }

  /**
   * Publishes the task's files durably through the group before anything is reported. A file the
   * group could not publish is reported failed with the group's reason. When durability cannot be
   * established at all, every file of this attempt is reported as a retryable failure instead (its
   * content may not survive a crash); the next attempt finds what was published in place and, with
   * {@code IF_DIFFERENT}, only re-reads it to compare checksums.
   */
  private void syncGroup(GroupCommit.Group group, StorageEndpoint destination) {
    Map<String, StorageException> unpublished;
    try {
      unpublished = group.sync();
    } catch (RuntimeException e) {
      log.warn(
          "task {} attempt {}: syncing the published files' directories at {} failed: {}",
          lease.taskId(),
          lease.attempt(),
          destination.uri(),
          e.toString());
      for (int i = 0; i < results.length(); i++) {
        FileResult r = results.get(i);
        if (r != null && r.status() == FileResult.Status.SUCCEEDED) {
          results.set(
              i, failed(files.get(i), "io", "publishing durably failed: " + e.getMessage(), true));
        }
      }
      return;
    }
    if (unpublished.isEmpty()) {
      return;
    }
    for (int i = 0; i < results.length(); i++) {
      FileResult r = results.get(i);
      StorageException e =
          r == null || r.status() != FileResult.Status.SUCCEEDED
              ? null
              : unpublished.get(RelativePath.of(files.get(i).destination()).value());
      if (e != null) {
        results.set(
            i,
            failed(
                files.get(i),
                e.errorClass().wireName(),
                "'" + files.get(i).destination() + "': " + e.getMessage(),
                e.retryable()));
      }
    }
  }

  /** Copies files, taking the next index from {@code next}, until none is left or a stop. */
  private void copyFiles(
      StorageEndpoint source,
      StorageEndpoint destination,
      CopyOptions options,
      AtomicInteger next,
      boolean helper) {
    Thread me = Thread.currentThread();
    if (helper) {
      synchronized (helpers) {
        if (phase != Phase.COPYING) {
          return;
        }
        helpers.add(me);
      }
    }
    try {
      while (!stopRequested()) {
        int i = next.getAndIncrement();
        if (i >= files.size()) {
          return;
        }
        FileItem file = files.get(i);
        FileResult result;
        try {
          result = services.copier().copy(source, destination, file, options, this);
        } catch (CopyStoppedException e) {
          stop.compareAndSet(null, StopReason.SHUTDOWN); // interrupted without a reason
          return;
        } catch (RuntimeException e) {
          log.error("task {}: unexpected failure copying '{}'", lease.taskId(), file.source(), e);
          result = failed(file, "internal", e.toString(), true);
        }
        results.set(i, result);
        filesDone.incrementAndGet();
        announceInOrder();
      }
    } finally {
      if (helper) {
        synchronized (helpers) {
          helpers.remove(me);
        }
        Thread.interrupted(); // a pool thread must not carry this task's interrupt to the next
      }
    }
  }

  /**
   * Tells the listener about published files in lease order, as far as the results are contiguous,
   * whatever order the concurrent copies finish in.
   */
  private void announceInOrder() {
    synchronized (announced) {
      for (int i = announced.get(); i < results.length() && results.get(i) != null; i++) {
        FileResult r = results.get(i);
        if (r.status() == FileResult.Status.SUCCEEDED) {
          services.listener().fileCopied(lease, files.get(i), r.bytes());
        }
        announced.set(i + 1);
      }
    }
  }

  /**
   * Waits for the helpers: they use the endpoints this thread closes next. An interrupt (shutdown)
   * becomes a stop and is passed on to them; the flag is restored afterwards.
   */
  private void awaitHelpers(CountDownLatch helpersDone) {
    boolean interrupted = false;
    while (true) {
      try {
        helpersDone.await();
        break;
      } catch (InterruptedException e) {
        interrupted = true;
        stop.compareAndSet(null, StopReason.SHUTDOWN);
        synchronized (helpers) {
          helpers.forEach(Thread::interrupt);
        }
      }
    }
    if (interrupted) {
      Thread.currentThread().interrupt();
    }
  }

  private Outcome complete(List<FileResult> done, long durationMillis) {
    try {
      JsonNode answer =
          services
              .client()
              .complete(
                  lease.taskId(),
                  new CompleteRequest(
                      services.workerId(), lease.attempt(), durationMillis, List.copyOf(done)));
      log.info(
          "task {} attempt {} completed: {} files, {} bytes in {} ms; control plane says {}",
          lease.taskId(),
          lease.attempt(),
          done.size(),
          bytesDone.get(),
          durationMillis,
          answer);
      return Outcome.COMPLETED;
    } catch (StaleAttemptException e) {
      log.info(
          "task {} attempt {}: results refused as stale: {}",
          lease.taskId(),
          lease.attempt(),
          e.getMessage());
      return Outcome.ABANDONED;
    } catch (ControlPlaneException e) {
      log.warn(
          "task {} attempt {}: results of {} files not delivered; the lease will expire and the"
              + " task run again: {}",
          lease.taskId(),
          lease.attempt(),
          done.size(),
          e.getMessage());
      return Outcome.UNREPORTED;
    }
  }

  /**
   * Gives the lease back. Called by the running thread after a shutdown stop, or by the worker for
   * a thread that did not stop in time; only the first call talks to the control plane.
   */
  Outcome release() {
    if (!released.compareAndSet(false, true)) {
      return Outcome.RELEASED;
    }
    boolean interrupted = Thread.interrupted(); // an interrupted thread cannot send HTTP
    try {
      services
          .client()
          .release(lease.taskId(), new ReleaseRequest(services.workerId(), lease.attempt()));
      log.info("task {} attempt {}: lease released on shutdown", lease.taskId(), lease.attempt());
      return Outcome.RELEASED;
    } catch (StaleAttemptException e) {
      return Outcome.ABANDONED;
    } catch (ControlPlaneException e) {
      log.warn(
          "task {} attempt {}: release failed, the lease will expire instead: {}",
          lease.taskId(),
          lease.attempt(),
          e.getMessage());
      return Outcome.ABANDONED;
    } finally {
      if (interrupted) {
        Thread.currentThread().interrupt();
      }
    }
  }

  private void heartbeat() {
    if (phase != Phase.COPYING || stopRequested()) {
      return;
    }
    long bytes = bytesDone.get();
    MovingRate r = rate;
    long bytesPerSecond = r == null ? 0 : r.update(services.clock().instant(), bytes);
    try {
      HeartbeatResponse answer =
          services
              .client()
              .heartbeat(
                  lease.taskId(),
                  new HeartbeatRequest(
                      services.workerId(),
                      lease.attempt(),
                      bytes,
                      filesDone.get(),
                      bytesPerSecond,
                      Map.copyOf(resumePoints)));
      if (answer.action() == HeartbeatResponse.Action.CANCEL) {
        requestStop(StopReason.CANCELLED);
      } else if (answer.leaseExpiresAt() != null) {
        leaseExpiresAt = answer.leaseExpiresAt();
      }
    } catch (StaleAttemptException e) {
      requestStop(StopReason.STALE);
    } catch (RuntimeException e) {
      Instant expires = leaseExpiresAt;
      log.warn(
          "task {} attempt {}: heartbeat failed (lease until {}): {}",
          lease.taskId(),
          lease.attempt(),
          expires,
          e.getMessage());
      if (expires != null && !services.clock().instant().isBefore(expires)) {
        requestStop(StopReason.LEASE_EXPIRED);
      }
    }
  }

  private static FileResult failed(
      FileItem f, String errorClass, String message, boolean retryable) {
    return new FileResult(
        f.source(),
        FileResult.Status.FAILED,
        0,
        null,
        new FileError(errorClass, message, retryable));
  }

  private static void closeQuietly(StorageEndpoint endpoint) {
    if (endpoint != null) {
      try {
        endpoint.close();
      } catch (RuntimeException e) {
        log.debug("closing {} failed", endpoint.uri(), e);
      }
    }
  }
}
