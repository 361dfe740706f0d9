package dev.ferry.worker;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ferry.model.ChecksumAlgorithm;
import dev.ferry.model.OverwritePolicy;
import dev.ferry.model.TransferMode;
import dev.ferry.model.protocol.EndpointRef;
import dev.ferry.model.protocol.FileItem;
import dev.ferry.model.protocol.HeartbeatResponse;
import dev.ferry.model.protocol.Lease;
import dev.ferry.model.protocol.TaskDispatched;
import dev.ferry.storage.LocalFileSystemEndpoint;
import dev.ferry.storage.StorageEndpoint;
import dev.ferry.testsupport.SettableClock;
import dev.ferry.worker.FakeControlPlane.Answer;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Random;
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

/**
 * A worker that stops abruptly in the middle of a file leaves a temporary file behind; the control
 * plane re-queues the task when the lease expires (see {@code LeaseExpiryIT} in ferry-control for
 * that part, with the real control plane); another worker runs the next attempt. The destination
 * ends with exactly one correct object, and the next worker's housekeeping removes the dead one's
 * temporary file once it is older than {@link WorkerConfig#temporaryFileAge()}. When the first
 * worker comes back to life (a stalled process rather than a dead one), it publishes nothing.
 */
class WorkerCrashRecoveryTest {
  private static final int SIZE = 3 * 1024 * 1024;

  @TempDir Path temp;
  private Path srcRoot;
  private Path dstRoot;
  private byte[] data;
  private FakeControlPlane controlPlane;
  private final ExecutorService background = Executors.newCachedThreadPool();
  private final CountDownLatch gate = new CountDownLatch(1);
  private final CountDownLatch gateReached = new CountDownLatch(1);

  @BeforeEach
  void setUp() throws IOException {
    srcRoot = Files.createDirectories(temp.resolve("src"));
    dstRoot = Files.createDirectories(temp.resolve("dst"));
    data = new byte[SIZE];
    new Random(3).nextBytes(data);
    Files.write(srcRoot.resolve("f.bin"), data);
    controlPlane = new FakeControlPlane();
    controlPlane.on(
        "heartbeat",
        call ->
            Answer.json(
                new HeartbeatResponse(
                    HeartbeatResponse.Action.CONTINUE, Instant.now().plusSeconds(60))));
    controlPlane.on(
        "claim",
        call ->
            Answer.json(
                new Lease(
                    call.taskId(),
                    UUID.randomUUID(),
                    call.body().get("attempt").asInt(),
                    Instant.now().plusSeconds(30),
                    TransferMode.COPY,
                    ChecksumAlgorithm.CRC32C,
                    OverwritePolicy.IF_DIFFERENT,
                    new EndpointRef("src", srcRoot.toUri().toString(), Map.of()),
                    new EndpointRef("dst", dstRoot.toUri().toString(), Map.of()),
                    List.of(new FileItem("f.bin", "out/f.bin", SIZE)))));
    // attempt 1 is no longer current once attempt 2 exists
    controlPlane.on(
        "complete",
        call ->
            call.body().get("attempt").asInt() == 1
                ? Answer.stale("attempt 1 expired; attempt 2 is current")
                : Answer.json(Map.of("taskId", call.taskId(), "state", "SUCCEEDED")));
  }

  @AfterEach
  void tearDown() {
    gate.countDown();
    background.shutdownNow();
    controlPlane.close();
  }

  private Worker worker(String id, Clock clock, EndpointOpener opener) {
    WorkerConfig config =
        WorkerConfig.builder()
            .controlPlaneUrl(controlPlane.url())
            .kafkaBootstrapServers("127.0.0.1:9") // never contacted: no start()
            .workerId(id)
            .webhookSecret(controlPlane.secret)
            .heartbeatInterval(Duration.ofMillis(50))
            .clock(clock)
            .build();
    ControlPlaneClient client =
        ControlPlaneClient.builder(config.controlPlaneUrl(), config.webhookSecret())
            .clock(Clock.systemUTC()) // signatures must be fresh for the fake control plane
            .build();
    return new Worker(config, WorkerListener.NOOP, opener, client, null);
  }

  /** The source stalls after its first MiB, as a worker frozen mid-file. */
  private EndpointOpener stallingSource() {
    return ref -> {
      StorageEndpoint real = EndpointOpener.DEFAULT.open(ref);
      if (!ref.name().equals("src")) {
        return real;
      }
      return new ForwardingEndpoint(real) {
        @Override
        public InputStream openRange(String p, long offset, long length) {
          return new GatedInputStream(
              delegate.openRange(p, offset, length), 1024 * 1024, gate, gateReached);
        }
      };
    };
  }

  private List<String> names(Path dir) throws IOException {
    try (Stream<Path> files = Files.list(dir)) {
      return files.map(p -> p.getFileName().toString()).sorted().toList();
    }
  }

  @Test
  void shouldEndWithOneCorrectObjectAndNoTemporaryFilesAfterAWorkerDiedMidFile() throws Exception {
    UUID taskId = UUID.randomUUID();
    Worker dead = worker("worker-dead", Clock.systemUTC(), stallingSource());
    Future<?> deadRun =
        background.submit(
            () -> dead.handle(new TaskDispatched(taskId, UUID.randomUUID(), 1, "A", "B")));
    assertThat(gateReached.await(30, TimeUnit.SECONDS)).isTrue();
    Path out = dstRoot.resolve("out");
    assertThat(names(out))
        .singleElement()
        .satisfies(n -> assertThat(n).startsWith(LocalFileSystemEndpoint.TEMP_PREFIX));

    // The lease expired and the task was dispatched again; another worker runs attempt 2 two
    // hours later (by its clock), when the dead worker's temporary file is stale.
    SettableClock later = new SettableClock(Instant.now().plus(Duration.ofHours(2)));
    try (Worker healthy = worker("worker-healthy", later, EndpointOpener.DEFAULT)) {
      healthy.handle(new TaskDispatched(taskId, UUID.randomUUID(), 2, "A", "B"));
    }

    assertThat(names(out)).containsExactly("f.bin");
    assertThat(Files.readAllBytes(out.resolve("f.bin"))).isEqualTo(data);
    assertThat(controlPlane.calls("complete"))
        .singleElement()
        .satisfies(c -> assertThat(c.body().get("attempt").asInt()).isEqualTo(2));

    // The first worker was only frozen: it resumes, finds its temporary file gone, publishes
    // nothing, and its report is refused as stale.
    gate.countDown();
    deadRun.get(30, TimeUnit.SECONDS);
    dead.close();

    assertThat(names(out)).containsExactly("f.bin");
    assertThat(Files.readAllBytes(out.resolve("f.bin"))).isEqualTo(data);
    assertThat(controlPlane.calls("complete")).hasSize(2);
    assertThat(
            controlPlane
                .calls("complete")
                .get(1)
                .body()
                .get("files")
                .get(0)
                .get("status")
                .asString())
        .isEqualTo("FAILED");
  }
}
