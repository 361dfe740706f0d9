package dev.ferry.control;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ferry.model.protocol.ClaimRequest;
import dev.ferry.model.protocol.CompleteRequest;
import dev.ferry.model.protocol.FileResult;
import dev.ferry.model.protocol.HeartbeatRequest;
import dev.ferry.model.protocol.ResumePoint;
import dev.ferry.model.protocol.WorkerProtocol;
import dev.ferry.model.webhook.WebhookSecret;
import io.micrometer.core.instrument.MeterRegistry;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

class CallbackIT {
  private final Harness h = Harness.get();
  private final Callbacks callbacks = new Callbacks(h);

  private double rejected(String reason) {
    return h.bean(MeterRegistry.class)
        .counter("ferry.callbacks.rejected", "reason", reason)
        .count();
  }

  /** A job of three small files planned into one dispatched task; no worker runs for it. */
  private UUID dispatchedTask(Harness.Tenant t) throws Exception {
    t.files("in", 3, 100);
    UUID job = t.submit("in", "out");
    Harness.await("job planned", Duration.ofSeconds(30), () -> t.state(job).equals("RUNNING"));
    return h.db()
        .sql("SELECT id FROM tasks WHERE job_id = ?")
        .param(job)
        .query(UUID.class)
        .single();
  }

  @Test
  void shouldRejectBadSignatureExpiredTimestampReplayedIdAndStaleAttemptAndCountThem()
      throws Exception {
    Harness.Tenant t = h.tenant("cb");
    UUID task = dispatchedTask(t);
    String claim = WorkerProtocol.claimPath(task);
    ClaimRequest body = new ClaimRequest("w1", 1);

    double bad = rejected("bad_signature");
    WebhookSecret stranger = WebhookSecret.generate(new SecureRandom());
    Harness.Response forged =
        callbacks.post(claim, body, stranger, "msg_" + UUID.randomUUID(), h.clock.instant());
    assertThat(forged.status()).isEqualTo(401);
    assertThat(forged.text("type")).endsWith("/callback-bad-signature");
    assertThat(rejected("bad_signature")).isEqualTo(bad + 1);

    double expired = rejected("expired_timestamp");
    Harness.Response old =
        callbacks.post(
            claim,
            body,
            h.workerSecret,
            "msg_" + UUID.randomUUID(),
            h.clock.instant().minus(Duration.ofMinutes(6)));
    assertThat(old.status()).isEqualTo(401);
    assertThat(rejected("expired_timestamp")).isEqualTo(expired + 1);

    double stale = rejected("stale_attempt");
    Harness.Response wrongAttempt = callbacks.post(claim, new ClaimRequest("w1", 2));
    assertThat(wrongAttempt.status()).isEqualTo(409);
    assertThat(wrongAttempt.text("type")).isEqualTo(WorkerProtocol.STALE_ATTEMPT);
    assertThat(rejected("stale_attempt")).isEqualTo(stale + 1);
    assertThat(taskState(task)).isEqualTo("DISPATCHED");

    String id = "msg_" + UUID.randomUUID();
    Harness.Response ok = callbacks.post(claim, body, h.workerSecret, id, h.clock.instant());
    assertThat(ok.status()).as(ok.body()).isEqualTo(200);
    assertThat(ok.json().get("files")).hasSize(3);
    assertThat(taskState(task)).isEqualTo("RUNNING");

    double replayed = rejected("replayed_id");
    Harness.Response replay = callbacks.post(claim, body, h.workerSecret, id, h.clock.instant());
    assertThat(replay.status()).isEqualTo(401);
    assertThat(replay.text("type")).endsWith("/callback-replayed-id");
    assertThat(rejected("replayed_id")).isEqualTo(replayed + 1);

    Harness.Response otherWorker =
        callbacks.post(WorkerProtocol.heartbeatPath(task), new HeartbeatRequest("w2", 1, 0, 0));
    assertThat(otherWorker.status()).isEqualTo(409);
    Harness.Response staleBeat =
        callbacks.post(WorkerProtocol.heartbeatPath(task), new HeartbeatRequest("w1", 0, 0, 0));
    assertThat(staleBeat.status()).isEqualTo(409);
    assertThat(rejected("stale_attempt")).isEqualTo(stale + 3);
  }

  @Test
  void shouldApplyAValidCompletionOnceEvenWhenRepeated() throws Exception {
    Harness.Tenant t = h.tenant("once");
    UUID task = dispatchedTask(t);
    JsonNode lease =
        callbacks.post(WorkerProtocol.claimPath(task), new ClaimRequest("w1", 1)).json();
    List<FileResult> results = new ArrayList<>();
    for (JsonNode f : lease.get("files")) {
      results.add(
          new FileResult(
              f.get("source").asString(),
              FileResult.Status.SUCCEEDED,
              f.get("size").asLong(),
              "00000000",
              null));
    }
    CompleteRequest done = new CompleteRequest("w1", 1, 10, results);
    UUID job = UUID.fromString(lease.get("jobId").asString());
    assertThat(transferFacts(job)).isZero();
    for (int i = 0; i < 3; i++) {
      Harness.Response r = callbacks.post(WorkerProtocol.completePath(task), done);
      assertThat(r.status()).as(r.body()).isEqualTo(200);
      assertThat(r.text("state")).isEqualTo("SUCCEEDED");
    }
    JsonNode view = t.job(job);
    assertThat(view.get("state").asString()).isEqualTo("SUCCEEDED");
    assertThat(view.get("progress").get("files").get("done").asLong()).isEqualTo(3);
    assertThat(transferFacts(job)).isEqualTo(3);
    Harness.Response late =
        callbacks.post(WorkerProtocol.completePath(task), new CompleteRequest("w1", 2, 1, results));
    assertThat(late.status()).isEqualTo(409);
  }

