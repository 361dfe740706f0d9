package dev.ferry.worker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.ferry.model.ChecksumAlgorithm;
import dev.ferry.model.Json;
import dev.ferry.model.OverwritePolicy;
import dev.ferry.model.TransferMode;
import dev.ferry.model.event.Envelope;
import dev.ferry.model.event.EventTypes;
import dev.ferry.model.event.Topics;
import dev.ferry.model.protocol.EndpointRef;
import dev.ferry.model.protocol.FileItem;
import dev.ferry.model.protocol.HeartbeatResponse;
import dev.ferry.model.protocol.Lease;
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
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.MockConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The consumer with per-link limits: a busy link waits, other links go ahead. */
class WorkerLinkLimitTest {
  private static final TopicPartition PARTITION = new TopicPartition(Topics.TASKS, 0);

  @TempDir Path temp;
  private Path srcRoot;
  private Path dstRoot;
  private FakeControlPlane controlPlane;
  private final Map<UUID, String> fileOf = new ConcurrentHashMap<>();
  private final CountDownLatch gate = new CountDownLatch(1);
  private final CountDownLatch gateReached = new CountDownLatch(1);
  private Worker worker;

  private final MockConsumer<String, byte[]> consumer =
      new MockConsumer<>("earliest") {
        @Override
        public synchronized ConsumerRecords<String, byte[]> poll(Duration timeout) {
          ConsumerRecords<String, byte[]> records = super.poll(timeout);
          if (records.isEmpty()) {
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(2));
          }
          return records;
        }
      };

  @BeforeEach
  void setUp() throws IOException {
    srcRoot = Files.createDirectories(temp.resolve("src"));
    dstRoot = Files.createDirectories(temp.resolve("dst"));
    for (String f : List.of("slow", "second", "other")) {
      Files.writeString(srcRoot.resolve(f), "content of " + f);
    }
    controlPlane = new FakeControlPlane();
    controlPlane.on(
        "claim",
        call ->
            Answer.json(
                new Lease(
                    call.taskId(),
                    UUID.randomUUID(),
                    1,
                    Instant.now().plusSeconds(60),
                    TransferMode.COPY,
                    ChecksumAlgorithm.CRC32C,
                    OverwritePolicy.ALWAYS,
                    new EndpointRef("src", srcRoot.toUri().toString(), Map.of()),
                    new EndpointRef("dst", dstRoot.toUri().toString(), Map.of()),
                    List.of(
                        new FileItem(fileOf.get(call.taskId()), fileOf.get(call.taskId()), 0)))));
    controlPlane.on(
        "heartbeat",
        call ->
            Answer.json(
                new HeartbeatResponse(
                    HeartbeatResponse.Action.CONTINUE, Instant.now().plusSeconds(60))));
    WorkerConfig config =
        WorkerConfig.builder()
            .controlPlaneUrl(controlPlane.url())
            .kafkaBootstrapServers("127.0.0.1:9")
            .workerId("worker-link-test")
            .webhookSecret(controlPlane.secret)
            .concurrency(3)
            .linkConcurrency(Map.of("SITE_A->SITE_B", 1))
            .heartbeatInterval(Duration.ofMillis(50))
            .build();
    EndpointOpener gatedSlow =
        ref -> {
          StorageEndpoint real = EndpointOpener.DEFAULT.open(ref);
          return new ForwardingEndpoint(real) {
            @Override
            public InputStream openRange(String path, long offset, long length) {
              InputStream in = delegate.openRange(path, offset, length);
              return path.equals("slow") ? new GatedInputStream(in, 4, gate, gateReached) : in;
            }
          };
        };
    worker =
        new Worker(
            config,
            WorkerListener.NOOP,
            gatedSlow,
            ControlPlaneClient.builder(config.controlPlaneUrl(), config.webhookSecret()).build(),
            () -> consumer,
            AttemptTelemetry.NOOP);
  }

  @AfterEach
  void tearDown() {
    gate.countDown();
    worker.close();
    controlPlane.close();
  }

  private ConsumerRecord<String, byte[]> dispatch(
      long offset, String file, String from, String to) {
    UUID taskId = UUID.randomUUID();
    fileOf.put(taskId, file);
    TaskDispatched task = new TaskDispatched(taskId, UUID.randomUUID(), 1, from, to);
    Envelope e =
        new Envelope(
            UUID.randomUUID().toString(),
            "/ferry/control",
            EventTypes.TASK_DISPATCHED,
            Envelope.SPEC_VERSION,
            Instant.now(),
            UUID.randomUUID().toString(),
            taskId.toString(),
            EventTypes.schemaV1(EventTypes.TASK_DISPATCHED),
            Json.mapper().valueToTree(task));
    return new ConsumerRecord<>(
        Topics.TASKS, 0, offset, Topics.linkKey(from, to), Json.mapper().writeValueAsBytes(e));
  }

  private long committed() {
    OffsetAndMetadata o = consumer.committed(Set.of(PARTITION)).get(PARTITION);
    return o == null ? 0 : o.offset();
  }

  private List<String> claimedFiles() {
    return controlPlane.calls("claim").stream().map(c -> fileOf.get(c.taskId())).toList();
  }

  @Test
  void shouldLetOtherLinksPassATaskWaitingForItsLinkAndCommitOnlyUpToIt() {
    List<ConsumerRecord<String, byte[]>> records =
        List.of(
            dispatch(0, "slow", "SITE_A", "SITE_B"),
            dispatch(1, "second", "SITE_A", "SITE_B"),
            dispatch(2, "other", "SITE_C", "SITE_B"));
    consumer.schedulePollTask(
        () -> {
          consumer.rebalance(List.of(PARTITION));
          consumer.updateBeginningOffsets(Map.of(PARTITION, 0L));
          records.forEach(consumer::addRecord);
        });

    worker.start();

    // SITE_A->SITE_B allows one task: "second" waits behind "slow", "other" goes ahead of it
    await().atMost(Duration.ofSeconds(10)).until(() -> gateReached.getCount() == 0);
    await().atMost(Duration.ofSeconds(10)).until(() -> controlPlane.calls("complete").size() == 1);
    assertThat(claimedFiles()).containsExactlyInAnyOrder("slow", "other"); // run concurrently
    await().atMost(Duration.ofSeconds(10)).until(() -> consumer.paused().contains(PARTITION));
    assertThat(committed()).isEqualTo(1); // "second" at offset 1 is still waiting
    assertThat(worker.linkLimit("SITE_A->SITE_B")).isEqualTo(1);

    gate.countDown();

    await().atMost(Duration.ofSeconds(10)).until(() -> controlPlane.calls("complete").size() == 3);
    assertThat(claimedFiles()).hasSize(3).last().isEqualTo("second");
    await().atMost(Duration.ofSeconds(10)).until(() -> committed() == 3);
    await().atMost(Duration.ofSeconds(10)).until(() -> consumer.paused().isEmpty());
  }
}
