package dev.ferry.control.jobs;

import dev.ferry.control.api.ApiProblem;
import dev.ferry.control.api.Requests;
import dev.ferry.control.endpoints.EndpointService;
import dev.ferry.control.outbox.Outbox;
import dev.ferry.model.ChecksumAlgorithm;
import dev.ferry.model.JobState;
import dev.ferry.model.OverwritePolicy;
import dev.ferry.model.TaskState;
import dev.ferry.model.Tokens;
import dev.ferry.model.TransferMode;
import dev.ferry.model.event.EventTypes;
import dev.ferry.model.event.Topics;
import dev.ferry.storage.InvalidPathException;
import dev.ferry.storage.RelativePath;
import java.nio.charset.StandardCharsets;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import org.springframework.http.HttpStatus;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Service;
import org.springframework.transaction.support.TransactionTemplate;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/** Submitting, reading, cancelling and retrying jobs, always within one tenant. */
@Service
public class JobService {
  static final String JOB_COLUMNS =
      "j.id, j.state, j.mode, j.checksum, j.overwrite, j.priority, j.source_path, j.dest_path,"
          + " j.source_site, j.dest_site, se.name AS source_endpoint, de.name AS dest_endpoint,"
          + " j.files_total, j.bytes_total, j.files_done, j.bytes_done, j.files_skipped,"
          + " j.files_failed, j.bytes_failed, j.first_error, j.last_error, j.created_at,"
          + " j.updated_at, j.started_at, j.finished_at";
  static final String JOB_FROM =
      " FROM jobs j JOIN endpoints se ON se.id = j.source_endpoint"
          + " JOIN endpoints de ON de.id = j.dest_endpoint";

  private final JdbcClient db;
  private final Clock clock;
  private final EndpointService endpoints;
  private final JobLifecycle lifecycle;
  private final Outbox outbox;
  private final JsonMapper json;
  private final TransactionTemplate tx;
  private final TaskDispatcher dispatcher;

  public JobService(
      JdbcClient db,
      Clock clock,
      EndpointService endpoints,
      JobLifecycle lifecycle,
      Outbox outbox,
      JsonMapper json,
      TransactionTemplate tx,
      TaskDispatcher dispatcher) {
    this.db = db;
    this.clock = clock;
    this.endpoints = endpoints;
    this.lifecycle = lifecycle;
    this.outbox = outbox;
    this.json = json;
    this.tx = tx;
    this.dispatcher = dispatcher;
  }

  /** The validated form of a request; its JSON is what the idempotency hash covers. */
  public record Spec(
      String sourceEndpoint,
      String sourcePath,
      String destinationEndpoint,
      String destinationPath,
      TransferMode mode,
      ChecksumAlgorithm checksum,
      OverwritePolicy overwrite,
      int priority) {}

  /** The response to a submission: its body, and whether it replays an earlier one. */
  public record Submitted(boolean replay, String body) {}

  /** A page of jobs; {@code next} is the cursor of the following page, or null. */
  public record Page(List<JobView> items, String next) {}

  public Submitted submit(UUID tenant, String idempotencyKey, JobRequest request) {
    Spec spec = validate(request);
    String hash = Tokens.sha256Hex(json.writeValueAsString(spec));
    String key = idempotencyKey == null ? null : idempotencyKey.strip();
    if (key != null && (key.isEmpty() || key.length() > 255)) {
      throw ApiProblem.badRequest("Idempotency-Key must be 1-255 characters");
    }
    if (key != null) {
      Optional<Submitted> earlier = replay(tenant, key, hash);
      if (earlier.isPresent()) {
        return earlier.get();
      }
    }
    String body;
    try {
      body = tx.execute(s -> insert(tenant, key, hash, spec));
    } catch (IdempotencyRace race) {
      // Another request with this key committed first; ours rolled back. Answer as a replay.
      return replay(tenant, key, hash)
          .orElseThrow(() -> new IllegalStateException("idempotency row vanished for " + key));
    }
    return new Submitted(false, body);
  }