  @Test
  void shouldHandResumePointsFromAFailedAttemptToTheNextOne() throws Exception {
    Harness.Tenant t = h.tenant("resume");
    UUID task = dispatchedTask(t);
    JsonNode lease =
        callbacks.post(WorkerProtocol.claimPath(task), new ClaimRequest("w1", 1)).json();
    String file = lease.get("files").get(0).get("source").asString();
    ResumePoint point = new ResumePoint("upload-123", 1024, List.of("e3069283"), 4096);
    Harness.Response beat =
        callbacks.post(
            WorkerProtocol.heartbeatPath(task),
            new HeartbeatRequest("w1", 1, 1024, 0, 5000, Map.of(file, point)));
    assertThat(beat.status()).as(beat.body()).isEqualTo(200);

    List<FileResult> results = new ArrayList<>();
    for (JsonNode f : lease.get("files")) {
      results.add(
          new FileResult(
              f.get("source").asString(),
              FileResult.Status.FAILED,
              0,
              null,
              new FileResult.FileError("io", "connection reset", true)));
    }
    Harness.Response failed =
        callbacks.post(WorkerProtocol.completePath(task), new CompleteRequest("w1", 1, 5, results));
    assertThat(failed.text("state")).isEqualTo("PENDING");

    h.clock.advance(java.time.Duration.ofSeconds(2));
    assertThat(h.bean(dev.ferry.control.tasks.Sweeper.class).sweepOnce().dispatched()).isPositive();
    JsonNode second =
        callbacks.post(WorkerProtocol.claimPath(task), new ClaimRequest("w2", 2)).json();
    assertThat(second.get("files")).hasSize(3);
    assertThat(second.get("resume").get(file).get("token").asString()).isEqualTo("upload-123");
    assertThat(second.get("resume").get(file).get("chunkChecksums").get(0).asString())
        .isEqualTo("e3069283");

    JsonNode files =
        h.call(
                "GET",
                "/api/v1/jobs/" + lease.get("jobId").asString() + "/files",
                t.admin,
                (String) null)
            .json();
    assertThat(files.get(0).get("firstError").get("message").asString())
        .isEqualTo("connection reset");
    assertThat(files.get(0).get("attempts").asInt()).isEqualTo(1);
  }

  /**
   * A batch task's completion holds its job's row while it writes the file results; claims and
   * heartbeats of the job's other tasks must not wait for it (they change their task row only).
   * Here another transaction holds the job row as a completion does, and a claim and a heartbeat
   * must both be answered before it lets go.
   */
  @Test
  void shouldAnswerClaimAndHeartbeatWhileTheJobRowIsHeldByAnotherCallback() throws Exception {
    Harness.Tenant t = h.tenant("nowait");
    UUID task = dispatchedTask(t);
    UUID job =
        h.db().sql("SELECT job_id FROM tasks WHERE id = ?").param(task).query(UUID.class).single();
    javax.sql.DataSource ds = h.bean(javax.sql.DataSource.class);
    java.util.concurrent.ExecutorService caller =
        java.util.concurrent.Executors.newSingleThreadExecutor();
    try (java.sql.Connection holder = ds.getConnection()) {
      holder.setAutoCommit(false);
      try (java.sql.PreparedStatement ps =
          holder.prepareStatement("SELECT 1 FROM jobs WHERE id = ? FOR NO KEY UPDATE")) {
        ps.setObject(1, job);
        ps.executeQuery().close();
      }
      try {
        Harness.Response claimed =
            caller
                .submit(
                    () -> callbacks.post(WorkerProtocol.claimPath(task), new ClaimRequest("w1", 1)))
                .get(20, java.util.concurrent.TimeUnit.SECONDS);
        assertThat(claimed.status()).as(claimed.body()).isEqualTo(200);
        Harness.Response beat =
            caller
                .submit(
                    () ->
                        callbacks.post(
                            WorkerProtocol.heartbeatPath(task),
                            new HeartbeatRequest("w1", 1, 10, 0, 5, Map.of())))
                .get(20, java.util.concurrent.TimeUnit.SECONDS);
        assertThat(beat.status()).as(beat.body()).isEqualTo(200);
        assertThat(taskState(task)).isEqualTo("RUNNING");
      } finally {
        holder.rollback();
      }
    } finally {
      caller.shutdownNow();
    }
  }

  private String taskState(UUID task) {
    return h.db()
        .sql("SELECT state FROM tasks WHERE id = ?")
        .param(task)
        .query(String.class)
        .single();
  }

  private long transferFacts(UUID job) {
    return h.db()
        .sql("SELECT count(*) FROM outbox WHERE topic = 'ferry.transfers' AND payload LIKE ?")
        .param("%\"jobId\":\"" + job + "\"%")
        .query(Long.class)
        .single();
  }
}
