package dev.ferry.control;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ferry.control.tasks.Sweeper;
import dev.ferry.model.protocol.ClaimRequest;
import dev.ferry.model.protocol.CompleteRequest;
import dev.ferry.model.protocol.WorkerProtocol;
import dev.ferry.worker.Worker;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

class LeaseExpiryIT {
  private final Harness h = Harness.get();
  private final Callbacks callbacks = new Callbacks(h);

  @Test
  void shouldRequeueATaskWhoseWorkerWentSilentAndLetAnotherWorkerFinishIt() throws Exception {
    Harness.Tenant t = h.tenant("lease");
    t.files("in", 40, 64 * 1024);
    UUID job = t.submit("in", "out");
    Harness.await("job planned", Duration.ofSeconds(30), () -> t.state(job).equals("RUNNING"));
    List<UUID> tasks =
        h.db().sql("SELECT id FROM tasks WHERE job_id = ?").param(job).query(UUID.class).list();

    // A worker claims every task and then goes silent: no heartbeat, no completion.
    for (UUID task : tasks) {
      assertThat(
              callbacks
                  .post(WorkerProtocol.claimPath(task), new ClaimRequest("silent", 1))
                  .status())
          .isEqualTo(200);
    }
    try (Worker healthy = t.worker("healthy")) {
      Sweeper sweeper = h.bean(Sweeper.class);
      // Other tests' leases live in the same database, so the counts are lower bounds.
      sweeper.sweepOnce();
      assertThat(attempts(job)).containsOnly(1);

      h.clock.advance(Duration.ofSeconds(31));
      assertThat(sweeper.sweepOnce().leasesExpired()).isGreaterThanOrEqualTo(tasks.size());
      assertThat(attempts(job)).containsOnly(2);

      h.clock.advance(Duration.ofSeconds(2)); // past the first backoff ceiling (1 s)
      assertThat(sweeper.sweepOnce().dispatched()).isGreaterThanOrEqualTo(tasks.size());
      Harness.await("job done", Duration.ofSeconds(60), () -> t.state(job).equals("SUCCEEDED"));
    }

    // The silent worker wakes up: its attempt is no longer current.
    assertThat(
            callbacks
                .post(
                    WorkerProtocol.completePath(tasks.get(0)),
                    new CompleteRequest("silent", 1, 1, List.of()))
                .status())
        .isEqualTo(409);

    Path out = t.destination.resolve("out");
    try (Stream<Path> files = Files.walk(out)) {
      List<Path> all = files.filter(Files::isRegularFile).toList();
      assertThat(all).hasSize(40);
      assertThat(all).noneMatch(p -> p.getFileName().toString().startsWith(".ferry"));
      for (Path p : all) {
        Path src = t.source.resolve("in").resolve(out.relativize(p).toString());
        assertThat(Files.mismatch(src, p)).as(p.toString()).isEqualTo(-1L);
      }
    }
    assertThat(t.job(job).get("progress").get("files").get("done").asLong()).isEqualTo(40);
  }

  private List<Integer> attempts(UUID job) {
    return h.db()
        .sql("SELECT attempt FROM tasks WHERE job_id = ?")
        .param(job)
        .query(Integer.class)
        .list();
  }
}