  private Optional<Submitted> replay(UUID tenant, String key, String hash) {
    return db.sql(
            "SELECT request_hash, response_body FROM idempotency_keys WHERE tenant_id = ? AND key = ?")
        .params(tenant, key)
        .query(
            (rs, i) -> {
              if (!rs.getString("request_hash").equals(hash)) {
                throw new ApiProblem(
                    HttpStatus.UNPROCESSABLE_CONTENT,
                    "idempotency-key-reused",
                    "Idempotency-Key reused",
                    "Idempotency-Key '" + key + "' was used with a different request body");
              }
              return new Submitted(true, rs.getString("response_body"));
            })
        .optional();
  }

  /**
   * Inserts the job and returns its response body; throws {@link IdempotencyRace} when the key
   * raced.
   */
  private String insert(UUID tenant, String key, String hash, Spec spec) {
    EndpointService.Resolved src = endpoint(tenant, "source.endpoint", spec.sourceEndpoint());
    EndpointService.Resolved dst =
        endpoint(tenant, "destination.endpoint", spec.destinationEndpoint());
    UUID id = UUID.randomUUID();
    Timestamp now = Timestamp.from(clock.instant());
    db.sql(
            "INSERT INTO jobs (id, tenant_id, state, mode, checksum, overwrite, priority,"
                + " source_endpoint, source_path, dest_endpoint, dest_path, source_site,"
                + " dest_site, created_at, updated_at)"
                + " VALUES (?, ?, 'SUBMITTED', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")
        .params(
            id,
            tenant,
            spec.mode().name(),
            spec.checksum().name(),
            spec.overwrite().name(),
            spec.priority(),
            src.id(),
            spec.sourcePath(),
            dst.id(),
            spec.destinationPath(),
            src.site(),
            dst.site(),
            now,
            now)
        .update();
    String body = json.writeValueAsString(view(tenant, id));
    if (key != null) {
      int n =
          db.sql(
                  "INSERT INTO idempotency_keys (tenant_id, key, request_hash, job_id,"
                      + " response_body, created_at) VALUES (?, ?, ?, ?, ?, ?)"
                      + " ON CONFLICT DO NOTHING")
              .params(tenant, key, hash, id, body, now)
              .update();
      if (n == 0) {
        throw new IdempotencyRace();
      }
    }
    lifecycle.record(id, "submitted", Map.of("jobId", id));
    outbox.append(
        Topics.JOBS,
        id.toString(),
        EventTypes.JOB_SUBMITTED,
        tenant,
        id.toString(),
        Map.of("jobId", id, "sourceSite", src.site(), "destinationSite", dst.site()));
    return body;
  }

  /** Thrown inside the insert transaction to roll it back when another request won the key. */
  static final class IdempotencyRace extends RuntimeException {
    IdempotencyRace() {
      super(null, null, false, false);
    }
  }

  private EndpointService.Resolved endpoint(UUID tenant, String field, String name) {
    return endpoints
        .byName(tenant, name)
        .orElseThrow(() -> ApiProblem.badRequest(field + " '" + name + "' does not exist"));
  }

  public Spec validate(JobRequest r) {
    if (r == null) {
      throw ApiProblem.badRequest("request body is required");
    }
    if (r.source() == null || r.destination() == null) {
      throw ApiProblem.badRequest("source and destination are required");
    }
    int priority = r.priority() == null ? 0 : r.priority();
    if (priority < -1000 || priority > 1000) {
      throw ApiProblem.badRequest("priority must be between -1000 and 1000, got " + priority);
    }
    return new Spec(
        Requests.required("source.endpoint", r.source().endpoint()),
        path("source.path", r.source().path()),
        Requests.required("destination.endpoint", r.destination().endpoint()),
        path("destination.path", r.destination().path()),
        Requests.enumValue("mode", r.mode(), TransferMode.class, TransferMode.COPY),
        Requests.enumValue(
            "checksum", r.checksum(), ChecksumAlgorithm.class, ChecksumAlgorithm.CRC32C),
        Requests.enumValue(
            "overwrite", r.overwrite(), OverwritePolicy.class, OverwritePolicy.IF_DIFFERENT),
        priority);
  }

  /** "" (or ".", "/"-less root forms) means the endpoint's root; anything escaping it is 400. */
  static String path(String field, String value) {
    if (value == null || value.isEmpty() || value.equals(".") || value.equals("./")) {
      return "";
    }
    try {
      return RelativePath.of(value).value();
    } catch (InvalidPathException e) {
      throw ApiProblem.badRequest(field + ": " + e.getMessage());
    }
  }

