package dev.ferry.worker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.ferry.model.ChecksumAlgorithm;
import dev.ferry.model.OverwritePolicy;
import dev.ferry.model.TransferMode;
import dev.ferry.model.protocol.EndpointRef;
import dev.ferry.model.protocol.FileItem;
import dev.ferry.model.protocol.HeartbeatResponse;
import dev.ferry.model.protocol.Lease;
import dev.ferry.model.protocol.TaskDispatched;
import dev.ferry.storage.StorageEndpoint;
import dev.ferry.worker.FakeControlPlane.Answer;
import dev.ferry.worker.WorkerListener.Outcome;
import dev.ferry.worker.WorkerListener.StopReason;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;

class WorkerTest {
  private static final Duration WAIT = Duration.ofSeconds(10);

  @TempDir Path temp;
  private Path srcRoot;
  private Path dstRoot;
  private FakeControlPlane controlPlane;
  private final RecordingListener listener = new RecordingListener();
  private final ExecutorService background = Executors.newCachedThreadPool();
  private Worker worker;

  private final CountDownLatch gate = new CountDownLatch(1);
  private final CountDownLatch gateReached = new CountDownLatch(1);

  @BeforeEach
  void setUp() throws IOException {
    srcRoot = Files.createDirectories(temp.resolve("src"));
    dstRoot = Files.createDirectories(temp.resolve("dst"));
    controlPlane = new FakeControlPlane();
  }

  @AfterEach
  void tearDown() {
    gate.countDown();
    if (worker != null) {
      worker.close();
    }
    background.shutdownNow();
    controlPlane.close();
  }

  private Worker worker(String site, Duration shutdownTimeout, EndpointOpener opener) {
    WorkerConfig config =
        WorkerConfig.builder()
            .controlPlaneUrl(controlPlane.url())
            .kafkaBootstrapServers("127.0.0.1:9") // never contacted: no start()
            .site(site)
            .workerId("worker-test")
            .webhookSecret(controlPlane.secret)
            .heartbeatInterval(Duration.ofMillis(20))
            .shutdownTimeout(shutdownTimeout)
            .build();
    ControlPlaneClient client =
        ControlPlaneClient.builder(config.controlPlaneUrl(), config.webhookSecret())
            .clock(Clock.systemUTC())
            .maxAttempts(2)
            .sleeper(d -> {})
            .build();
    worker = new Worker(config, listener, opener, client, null);
    return worker;
  }

  private Worker worker() {
    return worker("SITE_B", Duration.ofSeconds(10), EndpointOpener.DEFAULT);
  }

  /** Opens endpoints normally, but the source's stream of {@code path} stops after 10 bytes. */
  private EndpointOpener gatedSource(String path) {
    return ref -> {
      StorageEndpoint real = EndpointOpener.DEFAULT.open(ref);
      if (!ref.name().equals("src")) {
        return real;
      }
      return new ForwardingEndpoint(real) {
        @Override
        public InputStream openRange(String p, long offset, long length) {
          InputStream in = delegate.openRange(p, offset, length);
          return p.equals(path) ? new GatedInputStream(in, 10, gate, gateReached) : in;
        }
      };
    };
  }

  private Lease lease(UUID taskId, int attempt, String destinationUri, List<FileItem> files) {
    return new Lease(
        taskId,
        UUID.randomUUID(),
        attempt,
        Instant.now().plusSeconds(60),
        TransferMode.COPY,
        ChecksumAlgorithm.CRC32C,
        OverwritePolicy.IF_DIFFERENT,
        new EndpointRef("src", srcRoot.toUri().toString(), Map.of()),
        new EndpointRef("dst", destinationUri, Map.of("secret", "never logged")),
        files);
  }

  private void leaseOnClaim(List<FileItem> files) {
    leaseOnClaim(dstRoot.toUri().toString(), files);
  }

  private void leaseOnClaim(String destinationUri, List<FileItem> files) {
    controlPlane.on(
        "claim",
        call ->
            Answer.json(
                lease(call.taskId(), call.body().get("attempt").asInt(), destinationUri, files)));
  }

  private void heartbeatAnswers(HeartbeatResponse.Action action) {
    controlPlane.on(
        "heartbeat",
        call -> Answer.json(new HeartbeatResponse(action, Instant.now().plusSeconds(60))));
  }

  private static TaskDispatched task(String destinationSite) {
    return new TaskDispatched(UUID.randomUUID(), UUID.randomUUID(), 1, "SITE_A", destinationSite);
  }

