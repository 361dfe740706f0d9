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
import dev.ferry.model.protocol.Lease;
import dev.ferry.model.protocol.TaskDispatched;
import dev.ferry.testsupport.SharedKafka;
import dev.ferry.worker.FakeControlPlane.Answer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The worker against a real (embedded, KRaft) broker: read_committed, site filter, copy. */
class WorkerKafkaIT {
  @TempDir Path temp;

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

  @Test
  void shouldExecuteCommittedDispatchesForItsSiteOnly() throws Exception {
    SharedKafka.instance().createTopics(Map.of(Topics.TASKS, 3));
    Path src = Files.createDirectories(temp.resolve("src"));
    Path dst = Files.createDirectories(temp.resolve("dst"));
    Files.writeString(src.resolve("data.csv"), "a,b\n1,2\n");
    TaskDispatched aborted =
        new TaskDispatched(UUID.randomUUID(), UUID.randomUUID(), 1, "SITE_A", "SITE_B");
    TaskDispatched otherSite =
        new TaskDispatched(UUID.randomUUID(), UUID.randomUUID(), 1, "SITE_A", "SITE_C");
    TaskDispatched wanted =
        new TaskDispatched(UUID.randomUUID(), UUID.randomUUID(), 1, "SITE_A", "SITE_B");

    try (FakeControlPlane controlPlane = new FakeControlPlane()) {
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
                      OverwritePolicy.IF_DIFFERENT,
                      new EndpointRef("src", src.toUri().toString(), Map.of()),
                      new EndpointRef("dst", dst.toUri().toString(), Map.of()),
                      List.of(new FileItem("data.csv", "in/data.csv", 8)))));
      RecordingListener listener = new RecordingListener();
      WorkerConfig config =
          WorkerConfig.builder()
              .controlPlaneUrl(controlPlane.url())
              .kafkaBootstrapServers(SharedKafka.bootstrapServers())
              .site("SITE_B")
              .webhookSecret(controlPlane.secret)
              .heartbeatInterval(Duration.ofSeconds(1))
              .build();

      try (Worker worker = new Worker(config, listener);
          KafkaProducer<String, byte[]> producer =
              new KafkaProducer<>(
                  Map.of(
                      ProducerConfig.BOOTSTRAP_SERVERS_CONFIG,
                      SharedKafka.bootstrapServers(),
                      ProducerConfig.TRANSACTIONAL_ID_CONFIG,
                      "worker-kafka-it",
                      ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG,
                      StringSerializer.class,
                      ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG,
                      ByteArraySerializer.class))) {
        worker.start();
        producer.initTransactions();
        String key = Topics.linkKey("SITE_A", "SITE_B");
        producer.beginTransaction();
        producer.send(new ProducerRecord<>(Topics.TASKS, key, dispatched(aborted)));
        producer.flush();
        producer.abortTransaction();
        producer.beginTransaction();
        producer.send(
            new ProducerRecord<>(
                Topics.TASKS, Topics.linkKey("SITE_A", "SITE_C"), dispatched(otherSite)));
        producer.send(new ProducerRecord<>(Topics.TASKS, key, dispatched(wanted)));
        producer.commitTransaction();

        await()
            .atMost(Duration.ofSeconds(60))
            .until(() -> controlPlane.calls("complete").size() == 1);
        await().atMost(Duration.ofSeconds(30)).until(() -> listener.otherSite.size() == 1);
      }

      assertThat(controlPlane.calls("claim"))
          .extracting(FakeControlPlane.Call::taskId)
          .containsExactly(wanted.taskId());
      assertThat(controlPlane.rejections).isEmpty();
      assertThat(Files.readString(dst.resolve("in/data.csv"))).isEqualTo("a,b\n1,2\n");
      assertThat(listener.otherSite)
          .extracting(TaskDispatched::taskId)
          .containsExactly(otherSite.taskId());
    }
  }
}
