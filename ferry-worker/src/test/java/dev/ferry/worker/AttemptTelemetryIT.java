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
import dev.ferry.testsupport.SharedKafka;
import dev.ferry.worker.FakeControlPlane.Answer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;

/**
 * A task dispatched over the real (embedded, KRaft) broker, executed against the fake control
 * plane: its attempt-finished event is read back from {@code ferry.attempts}.
 */
class AttemptTelemetryIT {
  @TempDir Path temp;

  @Test
  void shouldProduceOneAttemptEventPerAttemptKeyedByLink() throws Exception {
    SharedKafka.instance().createTopics(Map.of(Topics.TASKS, 3, Topics.ATTEMPTS, 3));
    Path src = Files.createDirectories(temp.resolve("src"));
    Path dst = Files.createDirectories(temp.resolve("dst"));
    Files.writeString(src.resolve("a.csv"), "a,b\n1,2\n");
    Files.writeString(src.resolve("b.csv"), "c,d\n3,4\n5,6\n");
    String sourceSite = "TEL_A";
    String destinationSite = "TEL_B-" + UUID.randomUUID().toString().substring(0, 8);
    TaskDispatched task =
        new TaskDispatched(UUID.randomUUID(), UUID.randomUUID(), 1, sourceSite, destinationSite);

    try (FakeControlPlane controlPlane = new FakeControlPlane()) {
      controlPlane.on(
          "claim",
          call ->
              Answer.json(
                  new Lease(
                      call.taskId(),
                      task.jobId(),
                      1,
                      Instant.now().plusSeconds(60),
                      TransferMode.COPY,
                      ChecksumAlgorithm.CRC32C,
                      OverwritePolicy.IF_DIFFERENT,
                      new EndpointRef("src", src.toUri().toString(), Map.of()),
                      new EndpointRef("dst", dst.toUri().toString(), Map.of()),
                      List.of(
                          new FileItem("a.csv", "a.csv", 8),
                          new FileItem("b.csv", "b.csv", 12),
                          new FileItem("gone.csv", "gone.csv", 1)))));
      controlPlane.on(
          "heartbeat",
          call ->
              Answer.json(
                  new HeartbeatResponse(
                      HeartbeatResponse.Action.CONTINUE, Instant.now().plusSeconds(60))));
      WorkerConfig config =
          WorkerConfig.builder()
              .controlPlaneUrl(controlPlane.url())
              .kafkaBootstrapServers(SharedKafka.bootstrapServers())
              .site(destinationSite)
              .webhookSecret(controlPlane.secret)
              .heartbeatInterval(Duration.ofSeconds(1))
              .build();

      try (Worker worker = new Worker(config);
          KafkaProducer<String, byte[]> producer =
              new KafkaProducer<>(
                  Map.of(
                      ProducerConfig.BOOTSTRAP_SERVERS_CONFIG,
                      SharedKafka.bootstrapServers(),
                      ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG,
                      StringSerializer.class,
                      ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG,
                      ByteArraySerializer.class))) {
        worker.start();
        producer
            .send(
                new ProducerRecord<>(
                    Topics.TASKS, Topics.linkKey(sourceSite, destinationSite), dispatched(task)))
            .get();

        await()
            .atMost(Duration.ofSeconds(60))
            .until(() -> controlPlane.calls("complete").size() == 1);

        ConsumerRecord<String, byte[]> record = readAttempt(task.taskId());
        assertThat(record.key()).isEqualTo(sourceSite + "->" + destinationSite);
        Envelope envelope = Json.mapper().readValue(record.value(), Envelope.class);
        assertThat(envelope.type()).isEqualTo(EventTypes.ATTEMPT_FINISHED);
        assertThat(envelope.dataschema())
            .isEqualTo(EventTypes.schemaV1(EventTypes.ATTEMPT_FINISHED));
        assertThat(envelope.specversion()).isEqualTo(Envelope.SPEC_VERSION);
        JsonNode data = envelope.data();
        assertThat(data.get("taskId").asString()).isEqualTo(task.taskId().toString());
        assertThat(data.get("jobId").asString()).isEqualTo(task.jobId().toString());
        assertThat(data.get("attempt").asInt()).isEqualTo(1);
        assertThat(data.get("workerId").asString()).isEqualTo(config.workerId());
        assertThat(data.get("sourceSite").asString()).isEqualTo(sourceSite);
        assertThat(data.get("destinationSite").asString()).isEqualTo(destinationSite);
        assertThat(data.get("files").asInt()).isEqualTo(3);
        assertThat(data.get("bytesOnWire").asLong()).isEqualTo(20);
        assertThat(data.get("durationMillis").asLong()).isNotNegative();
        assertThat(data.get("outcome").asString()).isEqualTo("failed");
        assertThat(data.get("errorClass").asString()).isEqualTo("not-found");
        assertThat(data.get("retryableFailures").asInt()).isZero();
        assertThat(worker.telemetryFailures()).isZero();
      }
      assertThat(Files.readString(dst.resolve("b.csv"))).isEqualTo("c,d\n3,4\n5,6\n");
    }
  }

  private static byte[] dispatched(TaskDispatched task) {
    return Json.mapper()
        .writeValueAsBytes(
            new Envelope(
                UUID.randomUUID().toString(),
                "/ferry/control",
                EventTypes.TASK_DISPATCHED,
                Envelope.SPEC_VERSION,
                Instant.now(),
                UUID.randomUUID().toString(),
                task.taskId().toString(),
                EventTypes.schemaV1(EventTypes.TASK_DISPATCHED),
                Json.mapper().valueToTree(task)));
  }

  /** Reads {@code ferry.attempts} from the beginning until the event of {@code taskId} shows up. */
  private static ConsumerRecord<String, byte[]> readAttempt(UUID taskId) {
    try (KafkaConsumer<String, byte[]> consumer =
        new KafkaConsumer<>(
            Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG,
                SharedKafka.bootstrapServers(),
                ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG,
                StringDeserializer.class,
                ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG,
                ByteArrayDeserializer.class))) {
      List<TopicPartition> partitions = new ArrayList<>();
      consumer
          .partitionsFor(Topics.ATTEMPTS)
          .forEach(p -> partitions.add(new TopicPartition(p.topic(), p.partition())));
      consumer.assign(partitions);
      consumer.seekToBeginning(partitions);
      List<ConsumerRecord<String, byte[]>> mine = new ArrayList<>();
      await()
          .atMost(Duration.ofSeconds(30))
          .until(
              () -> {
                for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(200))) {
                  if (r.value() != null
                      && new String(r.value(), java.nio.charset.StandardCharsets.UTF_8)
                          .contains(taskId.toString())) {
                    mine.add(r);
                  }
                }
                return !mine.isEmpty();
              });
      consumer
          .poll(Duration.ofMillis(500))
          .forEach(
              r -> {
                if (new String(r.value(), java.nio.charset.StandardCharsets.UTF_8)
                    .contains(taskId.toString())) {
                  mine.add(r);
                }
              });
      assertThat(mine).as("attempt events of task " + taskId).hasSize(1);
      return mine.get(0);
    }
  }
}
