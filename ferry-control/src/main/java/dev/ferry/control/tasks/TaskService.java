package dev.ferry.control.tasks;

import dev.ferry.control.FerryProperties;
import dev.ferry.control.api.ApiProblem;
import dev.ferry.control.endpoints.EndpointService;
import dev.ferry.control.jobs.FileRecord;
import dev.ferry.control.jobs.JobErrors;
import dev.ferry.control.jobs.JobLifecycle;
import dev.ferry.control.jobs.TaskDispatcher;
import dev.ferry.control.outbox.Outbox;
import dev.ferry.model.Backoff;
import dev.ferry.model.ChecksumAlgorithm;
import dev.ferry.model.JobState;
import dev.ferry.model.OverwritePolicy;
import dev.ferry.model.TaskState;
import dev.ferry.model.TransferMode;
import dev.ferry.model.event.EventTypes;
import dev.ferry.model.event.Topics;
import dev.ferry.model.protocol.ClaimRequest;
import dev.ferry.model.protocol.CompleteRequest;
import dev.ferry.model.protocol.FileItem;
import dev.ferry.model.protocol.FileResult;
import dev.ferry.model.protocol.HeartbeatRequest;
import dev.ferry.model.protocol.HeartbeatResponse;
import dev.ferry.model.protocol.Lease;
import dev.ferry.model.protocol.ReleaseRequest;
import dev.ferry.model.protocol.ResumePoint;
import io.micrometer.core.instrument.MeterRegistry;
import java.sql.Timestamp;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;
import org.springframework.http.HttpStatus;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Service;
import org.springframework.transaction.support.TransactionTemplate;
import tools.jackson.core.type.TypeReference;
import tools.jackson.databind.json.JsonMapper;

/**
 * The server side of the worker protocol. Every call locks the task row, checks the attempt (the
 * fencing token) and applies its effect once: a callback for an attempt that is no longer current
 * is a 409, and a repeated {@code complete} for the current attempt returns the state it already
 * produced.
 */
@Service
public class TaskService {
  private final JdbcClient db;
  private final TransactionTemplate tx;
  private final Clock clock;
  private final FerryProperties properties;
  private final JobLifecycle lifecycle;
  private final TaskDispatcher dispatcher;
  private final EndpointService endpoints;
  private final Outbox outbox;
  private final JsonMapper json;
  private final Backoff backoff;
  private final MeterRegistry meters;

  public TaskService(
      JdbcClient db,
      TransactionTemplate tx,
      Clock clock,
      FerryProperties properties,
      JobLifecycle lifecycle,
      TaskDispatcher dispatcher,
      EndpointService endpoints,
      Outbox outbox,
      JsonMapper json,
      MeterRegistry meters) {
    this.db = db;
    this.tx = tx;
    this.clock = clock;
    this.properties = properties;
    this.lifecycle = lifecycle;
    this.dispatcher = dispatcher;
    this.endpoints = endpoints;
    this.outbox = outbox;
    this.json = json;
    this.meters = meters;
    this.backoff =
        Backoff.exponential().base(properties.retryBase()).max(properties.retryMax()).build();
  }

  /** A task row, locked. */
  record Row(
      UUID id,
      UUID jobId,
      UUID tenantId,
      TaskState state,
      int attempt,
      int maxAttempts,
      String workerId,
      String sourceSite,
      String destSite,
      String files,
      String results,
      Instant leaseExpiresAt,
      Instant dispatchedAt,
      String resume) {}

  /**
   * Locks the task's job row, then the task row: every writer takes the job first (cancel does
   * too), so concurrent callbacks, sweeps and cancels of one job cannot deadlock.
   */
  Row lock(UUID taskId) {
    db.sql(
            "SELECT 1 FROM jobs WHERE id = (SELECT job_id FROM tasks WHERE id = ?) FOR NO KEY UPDATE")
        .param(taskId)
        .query(Integer.class)
        .optional();
    return lockTaskOnly(taskId);
  }

