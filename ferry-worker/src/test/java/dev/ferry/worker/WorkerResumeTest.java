package dev.ferry.worker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.ferry.model.ChecksumAlgorithm;
import dev.ferry.model.Json;
import dev.ferry.model.OverwritePolicy;
import dev.ferry.model.TransferMode;
import dev.ferry.model.protocol.EndpointRef;
import dev.ferry.model.protocol.FileItem;
import dev.ferry.model.protocol.HeartbeatResponse;
import dev.ferry.model.protocol.Lease;
import dev.ferry.model.protocol.ResumePoint;
import dev.ferry.model.protocol.TaskDispatched;
import dev.ferry.storage.StorageEndpoint;
import dev.ferry.worker.FakeControlPlane.Answer;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;

/**
 * The task side of resumable copies: heartbeats carry the resume points the copier reports, a
 * shutdown keeps the verified chunks, and the next attempt's lease resumes from them.
 */
class WorkerResumeTest {
  private static final long MIB = 1024 * 1024;
  private static final long SIZE = CopyOptions.DEFAULT_CHUNK_THRESHOLD + 8 * MIB;
  private static final long GATE_AT = 2 * CopyOptions.DEFAULT_CHUNK_SIZE + 4 * MIB;

  @TempDir Path temp;
  private Path srcRoot;
  private Path dstRoot;
  private FakeControlPlane controlPlane;
  private final ExecutorService background = Executors.newCachedThreadPool();
  private final CountDownLatch gate = new CountDownLatch(1);
  private final CountDownLatch gateReached = new CountDownLatch(1);
  private final List<AttemptFinished> events = new CopyOnWriteArrayList<>();

  @BeforeEach
  void setUp() throws IOException {
    srcRoot = Files.createDirectories(temp.resolve("src"));
    dstRoot = Files.createDirectories(temp.resolve("dst"));
    byte[] data = new byte[(int) SIZE];
    new Random(7).nextBytes(data);
    Files.write(srcRoot.resolve("big"), data);
    controlPlane = new FakeControlPlane();
    controlPlane.on(
        "heartbeat",
        call ->
            Answer.json(
                new HeartbeatResponse(
                    HeartbeatResponse.Action.CONTINUE, Instant.now().plusSeconds(60))));
  }

  @AfterEach
  void tearDown() {
    gate.countDown();
    background.shutdownNow();
    controlPlane.close();
  }

  private Worker worker(EndpointOpener opener) {
    WorkerConfig config =
        WorkerConfig.builder()
            .controlPlaneUrl(controlPlane.url())
            .kafkaBootstrapServers("127.0.0.1:9")
            .workerId("worker-resume")
            .webhookSecret(controlPlane.secret)
            .heartbeatInterval(Duration.ofMillis(20))
            .shutdownTimeout(Duration.ofMillis(100))
            // the in-order path, which reports every chunk as it is verified; the ranged path's
            // checkpoints and resume are tested in ParallelRangesTest
            .rangesPerFile(1)
            .build();
    return new Worker(
        config,
        WorkerListener.NOOP,
        opener,
        ControlPlaneClient.builder(config.controlPlaneUrl(), config.webhookSecret()).build(),
        null,
        events::add);
  }

  private void leaseOnClaim(Map<String, ResumePoint> resume) {
    controlPlane.on(
        "claim",
        call ->
            Answer.json(
                new Lease(
                    call.taskId(),
                    UUID.randomUUID(),
                    call.body().get("attempt").asInt(),
                    Instant.now().plusSeconds(60),
                    TransferMode.COPY,
                    ChecksumAlgorithm.CRC32C,
                    OverwritePolicy.IF_DIFFERENT,
                    new EndpointRef("src", srcRoot.toUri().toString(), Map.of()),
                    new EndpointRef("dst", dstRoot.toUri().toString(), Map.of()),
                    List.of(new FileItem("big", "big", SIZE)),
                    resume)));
  }

  private EndpointOpener gatedSource() {
    return ref -> {
      StorageEndpoint real = EndpointOpener.DEFAULT.open(ref);
      if (!ref.name().equals("src")) {
        return real;
      }
      return new ForwardingEndpoint(real) {
        @Override
        public InputStream openRange(String p, long offset, long length) {
          return new GatedInputStream(
              delegate.openRange(p, offset, length), GATE_AT, gate, gateReached);
        }
      };
    };
  }

  /** The resume point of "big" in the latest heartbeat that carried one. */
  private ResumePoint lastReported() {
    ResumePoint found = null;
    for (FakeControlPlane.Call beat : controlPlane.calls("heartbeat")) {
      JsonNode point = beat.body().get("resume").get("big");
      if (point != null) {
        found = Json.mapper().treeToValue(point, ResumePoint.class);
      }
    }
    return found;
  }

  @Test
  void shouldReportResumePointsAndLetTheNextAttemptContinueAfterAShutdown() throws Exception {
    leaseOnClaim(Map.of());
    Worker first = worker(gatedSource());
    Future<?> run =
        background.submit(
            () ->
                first.handle(
                    new TaskDispatched(
                        UUID.randomUUID(), UUID.randomUUID(), 1, "SITE_A", "SITE_B")));
    assertThat(gateReached.await(30, TimeUnit.SECONDS)).isTrue();
    AtomicReference<ResumePoint> reported = new AtomicReference<>();
    await()
        .atMost(Duration.ofSeconds(30))
        .until(
            () -> {
              reported.set(lastReported());
              return reported.get() != null && reported.get().chunkChecksums().size() == 2;
            });

    first.close(); // the gate never opens: the copy is interrupted and keeps its two chunks
    run.get(30, TimeUnit.SECONDS);
    assertThat(controlPlane.calls("release")).hasSize(1);
    assertThat(events).singleElement().extracting(AttemptFinished::outcome).isEqualTo("released");
    assertThat(Files.exists(dstRoot.resolve("big"))).isFalse();

    ResumePoint point = reported.get();
    assertThat(point.sourceSize()).isEqualTo(SIZE);
    assertThat(point.durableBytes()).isEqualTo(2 * CopyOptions.DEFAULT_CHUNK_SIZE);
    leaseOnClaim(Map.of("big", point));
    try (Worker second = worker(EndpointOpener.DEFAULT)) {
      second.handle(
          new TaskDispatched(UUID.randomUUID(), UUID.randomUUID(), 2, "SITE_A", "SITE_B"));
    }

    assertThat(controlPlane.calls("complete")).hasSize(1);
    assertThat(Files.readAllBytes(dstRoot.resolve("big")))
        .isEqualTo(Files.readAllBytes(srcRoot.resolve("big")));
    assertThat(events).hasSize(2);
    AttemptFinished resumed = events.get(1);
    assertThat(resumed.outcome()).isEqualTo("completed");
    assertThat(resumed.bytesOnWire()).isEqualTo(SIZE - point.durableBytes());
    try (Stream<Path> files = Files.walk(dstRoot)) {
      assertThat(files.filter(Files::isRegularFile)).containsExactly(dstRoot.resolve("big"));
    }
  }
}