  public JobView get(UUID tenant, UUID id) {
    return find(tenant, id).orElseThrow(() -> ApiProblem.notFound("job", id));
  }

  private JobView view(UUID tenant, UUID id) {
    return find(tenant, id).orElseThrow();
  }

  Optional<JobView> find(UUID tenant, UUID id) {
    return db.sql("SELECT " + JOB_COLUMNS + JOB_FROM + " WHERE j.id = ? AND j.tenant_id = ?")
        .params(id, tenant)
        .query((rs, i) -> toView(rs))
        .optional();
  }

  public Page list(UUID tenant, String state, String site, String cursor, int limit) {
    if (limit < 1 || limit > 500) {
      throw ApiProblem.badRequest("limit must be between 1 and 500, got " + limit);
    }
    StringBuilder sql =
        new StringBuilder("SELECT " + JOB_COLUMNS + JOB_FROM + " WHERE j.tenant_id = ?");
    List<Object> params = new ArrayList<>(List.of(tenant));
    if (state != null && !state.isBlank()) {
      sql.append(" AND j.state = ?");
      params.add(Requests.enumValue("state", state, JobState.class, null).name());
    }
    if (site != null && !site.isBlank()) {
      sql.append(" AND (j.source_site = ? OR j.dest_site = ?)");
      params.add(site);
      params.add(site);
    }
    if (cursor != null && !cursor.isBlank()) {
      Cursor c = Cursor.decode(cursor);
      sql.append(" AND (j.created_at, j.id) < (?, ?)");
      params.add(Timestamp.from(c.createdAt()));
      params.add(c.id());
    }
    sql.append(" ORDER BY j.created_at DESC, j.id DESC LIMIT ?");
    params.add(limit + 1);
    List<JobView> rows = db.sql(sql.toString()).params(params).query((rs, i) -> toView(rs)).list();
    if (rows.size() <= limit) {
      return new Page(rows, null);
    }
    JobView last = rows.get(limit - 1);
    return new Page(rows.subList(0, limit), new Cursor(last.createdAt(), last.id()).encode());
  }

  record Cursor(Instant createdAt, UUID id) {
    String encode() {
      String raw = createdAt.getEpochSecond() + ":" + createdAt.getNano() + ":" + id;
      return Base64.getUrlEncoder()
          .withoutPadding()
          .encodeToString(raw.getBytes(StandardCharsets.UTF_8));
    }

    static Cursor decode(String text) {
      try {
        String[] p =
            new String(Base64.getUrlDecoder().decode(text), StandardCharsets.UTF_8).split(":");
        return new Cursor(
            Instant.ofEpochSecond(Long.parseLong(p[0]), Long.parseLong(p[1])),
            UUID.fromString(p[2]));
      } catch (RuntimeException e) {
        throw ApiProblem.badRequest("cursor '" + text + "' is not a cursor this API returned");
      }
    }
  }

  public JobView cancel(UUID tenant, UUID id) {
    tx.executeWithoutResult(
        s -> {
          JobLifecycle.Locked job = lockOwned(tenant, id);
          if (job.state().isSettled()) {
            throw ApiProblem.conflict(
                "job-settled", "job " + id + " is " + job.state() + " and cannot be cancelled");
          }
          int tasks =
              db.sql(
                      "UPDATE tasks SET state = 'CANCELLED', version = version + 1, updated_at = ?,"
                          + " finished_at = ? WHERE job_id = ? AND state IN ('PENDING',"
                          + " 'DISPATCHED', 'RUNNING')")
                  .params(Timestamp.from(clock.instant()), Timestamp.from(clock.instant()), id)
                  .update();
          lifecycle.transition(job, JobState.CANCELLED, Map.of("tasksCancelled", tasks));
        });
    return get(tenant, id);
  }