  /**
   * Locks the task row only, for the callbacks that change nothing but that row (claim, heartbeat).
   * Such a transaction holds one lock and waits for no other while holding it, so it cannot close a
   * deadlock cycle with the job-first writers; and it does not queue behind them. A batch task's
   * {@code complete} holds the job row while it writes hundreds of file results and outbox rows;
   * when claims queued on that row too, the worker's free slots waited for every earlier completion
   * of the job (measured: 28.7 s of callback threads waiting in {@link #lock} during one 23 s job
   * of 20,000 small files; docs/benchmarks-transfer.md). A cancel still sees a consistent task:
   * both sides check and change the state under the task row's lock.
   */
  private Row lockTaskOnly(UUID taskId) {
    return db.sql(
            "SELECT id, job_id, tenant_id, state, attempt, max_attempts, worker_id, source_site,"
                + " dest_site, files, results, lease_expires_at, dispatched_at, resume FROM tasks"
                + " WHERE id = ? FOR UPDATE")
        .param(taskId)
        .query(
            (rs, i) ->
                new Row(
                    rs.getObject("id", UUID.class),
                    rs.getObject("job_id", UUID.class),
                    rs.getObject("tenant_id", UUID.class),
                    TaskState.valueOf(rs.getString("state")),
                    rs.getInt("attempt"),
                    rs.getInt("max_attempts"),
                    rs.getString("worker_id"),
                    rs.getString("source_site"),
                    rs.getString("dest_site"),
                    rs.getString("files"),
                    rs.getString("results"),
                    instant(rs.getTimestamp("lease_expires_at")),
                    instant(rs.getTimestamp("dispatched_at")),
                    rs.getString("resume")))
        .optional()
        .orElseThrow(() -> ApiProblem.notFound("task", taskId));
  }

  private ApiProblem stale(Row t, int attempt, String why) {
    meters.counter("ferry.callbacks.rejected", "reason", "stale_attempt").increment();
    return new ApiProblem(
        HttpStatus.CONFLICT,
        "stale-attempt",
        "Stale attempt",
        "task "
            + t.id()
            + " attempt "
            + attempt
            + " is not current: "
            + why
            + " (task is "
            + t.state()
            + " at attempt "
            + t.attempt()
            + ")",
        Map.of("taskState", t.state().name(), "currentAttempt", t.attempt()));
  }

  public Lease claim(UUID taskId, ClaimRequest req) {
    return tx.execute(
        s -> {
          if (req.workerId() == null || req.workerId().isBlank()) {
            throw ApiProblem.badRequest("workerId is required");
          }
          Row t = lockTaskOnly(taskId);
          if (req.attempt() != t.attempt()) {
            throw stale(t, req.attempt(), "another attempt is current");
          }
          Instant expires = clock.instant().plus(properties.leaseDuration());
          if (t.state() == TaskState.RUNNING
              && java.util.Objects.equals(req.workerId(), t.workerId())) {
            // the same worker retrying a claim whose answer it lost
          } else if (t.state() == TaskState.DISPATCHED) {
            t.state().transitionTo(TaskState.RUNNING);
          } else {
            throw stale(t, req.attempt(), "it is not waiting for a claim");
          }
          db.sql(
                  "UPDATE tasks SET state = 'RUNNING', worker_id = ?, lease_expires_at = ?,"
                      + " version = version + 1, updated_at = ? WHERE id = ?")
              .params(
                  req.workerId(), Timestamp.from(expires), Timestamp.from(clock.instant()), taskId)
              .update();
          return lease(t, expires);
        });
  }

  private Lease lease(Row t, Instant expires) {
    record JobRow(UUID src, UUID dst, String mode, String checksum, String overwrite) {}
    JobRow j =
        db.sql(
                "SELECT source_endpoint, dest_endpoint, mode, checksum, overwrite FROM jobs WHERE id = ?")
            .param(t.jobId())
            .query(
                (rs, i) ->
                    new JobRow(
                        rs.getObject(1, UUID.class),
                        rs.getObject(2, UUID.class),
                        rs.getString(3),
                        rs.getString(4),
                        rs.getString(5)))
            .single();
    List<FileItem> files = TaskDispatcher.unfinished(files(t), dispatcher.results(t.results()));
    Map<String, ResumePoint> points = resumePoints(t.resume());
    Map<String, ResumePoint> resume = new LinkedHashMap<>();
    files.forEach(
        f -> {
          if (points.containsKey(f.source())) {
            resume.put(f.source(), points.get(f.source()));
          }
        });
    return new Lease(
        t.id(),
        t.jobId(),
        t.attempt(),
        expires,
        TransferMode.valueOf(j.mode()),
        ChecksumAlgorithm.valueOf(j.checksum()),
        OverwritePolicy.valueOf(j.overwrite()),
        endpoints.reference(j.src()),
        endpoints.reference(j.dst()),
        files,
        resume);
  }

  private Map<String, ResumePoint> resumePoints(String column) {
    return column == null
        ? Map.of()
        : json.readValue(column, new TypeReference<Map<String, ResumePoint>>() {});
  }

