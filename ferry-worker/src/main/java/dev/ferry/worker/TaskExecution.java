package dev.ferry.worker;

import dev.ferry.model.protocol.CompleteRequest;
import dev.ferry.model.protocol.FileItem;
import dev.ferry.model.protocol.FileResult;
import dev.ferry.model.protocol.FileResult.FileError;
import dev.ferry.model.protocol.HeartbeatRequest;
import dev.ferry.model.protocol.HeartbeatResponse;
import dev.ferry.model.protocol.Lease;
import dev.ferry.model.protocol.ReleaseRequest;
import dev.ferry.storage.StorageEndpoint;
import dev.ferry.storage.StorageException;
import dev.ferry.worker.WorkerListener.Outcome;
import dev.ferry.worker.WorkerListener.StopReason;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import tools.jackson.databind.JsonNode;

/**
 * One claimed attempt, run on the calling thread: copies every file of the lease, heartbeats on the
 * scheduler meanwhile, and reports. A stop (cancel, stale attempt, lease run out, shutdown) ends
 * the copy at the next buffer boundary with the temporary object aborted; a cancelled or stale
 * attempt reports nothing more, a shut-down one releases its lease.
 */
final class TaskExecution implements CopyControl {
  private static final Logger log = LoggerFactory.getLogger(TaskExecution.class);

  private enum Phase {
    COPYING,
    REPORTING,
    DONE
  }

  private final Lease lease;
  private final String workerId;
  private final Clock clock;
  private final Duration heartbeatInterval;
  private final ControlPlaneClient client;
  private final EndpointOpener opener;
  private final FileCopier copier;
  private final WorkerListener listener;

  private final AtomicLong bytesDone = new AtomicLong();
  private final AtomicInteger filesDone = new AtomicInteger();
  private final AtomicReference<StopReason> stop = new AtomicReference<>();
  private final AtomicBoolean released = new AtomicBoolean();
  private volatile Instant leaseExpiresAt;
  private volatile Phase phase = Phase.COPYING;
  private volatile Thread runner;

  TaskExecution(
      Lease lease,
      String workerId,
      Clock clock,
      Duration heartbeatInterval,
      ControlPlaneClient client,
      EndpointOpener opener,
      FileCopier copier,
      WorkerListener listener) {
    this.lease = lease;
    this.workerId = workerId;
    this.clock = clock;
    this.heartbeatInterval = heartbeatInterval;
    this.client = client;
    this.opener = opener;
    this.copier = copier;
    this.listener = listener;
    this.leaseExpiresAt = lease.expiresAt();
  }

  Lease lease() {
    return lease;
  }

  @Override
  public boolean stopRequested() {
    return stop.get() != null;
  }

  @Override
  public void bytesCopied(long bytes) {
    bytesDone.addAndGet(bytes);
  }

  /** Asks the attempt to stop; the first reason wins. */
  void requestStop(StopReason reason) {
    if (phase != Phase.DONE && stop.compareAndSet(null, reason)) {
      log.info(
          "task {} attempt {}: stopping ({}) after {} bytes, {} files",
          lease.taskId(),
          lease.attempt(),
          reason,
          bytesDone.get(),
          filesDone.get());
      listener.stopRequested(lease, reason);
    }
  }

  /**
   * Interrupts the running thread if it is still copying (blocked reads end at once); a thread that
   * is reporting is left alone so that its answer is not lost.
   */
  void interruptIfCopying() {
    Thread t = runner;
    if (t != null && phase == Phase.COPYING) {
      t.interrupt();
    }
  }

  /** Runs the attempt to its end on the calling thread. */
  Outcome run(ScheduledExecutorService scheduler) {
    runner = Thread.currentThread();
    Instant started = clock.instant();
    long interval = heartbeatInterval.toNanos();
    ScheduledFuture<?> heartbeats =
        scheduler.scheduleWithFixedDelay(this::heartbeat, interval, interval, TimeUnit.NANOSECONDS);
    List<FileResult> results = new ArrayList<>();
    Outcome outcome;
    try {
      copyAll(results);
      phase = Phase.REPORTING;
      heartbeats.cancel(false);
      StopReason reason = stop.get();
      int leased = lease.files() == null ? 0 : lease.files().size();
      if (reason == null || (reason == StopReason.SHUTDOWN && results.size() == leased)) {
        // a shutdown that arrives after the last file is done still reports the work
        outcome = complete(results, Duration.between(started, clock.instant()).toMillis());
      } else if (reason == StopReason.SHUTDOWN) {
        outcome = release();
      } else {
        outcome = reason == StopReason.CANCELLED ? Outcome.CANCELLED : Outcome.ABANDONED;
      }
    } finally {
      heartbeats.cancel(false);
      phase = Phase.DONE;
      runner = null;
    }
    listener.taskFinished(lease, outcome, List.copyOf(results));
    return outcome;
  }

  private void copyAll(List<FileResult> results) {
    List<FileItem> files = lease.files() == null ? List.of() : lease.files();
    CopyOptions options = CopyOptions.of(lease);
    StorageEndpoint source = null;
    StorageEndpoint destination = null;
    try {
      try {
        source = opener.open(lease.source());
        destination = opener.open(lease.destination());
      } catch (StorageException e) {
        for (FileItem f : files) {
          results.add(
              failed(
                  f,
                  e.errorClass().wireName(),
                  "cannot open endpoint: " + e.getMessage(),
                  e.retryable()));
        }
        return;
      }
      for (FileItem file : files) {
        if (stopRequested()) {
          return;
        }
        FileResult result;
        try {
          result = copier.copy(source, destination, file, options, this);
        } catch (CopyStoppedException e) {
          stop.compareAndSet(null, StopReason.SHUTDOWN); // interrupted without a reason
          return;
        } catch (RuntimeException e) {
          log.error("task {}: unexpected failure copying '{}'", lease.taskId(), file.source(), e);
          result = failed(file, "internal", e.toString(), true);
        }
        results.add(result);
        filesDone.incrementAndGet();
        if (result.status() == FileResult.Status.SUCCEEDED) {
          listener.fileCopied(lease, file, result.bytes());
        }
      }
    } finally {
      closeQuietly(source);
      closeQuietly(destination);
    }
  }

  private Outcome complete(List<FileResult> results, long durationMillis) {
    try {
      JsonNode answer =
          client.complete(
              lease.taskId(),
              new CompleteRequest(workerId, lease.attempt(), durationMillis, List.copyOf(results)));
      log.info(
          "task {} attempt {} completed: {} files, {} bytes in {} ms; control plane says {}",
          lease.taskId(),
          lease.attempt(),
          results.size(),
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
          results.size(),
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
      client.release(lease.taskId(), new ReleaseRequest(workerId, lease.attempt()));
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
    try {
      HeartbeatResponse answer =
          client.heartbeat(
              lease.taskId(),
              new HeartbeatRequest(workerId, lease.attempt(), bytesDone.get(), filesDone.get()));
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
      if (expires != null && !clock.instant().isBefore(expires)) {
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