  /**
   * Re-opens a {@code FAILED} or {@code PARTIALLY_SUCCEEDED} job: each failed task gets a new task
   * for its failed files (attempt 1); the failed task rows stay as they were.
   */
  public JobView retry(UUID tenant, UUID id) {
    tx.executeWithoutResult(
        s -> {
          JobLifecycle.Locked job = lockOwned(tenant, id);
          if (job.state() != JobState.FAILED && job.state() != JobState.PARTIALLY_SUCCEEDED) {
            throw ApiProblem.conflict(
                "job-not-retryable",
                "job "
                    + id
                    + " is "
                    + job.state()
                    + "; only FAILED or PARTIALLY_SUCCEEDED jobs"
                    + " can be retried");
          }
          List<TaskDispatcher.NewTask> retries = dispatcher.retriesOfFailedTasks(id);
          if (retries.isEmpty()) {
            throw ApiProblem.conflict(
                "job-not-retryable", "job " + id + " has no failed files to retry");
          }
          long files = retries.stream().mapToLong(t -> t.files().size()).sum();
          long bytes = retries.stream().mapToLong(TaskDispatcher.NewTask::bytes).sum();
          db.sql(
                  "UPDATE jobs SET files_failed = files_failed - ?, bytes_failed = bytes_failed - ?"
                      + " WHERE id = ?")
              .params(files, bytes, id)
              .update();
          lifecycle.transition(
              job, JobState.RUNNING, Map.of("retriedTasks", retries.size(), "retriedFiles", files));
          dispatcher.insertAndDispatch(job, retries);
        });
    return get(tenant, id);
  }

  private JobLifecycle.Locked lockOwned(UUID tenant, UUID id) {
    return lifecycle
        .lock(id)
        .filter(j -> j.tenantId().equals(tenant))
        .orElseThrow(() -> ApiProblem.notFound("job", id));
  }

  /** A task as the API shows it. */
  public record TaskView(
      UUID id,
      int seq,
      String state,
      int attempt,
      int maxAttempts,
      int files,
      long bytes,
      long bytesDone,
      int filesDone,
      String workerId,
      Instant leaseExpiresAt,
      UUID retryOf,
      JsonNode results,
      JsonNode firstError,
      JsonNode lastError,
      Instant createdAt,
      Instant finishedAt) {}

  public List<TaskView> tasks(UUID tenant, UUID jobId) {
    get(tenant, jobId);
    return db.sql(
            "SELECT id, seq, state, attempt, max_attempts, file_count, bytes_total, bytes_done,"
                + " files_done, worker_id, lease_expires_at, retry_of, results, first_error,"
                + " last_error, created_at, finished_at FROM tasks WHERE job_id = ? ORDER BY seq")
        .param(jobId)
        .query(
            (rs, i) ->
                new TaskView(
                    rs.getObject("id", UUID.class),
                    rs.getInt("seq"),
                    rs.getString("state"),
                    rs.getInt("attempt"),
                    rs.getInt("max_attempts"),
                    rs.getInt("file_count"),
                    rs.getLong("bytes_total"),
                    rs.getLong("bytes_done"),
                    rs.getInt("files_done"),
                    rs.getString("worker_id"),
                    instant(rs, "lease_expires_at"),
                    rs.getObject("retry_of", UUID.class),
                    jsonOf(rs, "results"),
                    jsonOf(rs, "first_error"),
                    jsonOf(rs, "last_error"),
                    instant(rs, "created_at"),
                    instant(rs, "finished_at")))
        .list();
  }

  /**
   * A file of a job across its tasks and retries: where it stands, and its first and last error.
   */
  public record FileView(
      String source,
      String destination,
      long size,
      String status,
      long bytes,
      String checksum,
      int attempts,
      FileResultError firstError,
      FileResultError lastError,
      UUID taskId) {}

  /** An error as kept per file. */
  public record FileResultError(String errorClass, String message, boolean retryable) {
    static FileResultError of(dev.ferry.model.protocol.FileResult.FileError e) {
      return e == null ? null : new FileResultError(e.errorClass(), e.message(), e.retryable());
    }
  }

