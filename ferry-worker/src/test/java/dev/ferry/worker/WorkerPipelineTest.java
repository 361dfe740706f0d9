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
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;

/** Batches copied several files at a time; attempt telemetry and heartbeat rate. */
class WorkerPipelineTest {
  private static final int FILES = 40;
  private static final int FILE_CONCURRENCY = 4;

  @TempDir Path temp;
  private Path srcRoot;
  private Path dstRoot;
  private FakeControlPlane controlPlane;
  private final RecordingListener listener = new RecordingListener();
  private final List<AttemptFinished> events = new CopyOnWriteArrayList<>();
  private final AttemptTelemetry recording = events::add;
  private final ExecutorService background = Executors.newCachedThreadPool();
  private final CountDownLatch gate = new CountDownLatch(1);
  private Worker worker;
  private long batchBytes;

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

  private Worker worker(EndpointOpener opener, Duration shutdownTimeout, WorkerListener l) {
    WorkerConfig config =
        WorkerConfig.builder()
            .controlPlaneUrl(controlPlane.url())
            .kafkaBootstrapServers("127.0.0.1:9") // never contacted: no start()
            .site("SITE_B")
            .workerId("worker-pipeline")
            .webhookSecret(controlPlane.secret)
            .fileConcurrency(FILE_CONCURRENCY)
            .heartbeatInterval(Duration.ofMillis(20))
            .shutdownTimeout(shutdownTimeout)
            .build();
    ControlPlaneClient client =
        ControlPlaneClient.builder(config.controlPlaneUrl(), config.webhookSecret())
            .clock(Clock.systemUTC())
            .maxAttempts(2)
            .sleeper(d -> {})
            .build();
    worker = new Worker(config, l, opener, client, null, recording);
    return worker;
  }

  private List<FileItem> batch() throws IOException {
    List<FileItem> files = new ArrayList<>();
    for (int i = 0; i < FILES; i++) {
      String name = "f" + i;
      String content = "content of file " + i;
      Files.writeString(srcRoot.resolve(name), content);
      batchBytes += content.length();
      files.add(new FileItem(name, "out/" + name, 0));
    }
    return files;
  }

