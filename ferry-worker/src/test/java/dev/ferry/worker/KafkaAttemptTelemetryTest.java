package dev.ferry.worker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.ferry.model.Json;
import dev.ferry.model.event.Envelope;
import dev.ferry.model.event.EventTypes;
import dev.ferry.model.event.Topics;
import dev.ferry.testsupport.SettableClock;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import org.apache.kafka.clients.producer.MockProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.errors.TimeoutException;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class KafkaAttemptTelemetryTest {
  private final SettableClock clock = new SettableClock();
  private final MockProducer<String, byte[]> producer =
      new MockProducer<>(false, null, new StringSerializer(), new ByteArraySerializer());
  private final List<AttemptFinished> lost = new CopyOnWriteArrayList<>();
  private final KafkaAttemptTelemetry telemetry =
      new KafkaAttemptTelemetry(
          producer,
          "worker-1",
          clock,
          new WorkerListener() {
            @Override
            public void attemptTelemetryFailed(AttemptFinished event, Exception error) {
              lost.add(event);
            }
          },
          Duration.ofSeconds(5));

  @AfterEach
  void tearDown() {
    telemetry.close();
  }

  private static AttemptFinished event(String outcome) {
    return new AttemptFinished(
        UUID.randomUUID(),
        UUID.randomUUID(),
        2,
        "worker-1",
        "SITE_A",
        "SITE_B",
        3,
        2,
        1,
        4096,
        120,
        outcome,
        "checksum-mismatch",
        1,
        "tenant-7");
  }

  @Test
  void shouldProduceAnEnvelopeKeyedByLink() {
    AttemptFinished event = event("failed");

    telemetry.attemptFinished(event);

    await().atMost(Duration.ofSeconds(10)).until(() -> producer.history().size() == 1);
    ProducerRecord<String, byte[]> record = producer.history().get(0);
    assertThat(record.topic()).isEqualTo(Topics.ATTEMPTS);
    assertThat(record.key()).isEqualTo("SITE_A->SITE_B");
    Envelope envelope = Json.mapper().readValue(record.value(), Envelope.class);
    assertThat(envelope.type()).isEqualTo(EventTypes.ATTEMPT_FINISHED);
    assertThat(envelope.dataschema()).isEqualTo("dev.ferry.attempt.finished/1");
    assertThat(envelope.source()).isEqualTo("/ferry/worker/worker-1");
    assertThat(envelope.subject()).isEqualTo(event.taskId().toString());
    assertThat(envelope.time()).isEqualTo(clock.instant());
    assertThat(envelope.tenant()).as("counted per tenant by telemetry").isEqualTo("tenant-7");
    assertThat(Json.mapper().treeToValue(envelope.data(), AttemptFinished.class)).isEqualTo(event);
    assertThat(envelope.data().get("errorClass").asString()).isEqualTo("checksum-mismatch");
    assertThat(envelope.data().get("bytesOnWire").asLong()).isEqualTo(4096);
  }

  @Test
  void shouldCountAndReportAnEventTheBrokerDidNotAcknowledge() {
    AttemptFinished event = event("completed");

    telemetry.attemptFinished(event);
    await().atMost(Duration.ofSeconds(10)).until(() -> producer.history().size() == 1);
    producer.errorNext(new TimeoutException("no broker"));

    assertThat(telemetry.failures()).isEqualTo(1);
    assertThat(lost).containsExactly(event);
  }

  @Test
  void shouldCountAnEventThatCannotBeSent() {
    producer.sendException = new IllegalStateException("producer closed");

    telemetry.attemptFinished(event("completed"));

    await().atMost(Duration.ofSeconds(10)).until(() -> telemetry.failures() == 1);
    assertThat(lost).hasSize(1);
  }

  @Test
  void shouldConfigureAnIdempotentProducerWaitingForAllReplicas() {
    WorkerConfig config =
        WorkerConfig.builder()
            .controlPlaneUrl("http://127.0.0.1:1")
            .kafkaBootstrapServers("127.0.0.1:9092")
            .workerId("w")
            .webhookSecret(
                dev.ferry.model.webhook.WebhookSecret.generate(new java.security.SecureRandom()))
            .kafkaProperty("security.protocol", "SSL")
            .kafkaProperty("max.poll.records", "7") // a consumer setting: not for the producer
            .build();

    var props = KafkaAttemptTelemetry.producerProperties(config);

    assertThat(props)
        .containsEntry(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true)
        .containsEntry(ProducerConfig.ACKS_CONFIG, "all")
        .containsEntry(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, "127.0.0.1:9092")
        .containsEntry("security.protocol", "SSL")
        .doesNotContainKey("max.poll.records");
  }
}
