package dev.ferry.embedded;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class EmbeddedKafkaBrokerTest {
  private static final String TOPIC = "ferry.test.events";
  private static final Duration DEADLINE = Duration.ofSeconds(30);

  @TempDir Path dir;

  @Test
  void shouldKeepTopicsRecordsAndCommittedOffsetsAcrossRestartEvenIfControllerPortMoves()
      throws Exception {
    int controllerPort;
    String bootstrap;
    long t0 = System.nanoTime();
    try (EmbeddedKafkaBroker kafka = EmbeddedKafkaBroker.start(dir)) {
      report("Kafka cold start (format + start)", t0);
      controllerPort = kafka.controllerPort();
      bootstrap = kafka.bootstrapServers();
      kafka.createTopics(Map.of(TOPIC, 2));
      kafka.createTopics(Map.of(TOPIC, 2)); // existing topics are skipped

      long t1 = System.nanoTime();
      try (KafkaProducer<String, String> producer = producer(bootstrap, null)) {
        producer.send(new ProducerRecord<>(TOPIC, "a", "idempotent")).get();
      }
      try (KafkaProducer<String, String> producer = producer(bootstrap, "ferry-test-tx")) {
        producer.initTransactions();
        producer.beginTransaction();
        producer.send(new ProducerRecord<>(TOPIC, "b", "transactional"));
        producer.commitTransaction();
      }
      report("idempotent send + transaction commit", t1);

      try (KafkaConsumer<String, String> consumer = consumer(bootstrap, "ferry-group")) {
        assertThat(pollUntil(consumer, 2)).containsExactlyInAnyOrder("idempotent", "transactional");
        consumer.commitSync();
      }
    }

    // Another process took the controller port meanwhile: the broker moves to a new one.
    t0 = System.nanoTime();
    try (ServerSocket squatter =
            new ServerSocket(controllerPort, 1, InetAddress.getLoopbackAddress());
        EmbeddedKafkaBroker kafka = EmbeddedKafkaBroker.start(dir)) {
      report("Kafka warm start (same dir)", t0);
      assertThat(kafka.controllerPort()).isNotEqualTo(controllerPort);
      assertThat(kafka.bootstrapServers()).isEqualTo(bootstrap);
      try (Admin admin =
          Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap))) {
        assertThat(admin.listTopics().names().get()).contains(TOPIC);
        Map<TopicPartition, OffsetAndMetadata> committed =
            admin.listConsumerGroupOffsets("ferry-group").partitionsToOffsetAndMetadata().get();
        // two records plus the transaction's commit marker
        assertThat(committed.values().stream().mapToLong(OffsetAndMetadata::offset).sum())
            .isEqualTo(3);
      }
      try (KafkaProducer<String, String> producer = producer(bootstrap, "ferry-test-tx")) {
        producer.initTransactions();
        producer.beginTransaction();
        producer.send(new ProducerRecord<>(TOPIC, "c", "after restart"));
        producer.commitTransaction();
      }
      try (KafkaConsumer<String, String> consumer = consumer(bootstrap, "ferry-group")) {
        assertThat(pollUntil(consumer, 1)).containsExactly("after restart");
      }
      try (KafkaConsumer<String, String> consumer = consumer(bootstrap, "fresh-group")) {
        assertThat(pollUntil(consumer, 3))
            .containsExactlyInAnyOrder("idempotent", "transactional", "after restart");
      }
    }
  }

  @Test
  void temporaryBrokerDeletesItsDirectoryOnClose() {
    Path dataDir;
    try (EmbeddedKafkaBroker kafka = EmbeddedKafkaBroker.startTemporary()) {
      dataDir = kafka.dataDir();
      assertThat(kafka.isTemporary()).isTrue();
      assertThat(dataDir.resolve(EmbeddedKafkaBroker.LOG_DIR).resolve("meta.properties"))
          .isRegularFile();
    }
    assertThat(dataDir).doesNotExist();
  }

  private static KafkaProducer<String, String> producer(String bootstrap, String transactionalId) {
    Map<String, Object> config =
        new HashMap<>(
            Map.of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG,
                bootstrap,
                ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG,
                true,
                ProducerConfig.ACKS_CONFIG,
                "all",
                ProducerConfig.MAX_BLOCK_MS_CONFIG,
                30_000));
    if (transactionalId != null) {
      config.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, transactionalId);
    }
    return new KafkaProducer<>(config, new StringSerializer(), new StringSerializer());
  }

  private static KafkaConsumer<String, String> consumer(String bootstrap, String group) {
    return new KafkaConsumer<>(
        Map.of(
            ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG,
            bootstrap,
            ConsumerConfig.GROUP_ID_CONFIG,
            group,
            ConsumerConfig.AUTO_OFFSET_RESET_CONFIG,
            "earliest",
            ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG,
            false,
            ConsumerConfig.ISOLATION_LEVEL_CONFIG,
            "read_committed"),
        new StringDeserializer(),
        new StringDeserializer());
  }

  /** Polls until {@code expected} values arrived or the deadline passed; returns what came. */
  private static List<String> pollUntil(KafkaConsumer<String, String> consumer, int expected) {
    consumer.subscribe(Set.of(TOPIC));
    List<String> values = new ArrayList<>();
    long deadline = System.nanoTime() + DEADLINE.toNanos();
    while (values.size() < expected && System.nanoTime() < deadline) {
      for (ConsumerRecord<String, String> r : consumer.poll(Duration.ofMillis(200))) {
        values.add(r.value());
      }
    }
    // one more short poll so that an unexpected extra record would show up in the assertion
    consumer.poll(Duration.ofMillis(100)).forEach(r -> values.add(r.value()));
    return values;
  }

  private static void report(String what, long t0) {
    System.out.printf("%s: %d ms%n", what, (System.nanoTime() - t0) / 1_000_000);
  }
}
