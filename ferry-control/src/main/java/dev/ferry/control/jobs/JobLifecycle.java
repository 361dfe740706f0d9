package dev.ferry.control.jobs;

import dev.ferry.control.outbox.Outbox;
import dev.ferry.model.JobState;
import dev.ferry.model.event.EventTypes;
import dev.ferry.model.event.Topics;
import java.sql.Timestamp;
import java.time.Clock;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Component;
import org.springframework.transaction.support.TransactionSynchronizationManager;
import tools.jackson.databind.json.JsonMapper;

/**
 * The one guard through which a job's state changes. Each change, in the caller's transaction:
 * checks the transition table ({@link JobState#transitionTo}), updates the row only if it is still
 * in the expected state (bumping {@code version}), appends to the job's history and writes a {@code
 * job.state-changed} event to the outbox.
 */
@Component
public class JobLifecycle {
  private final JdbcClient db;
  private final Clock clock;
  private final Outbox outbox;
  private final JsonMapper json;

  public JobLifecycle(JdbcClient db, Clock clock, Outbox outbox, JsonMapper json) {
    this.db = db;
    this.clock = clock;
    this.outbox = outbox;
    this.json = json;
  }

  /** The job's tenant and state, locked for the rest of the transaction. */
  public record Locked(
      UUID id, UUID tenantId, JobState state, String sourceSite, String destSite) {}

  public Optional<Locked> lock(UUID jobId) {
    requireTransaction();
    return db.sql(
            "SELECT id, tenant_id, state, source_site, dest_site FROM jobs WHERE id = ? FOR UPDATE")
        .param(jobId)
        .query(
            (rs, i) ->
                new Locked(
                    rs.getObject("id", UUID.class),
                    rs.getObject("tenant_id", UUID.class),
                    JobState.valueOf(rs.getString("state")),
                    rs.getString("source_site"),
                    rs.getString("dest_site")))
        .optional();
  }

  /**
   * Moves a locked job from {@code job.state()} to {@code next}.
   *
   * @param details recorded in the job's history and the event
   * @throws dev.ferry.model.IllegalTransitionException when the table forbids it
   */
  public void transition(Locked job, JobState next, Map<String, Object> details) {
    requireTransaction();
    job.state().transitionTo(next);
    Instant now = clock.instant();
    int n =
        db.sql(
                "UPDATE jobs SET state = ?, version = version + 1, updated_at = ?,"
                    + " started_at = CASE WHEN ? THEN coalesce(started_at, ?::timestamptz)"
                    + " ELSE started_at END,"
                    + " finished_at = CASE WHEN ? THEN ?::timestamptz ELSE NULL END"
                    + " WHERE id = ? AND state = ?")
            .params(
                next.name(),
                Timestamp.from(now),
                next == JobState.RUNNING,
                Timestamp.from(now),
                next.isSettled(),
                Timestamp.from(now),
                job.id(),
                job.state().name())
            .update();
    if (n != 1) {
      throw new IllegalStateException(
          "job " + job.id() + " was not in state " + job.state() + " when moving to " + next);
    }
    Map<String, Object> event =
        Map.of(
            "jobId", job.id(), "from", job.state().name(), "to", next.name(), "details", details);
    record(job.id(), "state:" + next.name(), event);
    outbox.append(
        Topics.JOBS,
        job.id().toString(),
        EventTypes.JOB_STATE_CHANGED,
        job.tenantId(),
        job.id().toString(),
        event);
  }

  /** Appends to the job's history. */
  public void record(UUID jobId, String type, Map<String, Object> details) {
    db.sql("INSERT INTO job_events (job_id, at, type, details) VALUES (?, ?, ?, ?::jsonb)")
        .params(jobId, Timestamp.from(clock.instant()), type, json.writeValueAsString(details))
        .update();
  }

  private static void requireTransaction() {
    if (!TransactionSynchronizationManager.isActualTransactionActive()) {
      throw new IllegalStateException("job state changes need a transaction");
    }
  }
}