  private List<FileItem> files(Row t) {
    return json.readValue(t.files(), new TypeReference<List<FileItem>>() {});
  }

  public HeartbeatResponse heartbeat(UUID taskId, HeartbeatRequest req) {
    return tx.execute(
        s -> {
          Row t = lockTaskOnly(taskId);
          if (req.attempt() != t.attempt()) {
            throw stale(t, req.attempt(), "another attempt is current");
          }
          if (t.state() == TaskState.CANCELLED) {
            return new HeartbeatResponse(HeartbeatResponse.Action.CANCEL, null);
          }
          if (t.state() != TaskState.RUNNING
              || !java.util.Objects.equals(req.workerId(), t.workerId())) {
            throw stale(t, req.attempt(), "it is not running for worker " + req.workerId());
          }
          Instant expires = clock.instant().plus(properties.leaseDuration());
          db.sql(
                  "UPDATE tasks SET lease_expires_at = ?, bytes_done = ?, files_done = ?,"
                      + " bytes_per_second = ?, resume = resume || ?::jsonb, updated_at = ?"
                      + " WHERE id = ?")
              .params(
                  Timestamp.from(expires),
                  req.bytesDone(),
                  req.filesDone(),
                  Math.max(0, req.bytesPerSecond()),
                  json.writeValueAsString(req.resume()),
                  Timestamp.from(clock.instant()),
                  taskId)
              .update();
          return new HeartbeatResponse(HeartbeatResponse.Action.CONTINUE, expires);
        });
  }

  /** What {@code complete} answers: the task's state after applying the results. */
  public record Completion(UUID taskId, String state, int attempt) {}

  public Completion complete(UUID taskId, CompleteRequest req) {
    return tx.execute(
        s -> {
          Row t = lock(taskId);
          if (req.attempt() != t.attempt()) {
            throw stale(t, req.attempt(), "another attempt is current");
          }
          if (t.state().isTerminal()) {
            // A repeated complete for this attempt (its answer was lost): already applied.
            return new Completion(taskId, t.state().name(), t.attempt());
          }
          if (t.state() != TaskState.RUNNING
              || !java.util.Objects.equals(req.workerId(), t.workerId())) {
            throw stale(t, req.attempt(), "it is not running for worker " + req.workerId());
          }
          return apply(t, req);
        });
  }

