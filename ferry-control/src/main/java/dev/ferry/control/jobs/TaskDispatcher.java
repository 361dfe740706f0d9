package dev.ferry.control.jobs;

import dev.ferry.control.FerryProperties;
import dev.ferry.control.outbox.Outbox;
import dev.ferry.model.event.EventTypes;
import dev.ferry.model.event.Topics;
import dev.ferry.model.protocol.FileItem;
import dev.ferry.model.protocol.TaskDispatched;
import java.sql.Timestamp;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Component;
import tools.jackson.core.type.TypeReference;
import tools.jackson.databind.json.JsonMapper;

/**
 * Creates tasks and dispatches them: each dispatch is a row change plus a {@code task.dispatched}
 * event to the outbox, keyed by link, in the caller's transaction.
 */
@Component
public class TaskDispatcher {
  private final JdbcClient db;
  private final JdbcTemplate jdbc;
  private final Outbox outbox;
  private final JsonMapper json;
  private final Clock clock;
  private final FerryProperties properties;

  public TaskDispatcher(
      JdbcClient db,
      JdbcTemplate jdbc,
      Outbox outbox,
      JsonMapper json,
      Clock clock,
      FerryProperties properties) {
    this.db = db;
    this.jdbc = jdbc;
    this.outbox = outbox;
    this.json = json;
    this.clock = clock;
    this.properties = properties;
  }

  /** A task to create: its files and, for a retry, the task it retries. */
  public record NewTask(List<FileItem> files, long bytes, UUID retryOf) {}

  /** Batches of small files are not made smaller than this (unless batch-max-files is). */
  static final int MIN_BATCH_FILES = 500;

  /** A job of many small files is cut into about this many batches (a few per worker slot). */
  static final int TARGET_BATCHES = 12;

  /**
   * Groups files into tasks: a file of at least a quarter of {@code ferry.batch-max-bytes} gets a
   * task of its own; smaller files fill batches in listing order, closed at {@code batch-max-bytes}
   * bytes, before the estimated results outgrow {@code max-request-bytes} (the worker reports a
   * batch's results in one request, failed files with their error messages) and at a file count
   * sized to the job: about {@value #TARGET_BATCHES} batches, at least {@value #MIN_BATCH_FILES}
   * and at most {@code batch-max-files} files each.
   *
   * <p>Why sized to the job: each batch costs a claim, a syncfs at the destination and a {@code
   * complete} that holds the job's row while it writes the batch's results, so completions of one
   * job run one after another; fewer, larger batches of a big job cut that serial part (measured on
   * 20,000 files of 4 KiB: the tasks of the job took 17 s in batches of 500, 12 s in batches of
   * 2,000; docs/benchmarks-transfer.md). A small job still gets several batches to run in parallel.
   */
  public List<NewTask> group(List<FileItem> files) {
    long large = Math.max(1, properties.batchMaxBytes() / 4);
    int maxFiles = properties.batchMaxFiles();
    int target =
        (int)
            Math.min(
                maxFiles,
                Math.max((files.size() + TARGET_BATCHES - 1) / TARGET_BATCHES, MIN_BATCH_FILES));
    long maxResultBytes = Math.max(1, properties.maxRequestBytes() - 4096); // JSON around them
    List<NewTask> tasks = new ArrayList<>();
    List<FileItem> batch = new ArrayList<>();
    long batchBytes = 0;
    long resultBytes = 0;
    for (FileItem f : files) {
      if (f.size() >= large) {
        tasks.add(new NewTask(List.of(f), f.size(), null));
        continue;
      }
      long result = estimatedResultBytes(f);
      if (!batch.isEmpty()
          && (batch.size() >= target
              || batchBytes + f.size() > properties.batchMaxBytes()
              || resultBytes + result > maxResultBytes)) {
        tasks.add(new NewTask(batch, batchBytes, null));
        batch = new ArrayList<>();
        batchBytes = 0;
        resultBytes = 0;
      }
      batch.add(f);
      batchBytes += f.size();
      resultBytes += result;
    }
    if (!batch.isEmpty()) {
      tasks.add(new NewTask(batch, batchBytes, null));
    }
    return tasks;
  }