  private void put(String path, String content) throws IOException {
    Path p = srcRoot.resolve(path);
    Files.createDirectories(p.getParent());
    Files.writeString(p, content);
  }

  private void assertNothingPublished() throws IOException {
    try (Stream<Path> files = Files.walk(dstRoot)) {
      assertThat(files.filter(Files::isRegularFile)).isEmpty();
    }
  }

  @Test
  void shouldRemoveStaleTemporaryFilesInTheDirectoriesItWritesToAndKeepFreshOnes()
      throws IOException {
    put("a.txt", "123456789");
    Path out = Files.createDirectories(dstRoot.resolve("out"));
    Path stale = Files.writeString(out.resolve(".ferry-tmp-dead-worker-a.txt"), "partial");
    Files.setLastModifiedTime(stale, FileTime.from(Instant.now().minus(Duration.ofHours(2))));
    Path fresh = Files.writeString(out.resolve(".ferry-tmp-running-elsewhere-b.txt"), "partial");
    Path elsewhere = Files.createDirectories(dstRoot.resolve("elsewhere"));
    Path notOurs = Files.writeString(elsewhere.resolve(".ferry-tmp-old-c.txt"), "partial");
    Files.setLastModifiedTime(notOurs, FileTime.from(Instant.now().minus(Duration.ofHours(2))));
    leaseOnClaim(List.of(new FileItem("a.txt", "out/a.txt", 9)));

    worker().handle(task("SITE_B"));

    assertThat(Files.readString(out.resolve("a.txt"))).isEqualTo("123456789");
    assertThat(stale).as("older than the default age of 1 h").doesNotExist();
    assertThat(fresh).as("may belong to a write still running").exists();
    assertThat(notOurs).as("in a directory the task does not write to").exists();
  }

  @Test
  void shouldClaimCopyVerifyAndComplete() throws IOException {
    put("a.txt", "123456789");
    put("dir/b.txt", "hello");
    leaseOnClaim(
        List.of(new FileItem("a.txt", "out/a.txt", 9), new FileItem("dir/b.txt", "out/b.txt", 5)));
    TaskDispatched task = task("SITE_B");

    worker().handle(task);

    assertThat(Files.readString(dstRoot.resolve("out/a.txt"))).isEqualTo("123456789");
    assertThat(Files.readString(dstRoot.resolve("out/b.txt"))).isEqualTo("hello");
    assertThat(controlPlane.rejections).isEmpty();
    assertThat(controlPlane.calls("claim"))
        .singleElement()
        .satisfies(
            c -> {
              assertThat(c.taskId()).isEqualTo(task.taskId());
              assertThat(c.body().get("workerId").asString()).isEqualTo("worker-test");
              assertThat(c.body().get("attempt").asInt()).isEqualTo(1);
            });
    JsonNode complete = controlPlane.calls("complete").get(0).body();
    assertThat(complete.get("workerId").asString()).isEqualTo("worker-test");
    assertThat(complete.get("attempt").asInt()).isEqualTo(1);
    assertThat(complete.get("durationMillis").asLong()).isNotNegative();
    JsonNode first = complete.get("files").get(0);
    assertThat(first.get("source").asString()).isEqualTo("a.txt");
    assertThat(first.get("status").asString()).isEqualTo("SUCCEEDED");
    assertThat(first.get("bytes").asLong()).isEqualTo(9);
    assertThat(first.get("checksum").asString()).isEqualTo("e3069283");
    assertThat(complete.get("files").get(1).get("status").asString()).isEqualTo("SUCCEEDED");
    assertThat(listener.claimed).hasSize(1);
    assertThat(listener.copiedBytes).containsExactly(9L, 5L);
    assertThat(listener.finished)
        .singleElement()
        .extracting(RecordingListener.Finished::outcome)
        .isEqualTo(Outcome.COMPLETED);
    assertThat(worker.activeTasks()).isZero();
  }

  @Test
  void shouldReportFailedFilesAndStillComplete() throws IOException {
    put("ok", "fine");
    leaseOnClaim(List.of(new FileItem("missing", "missing", 3), new FileItem("ok", "ok", 4)));

    worker().handle(task("SITE_B"));

    JsonNode files = controlPlane.calls("complete").get(0).body().get("files");
    assertThat(files.get(0).get("status").asString()).isEqualTo("FAILED");
    assertThat(files.get(0).get("error").get("errorClass").asString()).isEqualTo("not-found");
    assertThat(files.get(0).get("error").get("retryable").asBoolean()).isFalse();
    assertThat(files.get(1).get("status").asString()).isEqualTo("SUCCEEDED");
  }