  private void leaseOnClaim(List<FileItem> files) {
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
                    files)));
  }

  private void heartbeatAnswers(HeartbeatResponse.Action action) {
    controlPlane.on(
        "heartbeat",
        call -> Answer.json(new HeartbeatResponse(action, Instant.now().plusSeconds(60))));
  }

  /**
   * Source streams that count how many are open at once. Each stream's first read waits (up to 10
   * s) until {@code FILE_CONCURRENCY} are open together: a sequential copy would never get there.
   */
  private EndpointOpener concurrencyMeter(AtomicInteger maxOpen) {
    AtomicInteger open = new AtomicInteger();
    CountDownLatch together = new CountDownLatch(FILE_CONCURRENCY);
    return ref -> {
      StorageEndpoint real = EndpointOpener.DEFAULT.open(ref);
      if (!ref.name().equals("src")) {
        return real;
      }
      return new ForwardingEndpoint(real) {
        @Override
        public InputStream openRange(String p, long offset, long length) {
          int now = open.incrementAndGet();
          maxOpen.accumulateAndGet(now, Math::max);
          together.countDown();
          try {
            together.await(10, TimeUnit.SECONDS);
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
          }
          InputStream in = delegate.openRange(p, offset, length);
          return new java.io.FilterInputStream(in) {
            @Override
            public void close() throws IOException {
              open.decrementAndGet();
              super.close();
            }
          };
        }
      };
    };
  }

  /**
   * Every source stream yields 4 bytes, then waits for the gate (or an interrupt); {@code reached}
   * counts down once per stream that got there.
   */
  private EndpointOpener gatedSources(CountDownLatch reached) {
    return ref -> {
      StorageEndpoint real = EndpointOpener.DEFAULT.open(ref);
      if (!ref.name().equals("src")) {
        return real;
      }
      return new ForwardingEndpoint(real) {
        @Override
        public InputStream openRange(String p, long offset, long length) {
          return new GatedInputStream(delegate.openRange(p, offset, length), 4, gate, reached);
        }
      };
    };
  }

  private void assertNothingPublished() throws IOException {
    try (Stream<Path> files = Files.walk(dstRoot)) {
      assertThat(files.filter(Files::isRegularFile)).isEmpty();
    }
  }

  @Test
  void shouldCopyFilesOfABatchConcurrentlyAndReportThemInLeaseOrder() throws IOException {
    List<FileItem> files = batch();
    leaseOnClaim(files);
    heartbeatAnswers(HeartbeatResponse.Action.CONTINUE);
    AtomicInteger maxOpen = new AtomicInteger();

    worker(concurrencyMeter(maxOpen), Duration.ofSeconds(10), listener)
        .handle(new TaskDispatched(UUID.randomUUID(), UUID.randomUUID(), 1, "SITE_A", "SITE_B"));

    assertThat(maxOpen.get()).isEqualTo(FILE_CONCURRENCY);
    JsonNode reported = controlPlane.calls("complete").get(0).body().get("files");
    assertThat(reported).hasSize(FILES);
    for (int i = 0; i < FILES; i++) {
      assertThat(reported.get(i).get("source").asString()).isEqualTo("f" + i);
      assertThat(reported.get(i).get("status").asString()).isEqualTo("SUCCEEDED");
      assertThat(Files.readString(dstRoot.resolve("out/f" + i))).isEqualTo("content of file " + i);
    }
    assertThat(listener.copiedBytes).hasSize(FILES);
    assertThat(events)
        .singleElement()
        .satisfies(
            e -> {
              assertThat(e.outcome()).isEqualTo("completed");
              assertThat(e.files()).isEqualTo(FILES);
              assertThat(e.filesSucceeded()).isEqualTo(FILES);
              assertThat(e.filesFailed()).isZero();
              assertThat(e.errorClass()).isNull();
              assertThat(e.bytesOnWire()).isEqualTo(batchBytes);
              assertThat(e.sourceSite()).isEqualTo("SITE_A");
              assertThat(e.destinationSite()).isEqualTo("SITE_B");
              assertThat(e.workerId()).isEqualTo("worker-pipeline");
              assertThat(e.attempt()).isEqualTo(1);
            });
  }

  @Test
  void shouldStopEveryConcurrentCopyOnCancelAndPublishNothing() throws Exception {
    List<FileItem> files = batch();
    leaseOnClaim(files);
    CountDownLatch reached = new CountDownLatch(FILE_CONCURRENCY);
    // cancel once a heartbeat reports that all the concurrent copies got 4 bytes in
    controlPlane.on(
        "heartbeat",
        call ->
            Answer.json(
                new HeartbeatResponse(
                    call.body().get("bytesDone").asLong() == 4L * FILE_CONCURRENCY
                        ? HeartbeatResponse.Action.CANCEL
                        : HeartbeatResponse.Action.CONTINUE,
                    Instant.now().plusSeconds(60))));
    RecordingListener opening =
        new RecordingListener() {
          @Override
          public void stopRequested(Lease lease, StopReason reason) {
            super.stopRequested(lease, reason);
            gate.countDown(); // the copies go on only once the stop is known
          }
        };

    worker(gatedSources(reached), Duration.ofSeconds(10), opening)
        .handle(new TaskDispatched(UUID.randomUUID(), UUID.randomUUID(), 1, "SITE_A", "SITE_B"));

    assertThat(opening.stops).containsExactly(StopReason.CANCELLED);
    assertThat(opening.finished)
        .singleElement()
        .satisfies(
            f -> {
              assertThat(f.outcome()).isEqualTo(Outcome.CANCELLED);
              assertThat(f.results()).isEmpty();
            });
    assertThat(controlPlane.calls("complete")).isEmpty();
    assertNothingPublished();
    JsonNode lastBeat =
        controlPlane.calls("heartbeat").get(controlPlane.calls("heartbeat").size() - 1).body();
    assertThat(lastBeat.get("bytesDone").asLong()).isEqualTo(4L * FILE_CONCURRENCY);
    assertThat(lastBeat.get("bytesPerSecond").asLong()).isPositive();
    assertThat(lastBeat.get("resume").isEmpty()).isTrue();
    assertThat(events)
        .singleElement()
        .satisfies(
            e -> {
              assertThat(e.outcome()).isEqualTo("cancelled");
              assertThat(e.bytesOnWire()).isEqualTo(4L * FILE_CONCURRENCY);
            });
  }

  @Test
  void shouldInterruptEveryCopyAndReleaseTheLeaseAtClose() throws Exception {
    leaseOnClaim(batch());
    heartbeatAnswers(HeartbeatResponse.Action.CONTINUE);
    CountDownLatch reached = new CountDownLatch(FILE_CONCURRENCY);
    Worker w = worker(gatedSources(reached), Duration.ofMillis(100), listener);

    Future<?> run =
        background.submit(
            () ->
                w.handle(
                    new TaskDispatched(
                        UUID.randomUUID(), UUID.randomUUID(), 1, "SITE_A", "SITE_B")));
    assertThat(reached.await(10, TimeUnit.SECONDS)).isTrue();
    w.close(); // the gate never opens: every copy is interrupted
    run.get(10, TimeUnit.SECONDS);

    assertThat(listener.stops).containsExactly(StopReason.SHUTDOWN);
    assertThat(controlPlane.calls("release")).hasSize(1);
    assertThat(controlPlane.calls("complete")).isEmpty();
    assertThat(listener.finished)
        .singleElement()
        .extracting(RecordingListener.Finished::outcome)
        .isEqualTo(Outcome.RELEASED);
    assertThat(w.activeTasks()).isZero();
    assertNothingPublished();
    assertThat(events).singleElement().extracting(AttemptFinished::outcome).isEqualTo("released");
  }

  @Test
  void shouldReportTheFirstFailureOfAnAttemptInItsTelemetry() throws IOException {
    Files.writeString(srcRoot.resolve("ok"), "fine");
    leaseOnClaim(
        List.of(
            new FileItem("missing-1", "missing-1", 3),
            new FileItem("ok", "ok", 4),
            new FileItem("missing-2", "missing-2", 3)));

    worker(EndpointOpener.DEFAULT, Duration.ofSeconds(10), listener)
        .handle(new TaskDispatched(UUID.randomUUID(), UUID.randomUUID(), 1, "SITE_A", "SITE_B"));

    await().atMost(Duration.ofSeconds(10)).until(() -> events.size() == 1);
    AttemptFinished e = events.get(0);
    assertThat(e.outcome()).isEqualTo("failed");
    assertThat(e.errorClass()).isEqualTo("not-found");
    assertThat(e.files()).isEqualTo(3);
    assertThat(e.filesSucceeded()).isEqualTo(1);
    assertThat(e.filesFailed()).isEqualTo(2);
    assertThat(e.retryableFailures()).isZero();
    assertThat(e.bytesOnWire()).isEqualTo(4);
    assertThat(e.durationMillis()).isNotNegative();
  }
}