  private Completion apply(Row t, CompleteRequest req) {
    Instant now = clock.instant();
    List<FileItem> leased = TaskDispatcher.unfinished(files(t), dispatcher.results(t.results()));
    Map<String, FileItem> bySource = new LinkedHashMap<>();
    leased.forEach(f -> bySource.put(f.source(), f));
    Map<String, FileRecord> results = new LinkedHashMap<>(dispatcher.results(t.results()));
    long doneFiles = 0;
    long doneBytes = 0;
    long skipped = 0;
    JobErrors firstError = null;
    JobErrors lastError = null;
    boolean retryable = false;
    List<Outbox.Pending> facts = new ArrayList<>();
    List<FileResult> reported = req.files() == null ? List.of() : req.files();
    for (FileResult r : reported) {
      FileItem item = bySource.remove(r.source());
      if (item == null) {
        continue; // not part of this attempt (or reported twice): ignore
      }
      results.put(r.source(), FileRecord.fold(results.get(r.source()), r));
      switch (r.status()) {
        case SUCCEEDED -> {
          doneFiles++;
          doneBytes += r.bytes();
        }
        case SKIPPED -> skipped++;
        case FAILED -> {
          FileResult.FileError e =
              r.error() == null
                  ? new FileResult.FileError("unknown", "no error given", true)
                  : r.error();
          JobErrors je =
              new JobErrors(now, t.id(), t.attempt(), r.source(), e.errorClass(), e.message());
          firstError = firstError == null ? je : firstError;
          lastError = je;
          retryable |= e.retryable();
        }
      }
      facts.add(fact(t, item, r, req.durationMillis()));
    }
    for (FileItem missing : bySource.values()) {
      // A file the worker did not report: treat as a retryable failure, never as done.
      FileResult r =
          new FileResult(
              missing.source(),
              FileResult.Status.FAILED,
              0,
              null,
              new FileResult.FileError("not-reported", "worker did not report this file", true));
      results.put(missing.source(), FileRecord.fold(results.get(missing.source()), r));
      facts.add(fact(t, missing, r, req.durationMillis()));
      JobErrors je =
          new JobErrors(
              now,
              t.id(),
              t.attempt(),
              missing.source(),
              "not-reported",
              "worker did not report this file");
      firstError = firstError == null ? je : firstError;
      lastError = je;
      retryable = true;
    }
    boolean failed = lastError != null;
    TaskState next;
    if (!failed) {
      next = TaskState.SUCCEEDED;
    } else if (retryable && t.attempt() < t.maxAttempts()) {
      next = TaskState.PENDING;
    } else {
      next = TaskState.FAILED;
    }
    t.state().transitionTo(next);
    Map<String, ResumePoint> keptResume = new LinkedHashMap<>(resumePoints(t.resume()));
    results.forEach(
        (source, r) -> {
          if (r.finished()) {
            keptResume.remove(source);
          }
        });
    Instant notBefore =
        next == TaskState.PENDING
            ? now.plus(backoff.delay(t.attempt(), ThreadLocalRandom.current()))
            : null;
    db.sql(
            "UPDATE tasks SET state = ?, attempt = attempt + ?, results = ?::jsonb,"
                + " resume = ?::jsonb, bytes_per_second = 0,"
                + " first_error = coalesce(first_error, ?::jsonb),"
                + " last_error = coalesce(?::jsonb, last_error), not_before = ?::timestamptz,"
                + " worker_id = CASE WHEN ? THEN NULL ELSE worker_id END,"
                + " lease_expires_at = NULL, files_done = files_done + ?,"
                + " bytes_done = ?, version = version + 1, updated_at = ?,"
                + " finished_at = CASE WHEN ? THEN ?::timestamptz ELSE NULL END WHERE id = ?")
        .params(
            next.name(),
            next == TaskState.PENDING ? 1 : 0,
            json.writeValueAsString(results),
            json.writeValueAsString(next.isTerminal() ? Map.of() : keptResume),
            firstError == null ? null : json.writeValueAsString(firstError),
            lastError == null ? null : json.writeValueAsString(lastError),
            notBefore == null ? null : Timestamp.from(notBefore),
            next == TaskState.PENDING,
            doneFiles + skipped,
            results.values().stream()
                .filter(r -> r.status() == FileResult.Status.SUCCEEDED)
                .mapToLong(FileRecord::bytes)
                .sum(),
            Timestamp.from(now),
            next.isTerminal(),
            Timestamp.from(now),
            t.id())
        .update();
    long failedFiles = 0;
    long failedBytes = 0;
    if (next == TaskState.FAILED) {
      for (FileItem f : TaskDispatcher.unfinished(files(t), results)) {
        failedFiles++;
        failedBytes += f.size();
      }
    }
    db.sql(
            "UPDATE jobs SET files_done = files_done + ?, bytes_done = bytes_done + ?,"
                + " files_skipped = files_skipped + ?, files_failed = files_failed + ?,"
                + " bytes_failed = bytes_failed + ?,"
                + " first_error = coalesce(first_error, ?::jsonb),"
                + " last_error = coalesce(?::jsonb, last_error), updated_at = ? WHERE id = ?")
        .params(
            doneFiles,
            doneBytes,
            skipped,
            failedFiles,
            failedBytes,
            firstError == null ? null : json.writeValueAsString(firstError),
            lastError == null ? null : json.writeValueAsString(lastError),
            Timestamp.from(now),
            t.jobId())
        .update();
    if (!facts.isEmpty()) {
      outbox.appendAll(facts);
    }
    if (next == TaskState.PENDING) {
      lifecycle.record(
          t.jobId(),
          "task-retry",
          Map.of("taskId", t.id(), "attempt", t.attempt() + 1, "notBefore", notBefore.toString()));
    } else {
      settleJobIfDone(t.jobId());
    }
    return new Completion(
        t.id(), next.name(), next == TaskState.PENDING ? t.attempt() + 1 : t.attempt());
  }

  private Outbox.Pending fact(Row t, FileItem item, FileResult r, long durationMillis) {
    Map<String, Object> data = new LinkedHashMap<>();
    data.put("tenant", t.tenantId());
    data.put("jobId", t.jobId());
    data.put("taskId", t.id());
    data.put("attempt", t.attempt());
    data.put("sourceSite", t.sourceSite());
    data.put("destinationSite", t.destSite());
    data.put("file", item.source());
    data.put("outcome", r.status().name().toLowerCase());
    data.put("bytes", r.bytes());
    data.put("checksum", r.checksum());
    data.put("taskDurationMillis", durationMillis);
    if (r.error() != null) {
      data.put("errorClass", r.error().errorClass());
      data.put("retryable", r.error().retryable());
    }
    return new Outbox.Pending(
        Topics.TRANSFERS,
        Topics.linkKey(t.sourceSite(), t.destSite()),
        EventTypes.TRANSFER_COMPLETED,
        t.tenantId(),
        t.jobId().toString(),
        data);
  }