  @Test
  void shouldFailEveryFileWhenAnEndpointCannotBeOpened() {
    leaseOnClaim(
        "s3://bucket/prefix", List.of(new FileItem("a", "a", 1), new FileItem("b", "b", 1)));

    worker().handle(task("SITE_B"));

    JsonNode files = controlPlane.calls("complete").get(0).body().get("files");
    assertThat(files).hasSize(2);
    for (JsonNode f : files) {
      assertThat(f.get("status").asString()).isEqualTo("FAILED");
      assertThat(f.get("error").get("errorClass").asString()).isEqualTo("unsupported");
      assertThat(f.get("error").get("message").asString()).contains("scheme s3 not supported yet");
      assertThat(f.get("error").get("retryable").asBoolean()).isFalse();
    }
  }

  @Test
  void shouldSkipDuplicateDeliveryWhenClaimIsStale() throws IOException {
    controlPlane.on(
        "claim", call -> Answer.stale("task is RUNNING at attempt 1 for another worker"));
    TaskDispatched task = task("SITE_B");

    worker().handle(task);

    assertThat(listener.duplicates).containsExactly(task);
    assertThat(listener.claimed).isEmpty();
    assertThat(listener.claimFailures).isEmpty();
    assertThat(controlPlane.calls("complete")).isEmpty();
    assertNothingPublished();
  }

  @Test
  void shouldIgnoreTaskForAnotherSite() {
    TaskDispatched task = task("SITE_C");

    worker().handle(task);

    assertThat(listener.otherSite).containsExactly(task);
    assertThat(controlPlane.calls).isEmpty();
  }

  @Test
  void shouldExecuteEverySiteWhenSiteIsNull() throws IOException {
    put("f", "x");
    leaseOnClaim(List.of(new FileItem("f", "f", 1)));

    worker(null, Duration.ofSeconds(10), EndpointOpener.DEFAULT).handle(task("ANY_SITE"));

    assertThat(controlPlane.calls("complete")).hasSize(1);
  }

  @Test
  void shouldCountFailedClaimWithoutRunning() {
    controlPlane.on("claim", call -> Answer.status(500));

    worker().handle(task("SITE_B"));

    assertThat(listener.claimFailures).singleElement().isInstanceOf(ControlPlaneException.class);
    assertThat(controlPlane.calls("claim")).hasSize(2);
    assertThat(listener.claimed).isEmpty();
  }

  @Test
  void shouldSkipSameAttemptAlreadyRunningHere() throws Exception {
    put("slow", "0123456789abcdef");
    leaseOnClaim(List.of(new FileItem("slow", "slow", 16)));
    heartbeatAnswers(HeartbeatResponse.Action.CONTINUE);
    Worker w = worker("SITE_B", Duration.ofSeconds(10), gatedSource("slow"));
    TaskDispatched task = task("SITE_B");

    Future<?> first = background.submit(() -> w.handle(task));
    assertThat(gateReached.await(10, TimeUnit.SECONDS)).isTrue();
    w.handle(task);

    assertThat(listener.duplicates).containsExactly(task);
    assertThat(controlPlane.calls("claim")).hasSize(1);
    gate.countDown();
    first.get(10, TimeUnit.SECONDS);
    assertThat(Files.readString(dstRoot.resolve("slow"))).isEqualTo("0123456789abcdef");
    assertThat(controlPlane.calls("complete")).hasSize(1);
  }

  @Test
  void shouldHeartbeatProgressThenStopOnCancelAndReportNothing() throws Exception {
    put("big", "0123456789abcdefghij");
    leaseOnClaim(List.of(new FileItem("big", "big", 20)));
    // cancel only once a heartbeat has reported the 10 bytes copied before the gate
    controlPlane.on(
        "heartbeat",
        call ->
            Answer.json(
                new HeartbeatResponse(
                    call.body().get("bytesDone").asLong() == 10
                        ? HeartbeatResponse.Action.CANCEL
                        : HeartbeatResponse.Action.CONTINUE,
                    Instant.now().plusSeconds(60))));
    RecordingListener opening =
        new RecordingListener() {
          @Override
          public void stopRequested(Lease lease, StopReason reason) {
            super.stopRequested(lease, reason);
            gate.countDown(); // the copy resumes only once the stop is known
          }
        };
    WorkerConfig config = worker().config();
    worker.close();
    worker =
        new Worker(
            config,
            opening,
            gatedSource("big"),
            ControlPlaneClient.builder(config.controlPlaneUrl(), config.webhookSecret()).build(),
            null);

    worker.handle(task("SITE_B"));

    assertThat(opening.stops).containsExactly(StopReason.CANCELLED);
    assertThat(opening.finished)
        .singleElement()
        .satisfies(
            f -> {
              assertThat(f.outcome()).isEqualTo(Outcome.CANCELLED);
              assertThat(f.results()).isEmpty();
            });
    assertThat(controlPlane.calls("complete")).isEmpty();
    assertThat(controlPlane.calls("release")).isEmpty();
    List<FakeControlPlane.Call> beats = controlPlane.calls("heartbeat");
    JsonNode lastBeat = beats.get(beats.size() - 1).body();
    assertThat(lastBeat.get("bytesDone").asLong()).isEqualTo(10);
    assertThat(lastBeat.get("filesDone").asInt()).isZero();
    assertThat(lastBeat.get("attempt").asInt()).isEqualTo(1);
    assertThat(lastBeat.get("workerId").asString()).isEqualTo("worker-test");
    assertNothingPublished();
  }