  /**
   * A generous estimate of one file's entry in a {@code complete} request when every file failed:
   * its path, status, size, a checksum of up to 64 hex digits, and an error whose message names the
   * source and destination paths and both endpoints' URIs (4 bytes per path character covers the
   * path's three appearances and JSON escaping of the usual; 512 the URIs, field names and the
   * cause).
   */
  static long estimatedResultBytes(FileItem f) {
    return 4L * f.source().length() + 512;
  }

  /** Inserts tasks as {@code DISPATCHED} (attempt 1) and writes their dispatch events. */
  public void insertAndDispatch(JobLifecycle.Locked job, List<NewTask> tasks) {
    Integer maxSeq =
        db.sql("SELECT coalesce(max(seq), 0) FROM tasks WHERE job_id = ?")
            .param(job.id())
            .query(Integer.class)
            .single();
    Timestamp now = Timestamp.from(clock.instant());
    List<Object[]> rows = new ArrayList<>(tasks.size());
    List<Outbox.Pending> events = new ArrayList<>(tasks.size());
    int seq = maxSeq;
    for (NewTask t : tasks) {
      UUID id = UUID.randomUUID();
      rows.add(
          new Object[] {
            id,
            job.id(),
            job.tenantId(),
            ++seq,
            properties.maxAttempts(),
            job.sourceSite(),
            job.destSite(),
            json.writeValueAsString(t.files()),
            t.files().size(),
            t.bytes(),
            t.retryOf(),
            now,
            now,
            now
          });
      events.add(dispatchEvent(job.tenantId(), id, job.id(), 1, job.sourceSite(), job.destSite()));
    }
    jdbc.batchUpdate(
        "INSERT INTO tasks (id, job_id, tenant_id, seq, state, attempt, max_attempts,"
            + " source_site, dest_site, files, file_count, bytes_total, retry_of, dispatched_at,"
            + " created_at, updated_at)"
            + " VALUES (?, ?, ?, ?, 'DISPATCHED', 1, ?, ?, ?, ?::jsonb, ?, ?, ?, ?, ?, ?)",
        rows);
    outbox.appendAll(events);
  }

  /** A dispatch event for one attempt of a task. */
  public Outbox.Pending dispatchEvent(
      UUID tenant, UUID taskId, UUID jobId, int attempt, String sourceSite, String destSite) {
    return new Outbox.Pending(
        Topics.TASKS,
        Topics.linkKey(sourceSite, destSite),
        EventTypes.TASK_DISPATCHED,
        tenant,
        taskId.toString(),
        new TaskDispatched(taskId, jobId, attempt, sourceSite, destSite, tenant.toString()));
  }

  /**
   * For each {@code FAILED} task of the job that has not been retried yet, a new task with the
   * files that did not succeed.
   */
  public List<NewTask> retriesOfFailedTasks(UUID jobId) {
    return db
        .sql(
            "SELECT t.id, t.files, t.results FROM tasks t WHERE t.job_id = ? AND t.state = 'FAILED'"
                + " AND NOT EXISTS (SELECT 1 FROM tasks r WHERE r.retry_of = t.id) ORDER BY t.seq")
        .param(jobId)
        .query(
            (rs, i) -> {
              List<FileItem> files =
                  json.readValue(rs.getString("files"), new TypeReference<List<FileItem>>() {});
              Map<String, FileRecord> results = results(rs.getString("results"));
              List<FileItem> failed = unfinished(files, results);
              return new NewTask(
                  failed,
                  failed.stream().mapToLong(FileItem::size).sum(),
                  rs.getObject("id", UUID.class));
            })
        .list()
        .stream()
        .filter(t -> !t.files().isEmpty())
        .toList();
  }

  /** What is known per source path, as kept in {@code tasks.results}. */
  public Map<String, FileRecord> results(String column) {
    return column == null
        ? Map.of()
        : json.readValue(column, new TypeReference<Map<String, FileRecord>>() {});
  }

  /** Files without a SUCCEEDED or SKIPPED result. */
  public static List<FileItem> unfinished(List<FileItem> files, Map<String, FileRecord> results) {
    return files.stream()
        .filter(
            f -> {
              FileRecord r = results.get(f.source());
              return r == null || !r.finished();
            })
        .toList();
  }
}