  /**
   * The job's files, each once: a file retried in a later task shows its latest outcome, its first
   * error from the earliest task and its attempts summed over tasks.
   *
   * @param status null for all, else {@code pending|succeeded|skipped|failed}
   */
  public List<FileView> files(UUID tenant, UUID jobId, String status) {
    get(tenant, jobId);
    String wanted =
        status == null || status.isBlank()
            ? null
            : status.strip().toUpperCase(java.util.Locale.ROOT);
    if (wanted != null && !List.of("PENDING", "SUCCEEDED", "SKIPPED", "FAILED").contains(wanted)) {
      throw ApiProblem.badRequest(
          "status '" + status + "' is not one of pending|succeeded|skipped|failed");
    }
    record Row(UUID task, String files, String results) {}
    java.util.LinkedHashMap<String, FileView> out = new java.util.LinkedHashMap<>();
    for (Row r :
        db.sql("SELECT id, files, results FROM tasks WHERE job_id = ? ORDER BY seq")
            .param(jobId)
            .query(
                (rs, i) -> new Row(rs.getObject(1, UUID.class), rs.getString(2), rs.getString(3)))
            .list()) {
      Map<String, FileRecord> results = dispatcher.results(r.results());
      for (dev.ferry.model.protocol.FileItem f :
          json.readValue(
              r.files(),
              new tools.jackson.core.type.TypeReference<
                  List<dev.ferry.model.protocol.FileItem>>() {})) {
        FileRecord rec = results.get(f.source());
        FileView before = out.get(f.source());
        if (rec == null) {
          if (before == null) {
            out.put(
                f.source(),
                new FileView(
                    f.source(),
                    f.destination(),
                    f.size(),
                    "PENDING",
                    0,
                    null,
                    0,
                    null,
                    null,
                    r.task()));
          }
          continue;
        }
        FileResultError first =
            before != null && before.firstError() != null
                ? before.firstError()
                : FileResultError.of(rec.firstError());
        out.put(
            f.source(),
            new FileView(
                f.source(),
                f.destination(),
                f.size(),
                rec.status().name(),
                rec.bytes(),
                rec.checksum(),
                rec.attempts() + (before == null ? 0 : before.attempts()),
                first,
                FileResultError.of(rec.error()),
                r.task()));
      }
    }
    return out.values().stream().filter(v -> wanted == null || v.status().equals(wanted)).toList();
  }

  /** One entry of a job's history. */
  public record HistoryEntry(long seq, Instant at, String type, JsonNode details) {}

  public List<HistoryEntry> history(UUID tenant, UUID jobId) {
    get(tenant, jobId);
    return db.sql("SELECT id, at, type, details FROM job_events WHERE job_id = ? ORDER BY id")
        .param(jobId)
        .query(
            (rs, i) ->
                new HistoryEntry(
                    rs.getLong("id"),
                    instant(rs, "at"),
                    rs.getString("type"),
                    jsonOf(rs, "details")))
        .list();
  }

  private JobView toView(ResultSet rs) throws SQLException {
    return new JobView(
        rs.getObject("id", UUID.class),
        rs.getString("state"),
        Requests.wire(TransferMode.valueOf(rs.getString("mode"))),
        Requests.wire(ChecksumAlgorithm.valueOf(rs.getString("checksum"))),
        Requests.wire(OverwritePolicy.valueOf(rs.getString("overwrite"))),
        rs.getInt("priority"),
        new JobView.Location(
            rs.getString("source_endpoint"),
            rs.getString("source_site"),
            rs.getString("source_path")),
        new JobView.Location(
            rs.getString("dest_endpoint"), rs.getString("dest_site"), rs.getString("dest_path")),
        new JobView.Progress(
            new JobView.Files(
                rs.getLong("files_total"),
                rs.getLong("files_done"),
                rs.getLong("files_skipped"),
                rs.getLong("files_failed")),
            new JobView.Bytes(
                rs.getLong("bytes_total"), rs.getLong("bytes_done"), rs.getLong("bytes_failed"))),
        instant(rs, "created_at"),
        instant(rs, "updated_at"),
        instant(rs, "started_at"),
        instant(rs, "finished_at"),
        jsonOf(rs, "first_error"),
        jsonOf(rs, "last_error"));
  }

  private JsonNode jsonOf(ResultSet rs, String column) throws SQLException {
    String s = rs.getString(column);
    return s == null ? null : json.readTree(s);
  }

  static Instant instant(ResultSet rs, String column) throws SQLException {
    Timestamp t = rs.getTimestamp(column);
    return t == null ? null : t.toInstant();
  }

  /** For tests and the planner: tasks of a job that are not yet terminal. */
  public long openTasks(UUID jobId) {
    return db.sql("SELECT count(*) FROM tasks WHERE job_id = ? AND state NOT IN (?, ?, ?)")
        .params(
            jobId, TaskState.SUCCEEDED.name(), TaskState.FAILED.name(), TaskState.CANCELLED.name())
        .query(Long.class)
        .single();
  }
}