  /**
   * Settles the job when none of its tasks is left open. Locks the job row first: completions of
   * one job's tasks serialize on it, so the last one sees every other's committed task state.
   */
  void settleJobIfDone(UUID jobId) {
    JobLifecycle.Locked job = lifecycle.lock(jobId).orElseThrow();
    if (job.state() != JobState.RUNNING) {
      return;
    }
    record Counts(long open, long failed, long succeeded) {}
    Counts c =
        db.sql(
                "SELECT count(*) FILTER (WHERE state IN ('PENDING','DISPATCHED','RUNNING')),"
                    + " count(*) FILTER (WHERE state = 'FAILED' AND NOT EXISTS"
                    + "   (SELECT 1 FROM tasks r WHERE r.retry_of = t.id)),"
                    + " (SELECT files_done + files_skipped FROM jobs WHERE id = ?)"
                    + " FROM tasks t WHERE job_id = ?")
            .params(jobId, jobId)
            .query((rs, i) -> new Counts(rs.getLong(1), rs.getLong(2), rs.getLong(3)))
            .single();
    if (c.open() > 0) {
      return;
    }
    JobState end =
        c.failed() == 0
            ? JobState.SUCCEEDED
            : c.succeeded() > 0 ? JobState.PARTIALLY_SUCCEEDED : JobState.FAILED;
    lifecycle.transition(job, end, Map.of());
  }

  public Completion release(UUID taskId, ReleaseRequest req) {
    return tx.execute(
        s -> {
          Row t = lock(taskId);
          if (req.attempt() != t.attempt()
              || t.state() != TaskState.RUNNING
              || !java.util.Objects.equals(req.workerId(), t.workerId())) {
            throw stale(t, req.attempt(), "it is not running for worker " + req.workerId());
          }
          requeue(t, Duration.ZERO, "released", "worker " + req.workerId() + " released its lease");
          return new Completion(taskId, TaskState.PENDING.name(), t.attempt() + 1);
        });
  }

  /**
   * Sends a locked task back to {@code PENDING} with attempt + 1 after {@code delay}, or fails it
   * when its attempts are used up.
   */
  void requeue(Row t, Duration delay, String errorClass, String message) {
    Instant now = clock.instant();
    String error =
        json.writeValueAsString(new JobErrors(now, t.id(), t.attempt(), null, errorClass, message));
    boolean exhausted = t.attempt() >= t.maxAttempts() && !"released".equals(errorClass);
    TaskState next = exhausted ? TaskState.FAILED : TaskState.PENDING;
    t.state().transitionTo(next);
    db.sql(
            "UPDATE tasks SET state = ?, attempt = attempt + ?, not_before = ?, worker_id = NULL,"
                + " lease_expires_at = NULL, first_error = coalesce(first_error, ?::jsonb),"
                + " last_error = ?::jsonb, version = version + 1, updated_at = ?,"
                + " finished_at = ?::timestamptz WHERE id = ?")
        .params(
            next.name(),
            exhausted ? 0 : 1,
            Timestamp.from(now.plus(delay)),
            error,
            error,
            Timestamp.from(now),
            exhausted ? Timestamp.from(now) : null,
            t.id())
        .update();
    db.sql(
            "UPDATE jobs SET first_error = coalesce(first_error, ?::jsonb), last_error = ?::jsonb"
                + " WHERE id = ?")
        .params(error, error, t.jobId())
        .update();
    lifecycle.record(
        t.jobId(),
        exhausted ? "task-failed" : "task-requeued",
        Map.of("taskId", t.id(), "attempt", t.attempt(), "reason", message));
    if (exhausted) {
      long[] unfinished = {0, 0};
      for (FileItem f : TaskDispatcher.unfinished(files(t), dispatcher.results(t.results()))) {
        unfinished[0]++;
        unfinished[1] += f.size();
      }
      db.sql(
              "UPDATE jobs SET files_failed = files_failed + ?, bytes_failed = bytes_failed + ? WHERE id = ?")
          .params(unfinished[0], unfinished[1], t.jobId())
          .update();
      settleJobIfDone(t.jobId());
    }
  }

  private static Instant instant(Timestamp t) {
    return t == null ? null : t.toInstant();
  }

  Duration backoffFor(int attempt) {
    return backoff.delay(attempt, ThreadLocalRandom.current());
  }
}
