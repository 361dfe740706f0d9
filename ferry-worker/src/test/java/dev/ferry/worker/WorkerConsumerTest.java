package dev.ferry.worker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
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
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
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

/** The consumer loop against Kafka's {@link MockConsumer}: filtering, backpressure, commits. */
class WorkerConsumerTest {
  private static final TopicPartition PARTITION = new TopicPartition(Topics.TASKS, 0);

  @TempDir Path temp;
  private Path srcRoot;
  private Path dstRoot;
  private FakeControlPlane controlPlane;
  private final RecordingListener listener = new RecordingListener();
  private final CountDownLatch gate = new CountDownLatch(1);
  private final CountDownLatch gateReached = new CountDownLatch(1);
  private Worker worker;

  /** A poll that waits a little when there is nothing, as a real one does, instead of spinning. */
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
    Files.writeString(srcRoot.resolve("first"), "0123456789abcdef");
    Files.writeString(srcRoot.resolve("second"), "second file");
    controlPlane = new FakeControlPlane();
    controlPlane.on(
        "claim",
        call -> {
          String file = call.body().get("attempt").asInt() == 1 ? "first" : "second";
          return Answer.json(
              new Lease(
                  call.taskId(),
                  UUID.randomUUID(),
                  call.body().get("attempt").asInt(),
                  Instant.now().plusSeconds(60),
                  TransferMode.COPY,
                  ChecksumAlgorithm.CRC32C,
                  OverwritePolicy.ALWAYS,
                  new EndpointRef("src", srcRoot.toUri().toString(), Map.of()),
                  new EndpointRef("dst", dstRoot.toUri().toString(), Map.of()),
                  List.of(new FileItem(file, file, 0))));
        });
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
            .site("SITE_B")
            .workerId("worker-kafka-test")
            .webhookSecret(controlPlane.secret)
            .concurrency(1)
            .heartbeatInterval(Duration.ofMillis(50))
            .build();
    EndpointOpener gatedFirst =
        ref -> {
          StorageEndpoint real = EndpointOpener.DEFAULT.open(ref);
          return new ForwardingEndpoint(real) {
            @Override
            public InputStream openRange(String path, long offset, long length) {
              InputStream in = delegate.openRange(path, offset, length);
              return path.equals("first") ? new GatedInputStream(in, 4, gate, gateReached) : in;
            }
          };
        };
    worker =
        new Worker(
            config,
            listener,
            gatedFirst,
            ControlPlaneClient.builder(config.controlPlaneUrl(), config.webhookSecret()).build(),
            () -> consumer);
  }

  @AfterEach
  void tearDown() {
    gate.countDown();
    worker.close();
    controlPlane.close();
  }

  private static byte[] dispatched(UUID taskId, int attempt, String destinationSite) {
    TaskDispatched task =
        new TaskDispatched(taskId, UUID.randomUUID(), attempt, "SITE_A", destinationSite);
    return envelope(EventTypes.TASK_DISPATCHED, Json.mapper().valueToTree(task));
  }

  private static byte[] envelope(String type, tools.jackson.databind.JsonNode data) {
    Envelope e =
        new Envelope(
            UUID.randomUUID().toString(),
            "/ferry/control",
            type,
            Envelope.SPEC_VERSION,
            Instant.now(),
            UUID.randomUUID().toString(),
            "subject",
            EventTypes.schemaV1(type),
            data);
    return Json.mapper().writeValueAsBytes(e);
  }

  private long committed() {
    OffsetAndMetadata o = consumer.committed(Set.of(PARTITION)).get(PARTITION);
    return o == null ? 0 : o.offset();
  }

  @Test
  void shouldPauseWhenSlotsAreFullAndCommitOnlyHandedOffRecords() {
    UUID first = UUID.randomUUID();
    UUID second = UUID.randomUUID();
    List<byte[]> values =
        List.of(
            dispatched(first, 1, "SITE_B"),
            dispatched(second, 2, "SITE_B"),
            dispatched(UUID.randomUUID(), 1, "SITE_C"),
            "not json at all".getBytes(StandardCharsets.UTF_8),
            envelope(EventTypes.JOB_SUBMITTED, Json.mapper().createObjectNode()));
    consumer.schedulePollTask(
        () -> {
          consumer.rebalance(List.of(PARTITION));
          consumer.updateBeginningOffsets(Map.of(PARTITION, 0L));
          for (int i = 0; i < values.size(); i++) {
            consumer.addRecord(
                new ConsumerRecord<>(Topics.TASKS, 0, i, "SITE_A->SITE_B", values.get(i)));
          }
        });

    worker.start();

    // the one slot is taken by the first task, blocked mid-copy: the consumer pauses
    await().atMost(Duration.ofSeconds(10)).until(() -> gateReached.getCount() == 0);
    await().atMost(Duration.ofSeconds(10)).until(() -> consumer.paused().contains(PARTITION));
    assertThat(controlPlane.calls("claim"))
        .extracting(FakeControlPlane.Call::taskId)
        .containsExactly(first);
    assertThat(committed()).isEqualTo(1);

    gate.countDown();

    await().atMost(Duration.ofSeconds(10)).until(() -> committed() == 5);
    await().atMost(Duration.ofSeconds(10)).until(() -> controlPlane.calls("complete").size() == 2);
    assertThat(controlPlane.calls("claim"))
        .extracting(FakeControlPlane.Call::taskId)
        .containsExactly(first, second);
    await().atMost(Duration.ofSeconds(10)).until(() -> consumer.paused().isEmpty());
    assertThat(listener.otherSite).hasSize(1);
    assertThat(listener.rejected)
        .hasSize(2)
        .anyMatch(r -> r.contains("unreadable"))
        .anyMatch(r -> r.contains("unexpected type"));
    assertThat(consumer.subscription()).containsExactly(Topics.TASKS);
  }

  @Test
  void shouldCloseConsumerOnClose() {
    worker.start();
    assertThat(worker.isConsuming()).isTrue();
    worker.close();

    assertThat(worker.isConsuming()).isFalse();

    assertThat(consumer.closed()).isTrue();
    assertThatThrownBy(worker::start).isInstanceOf(IllegalStateException.class);
  }
}