  @Test
  void shouldAbandonAttemptWhenHeartbeatIsStale() throws Exception {
    put("big", "0123456789abcdefghij");
    leaseOnClaim(List.of(new FileItem("big", "big", 20)));
    controlPlane.on("heartbeat", call -> Answer.stale("attempt 2 is current"));
    Worker w = worker("SITE_B", Duration.ofSeconds(10), gatedSource("big"));

    Future<?> run = background.submit(() -> w.handle(task("SITE_B")));
    await().atMost(WAIT).until(() -> !listener.stops.isEmpty());
    gate.countDown();
    run.get(10, TimeUnit.SECONDS);

    assertThat(listener.stops).containsExactly(StopReason.STALE);
    assertThat(listener.finished)
        .singleElement()
        .extracting(RecordingListener.Finished::outcome)
        .isEqualTo(Outcome.ABANDONED);
    assertThat(controlPlane.calls("complete")).isEmpty();
    assertNothingPublished();
  }

  @Test
  void shouldReleaseLeaseOfTaskStillRunningAtClose() throws Exception {
    put("stuck", "0123456789abcdefghij");
    leaseOnClaim(List.of(new FileItem("stuck", "stuck", 20)));
    heartbeatAnswers(HeartbeatResponse.Action.CONTINUE);
    Worker w = worker("SITE_B", Duration.ofMillis(100), gatedSource("stuck"));
    TaskDispatched task = task("SITE_B");

    Future<?> run = background.submit(() -> w.handle(task));
    assertThat(gateReached.await(10, TimeUnit.SECONDS)).isTrue();
    w.close(); // the gate never opens: the copy is interrupted
    run.get(10, TimeUnit.SECONDS);

    assertThat(listener.stops).containsExactly(StopReason.SHUTDOWN);
    assertThat(controlPlane.calls("release"))
        .singleElement()
        .satisfies(
            c -> {
              assertThat(c.taskId()).isEqualTo(task.taskId());
              assertThat(c.body().get("workerId").asString()).isEqualTo("worker-test");
              assertThat(c.body().get("attempt").asInt()).isEqualTo(1);
            });
    assertThat(listener.finished)
        .singleElement()
        .extracting(RecordingListener.Finished::outcome)
        .isEqualTo(Outcome.RELEASED);
    assertThat(controlPlane.calls("complete")).isEmpty();
    assertThat(w.activeTasks()).isZero();
    assertNothingPublished();
  }

  @Test
  void shouldLetRunningTaskFinishWhenItDoesWithinTheShutdownTimeout() throws Exception {
    put("f", "0123456789abcdefghij");
    leaseOnClaim(List.of(new FileItem("f", "f", 20)));
    heartbeatAnswers(HeartbeatResponse.Action.CONTINUE);
    Worker w = worker("SITE_B", Duration.ofSeconds(10), gatedSource("f"));

    Future<?> run = background.submit(() -> w.handle(task("SITE_B")));
    assertThat(gateReached.await(10, TimeUnit.SECONDS)).isTrue();
    Future<?> closing = background.submit(w::close);
    gate.countDown();
    closing.get(10, TimeUnit.SECONDS);
    run.get(10, TimeUnit.SECONDS);

    assertThat(controlPlane.calls("complete")).hasSize(1);
    assertThat(controlPlane.calls("release")).isEmpty();
    assertThat(Files.readString(dstRoot.resolve("f"))).isEqualTo("0123456789abcdefghij");
  }

  @Test
  void shouldNotClaimAfterClose() {
    Worker w = worker();
    w.close();

    w.handle(task("SITE_B"));

    assertThat(controlPlane.calls).isEmpty();
  }
}
