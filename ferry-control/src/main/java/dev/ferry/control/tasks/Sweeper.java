package dev.ferry.control.tasks;

import dev.ferry.control.FerryProperties;
import dev.ferry.control.jobs.TaskDispatcher;
import dev.ferry.control.outbox.Outbox;
import dev.ferry.model.TaskState;
import java.sql.Timestamp;
import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.SmartLifecycle;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Component;
import org.springframework.transaction.support.TransactionTemplate;

/**
 * Keeps tasks moving when workers do not: re-queues {@code RUNNING} tasks whose lease expired and
 * {@code DISPATCHED} tasks nobody claimed (attempt + 1, after exponential backoff with full
 * jitter), dispatches {@code PENDING} tasks whose backoff has passed, and forgets callback ids too
 * old to be replayed. Rows are taken with {@code FOR UPDATE SKIP LOCKED}, so sweepers on several
 * replicas share the work.
 *
 * <p>{@link #sweepOnce()} is one deterministic step against the injected clock; the lifecycle only
 * calls it on a timer.
 */
@Component
public class Sweeper implements SmartLifecycle {
  private static final Logger log = LoggerFactory.getLogger(Sweeper.class);
  private static final int BATCH = 200;

  private final JdbcClient db;
  private final TransactionTemplate tx;
  private final Clock clock;
  private final FerryProperties properties;
  private final TaskService tasks;
  private final TaskDispatcher dispatcher;
  private final Outbox outbox;
  private final CallbackVerifier callbacks;
  private ScheduledExecutorService timer;

  public Sweeper(
      JdbcClient db,
      TransactionTemplate tx,
      Clock clock,
      FerryProperties properties,
      TaskService tasks,
      TaskDispatcher dispatcher,
      Outbox outbox,
      CallbackVerifier callbacks) {
    this.db = db;
    this.tx = tx;
    this.clock = clock;
    this.properties = properties;
    this.tasks = tasks;
    this.dispatcher = dispatcher;
    this.outbox = outbox;
    this.callbacks = callbacks;
  }

  /** What one sweep did. */
  public record Sweep(int leasesExpired, int claimsTimedOut, int dispatched) {}

  public Sweep sweepOnce() {
    Instant now = clock.instant();
    int expired =
        requeue(
            "SELECT id FROM tasks WHERE state = 'RUNNING' AND lease_expires_at < ?"
                + " ORDER BY lease_expires_at LIMIT "
                + BATCH,
            now,
            t -> t.state() == TaskState.RUNNING && t.leaseExpiresAt().isBefore(now),
            "lease-expired",
            "lease expired: the worker stopped heartbeating");
    Instant claimDeadline = now.minus(properties.dispatchTimeout());
    int unclaimed =
        requeue(
            "SELECT id FROM tasks WHERE state = 'DISPATCHED' AND dispatched_at < ?"
                + " ORDER BY dispatched_at LIMIT "
                + BATCH,
            claimDeadline,
            t -> t.state() == TaskState.DISPATCHED && t.dispatchedAt().isBefore(claimDeadline),
            "not-claimed",
            "no worker claimed the task within " + properties.dispatchTimeout());
    int dispatched = dispatchDue(now);
    callbacks.forgetOldIds();
    return new Sweep(expired, unclaimed, dispatched);
  }

  /**
   * Candidates are read without locks, then each is locked the way callbacks lock (job, then task)
   * and re-checked, so a heartbeat or a claim that won the race keeps its task.
   */
  private int requeue(
      String select,
      Instant before,
      Predicate<TaskService.Row> stillDue,
      String errorClass,
      String message) {
    List<UUID> ids = db.sql(select).param(Timestamp.from(before)).query(UUID.class).list();
    int n = 0;
    for (UUID id : ids) {
      Boolean done =
          tx.execute(
              s -> {
                TaskService.Row t = tasks.lock(id);
                if (!stillDue.test(t)) {
                  return false;
                }
                tasks.requeue(t, tasks.backoffFor(t.attempt()), errorClass, message);
                return true;
              });
      n += Boolean.TRUE.equals(done) ? 1 : 0;
    }
    return n;
  }

  private int dispatchDue(Instant now) {
    Integer n =
        tx.execute(
            s -> {
              record Due(UUID id, UUID jobId, UUID tenant, int attempt, String src, String dst) {}
              List<Due> due =
                  db.sql(
                          "SELECT t.id, t.job_id, t.tenant_id, t.attempt, t.source_site, t.dest_site"
                              + " FROM tasks t JOIN jobs j ON j.id = t.job_id"
                              + " WHERE t.state = 'PENDING' AND t.not_before <= ?"
                              + " ORDER BY j.priority DESC, t.not_before LIMIT "
                              + BATCH
                              + " FOR UPDATE OF t SKIP LOCKED")
                      .param(Timestamp.from(now))
                      .query(
                          (rs, i) ->
                              new Due(
                                  rs.getObject(1, UUID.class),
                                  rs.getObject(2, UUID.class),
                                  rs.getObject(3, UUID.class),
                                  rs.getInt(4),
                                  rs.getString(5),
                                  rs.getString(6)))
                      .list();
              for (Due d : due) {
                db.sql(
                        "UPDATE tasks SET state = 'DISPATCHED', dispatched_at = ?,"
                            + " version = version + 1, updated_at = ? WHERE id = ?")
                    .params(Timestamp.from(now), Timestamp.from(now), d.id())
                    .update();
              }
              outbox.appendAll(
                  due.stream()
                      .map(
                          d ->
                              dispatcher.dispatchEvent(
                                  d.tenant(), d.id(), d.jobId(), d.attempt(), d.src(), d.dst()))
                      .toList());
              return due.size();
            });
    return n == null ? 0 : n;
  }

  @Override
  public synchronized void start() {
    timer =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, "ferry-sweeper");
              t.setDaemon(true);
              return t;
            });
    long every = properties.sweepInterval().toMillis();
    timer.scheduleWithFixedDelay(
        () -> {
          try {
            Sweep s = sweepOnce();
            if (s.leasesExpired() + s.claimsTimedOut() > 0) {
              log.info("sweeper: {}", s);
            }
          } catch (RuntimeException e) {
            log.warn("sweep failed; next one in {} ms: {}", every, e.toString());
          }
        },
        every,
        every,
        TimeUnit.MILLISECONDS);
  }

  @Override
  public synchronized void stop() {
    if (timer != null) {
      timer.shutdownNow();
      timer = null;
    }
  }

  @Override
  public synchronized boolean isRunning() {
    return timer != null;
  }
}
