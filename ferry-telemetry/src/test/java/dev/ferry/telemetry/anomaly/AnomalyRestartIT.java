package dev.ferry.telemetry.anomaly;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.ferry.embedded.EmbeddedKafkaBroker;
import dev.ferry.model.Json;
import dev.ferry.model.event.Envelope;
import dev.ferry.model.event.Topics;
import dev.ferry.telemetry.TelemetryConfig;
import dev.ferry.telemetry.TelemetryService;
import dev.ferry.telemetry.query.TelemetryUnavailableException;
import dev.ferry.telemetry.streams.TransferTopology;
import dev.ferry.testsupport.EmbeddedKafkaExtension;
import dev.ferry.testsupport.SettableClock;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * Anomaly detection in the telemetry role against the real broker: a link's model learns 20
 * windows, the role stops, and a new instance with an <em>empty</em> state directory (a new pod)
 * restores the model from its changelog and flags the link's slowdown at once, without a second
 * warm-up.
 */
@ExtendWith(EmbeddedKafkaExtension.class)
class AnomalyRestartIT {
  private static final Duration DEADLINE = Duration.ofSeconds(120);
  private static final Duration WINDOW = Duration.ofSeconds(10);

  @TempDir Path firstStateDir;
  @TempDir Path secondStateDir;

  private final String suffix = UUID.randomUUID().toString().substring(0, 8);
  private final String tenant = "tenant-" + suffix;
  private final String transfers = "ferry.transfers.anomaly-it-" + suffix;
  private final String deadLetters = "ferry.dead-letter.anomaly-it-" + suffix;
  private final String linkStats = "ferry.link-stats.anomaly-it-" + suffix;
  private final SettableClock clock = new SettableClock(Instant.now());

  private TelemetryService newService(EmbeddedKafkaBroker kafka, Path stateDir) {
    return new TelemetryService(
        TelemetryConfig.builder()
            .bootstrapServers(kafka.bootstrapServers())
            .stateDir(stateDir)
            .applicationId("ferry-anomaly-it-" + suffix)
            .topology(
                TransferTopology.Options.defaults()
                    .withInputTopic(transfers)
                    .withDeadLetterTopic(deadLetters)
                    .withLinkStatsTopic(linkStats))
            .topicPollInterval(Duration.ofMillis(200))
            .kafkaProperty("commit.interval.ms", "100")
            .build(),
        AnomalyOptions.defaults(),
        clock);
  }

  @Test
  void shouldRememberEachLinksModelAcrossARestartOnAnotherStateDirectory(EmbeddedKafkaBroker kafka)
      throws Exception {
    kafka.createTopics(Map.of(transfers, 3, deadLetters, 1, linkStats, 3, Topics.ANOMALIES, 3));
    // stamped recently: older records would fall to the topics' 7-day retention
    Instant base = Instant.now().minus(Duration.ofHours(1)).truncatedTo(ChronoUnit.MINUTES);
    Workload link = Workload.healthy(77, 0).slow(20, 5);
    List<ProducerRecord<String, byte[]>> windows = new ArrayList<>();
    for (int i = 0; i < 23; i++) {
      Envelope e =
          link.summary(i, tenant, "SITE_A", "SITE_B", base.plus(WINDOW.multipliedBy(i)), WINDOW)
              .toEnvelope();
      windows.add(
          new ProducerRecord<>(linkStats, "SITE_A->SITE_B", Json.mapper().writeValueAsBytes(e)));
    }

    try (TelemetryService first = newService(kafka, firstStateDir);
        KafkaProducer<String, byte[]> producer = producer(kafka)) {
      first.start();
      assertThat(first.awaitRunning(DEADLINE)).isTrue();
      for (int i = 0; i < 20; i++) {
        producer.send(windows.get(i));
      }
      producer.flush();
      LinkScore learnt =
          await("20 windows learnt")
              .atMost(DEADLINE)
              .pollInterval(Duration.ofMillis(200))
              .until(() -> score(first), s -> s.isPresent() && s.get().windowsSeen() == 20)
              .orElseThrow();
      assertThat(learnt.warmingUp()).isFalse();
      assertThat(first.anomalyQueries().anomalies(query())).isEmpty();
    }

    try (TelemetryService second = newService(kafka, secondStateDir);
        KafkaProducer<String, byte[]> producer = producer(kafka)) {
      second.start();
      assertThat(second.awaitRunning(DEADLINE)).isTrue();
      LinkScore restored =
          await("the model restored from its changelog")
              .atMost(DEADLINE)
              .pollInterval(Duration.ofMillis(200))
              .until(() -> score(second), Optional::isPresent)
              .orElseThrow();
      assertThat(restored.windowsSeen()).isEqualTo(20);

      for (int i = 20; i < 23; i++) {
        producer.send(windows.get(i));
      }
      producer.flush();
      List<Anomaly> flagged =
          await("the slowdown flagged")
              .atMost(DEADLINE)
              .pollInterval(Duration.ofMillis(200))
              .until(() -> anomalies(second), l -> !l.isEmpty());
      Anomaly first = flagged.get(flagged.size() - 1);
      assertThat(first.windowStart())
          .isBetween(base.plus(WINDOW.multipliedBy(20)), base.plus(WINDOW.multipliedBy(22)));
      assertThat(first.tenant()).isEqualTo(tenant);
      await("all 23 windows learnt")
          .atMost(DEADLINE)
          .until(() -> score(second), s -> s.isPresent() && s.get().windowsSeen() == 23);

      assertThat(published(kafka)).contains(first.id());
    }
  }

  private AnomalyQuery query() {
    return new AnomalyQuery(
        tenant, "SITE_A", "SITE_B", Instant.EPOCH, Instant.now().plus(Duration.ofDays(1)), 100);
  }

  private List<Anomaly> anomalies(TelemetryService s) {
    try {
      return s.anomalyQueries().anomalies(query());
    } catch (TelemetryUnavailableException e) {
      return List.of();
    }
  }

  private Optional<LinkScore> score(TelemetryService s) {
    try {
      return s.anomalyQueries().scores().stream()
          .filter(l -> l.link().tenant().equals(tenant))
          .findFirst();
    } catch (TelemetryUnavailableException e) {
      return Optional.empty();
    }
  }

  /** Ids of this test's anomalies on {@code ferry.anomalies} (read committed). */
  private List<String> published(EmbeddedKafkaBroker kafka) {
    Map<String, Object> p = new HashMap<>();
    p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
    p.put(ConsumerConfig.GROUP_ID_CONFIG, "anomaly-it-" + suffix);
    p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    List<String> ids = new ArrayList<>();
    try (KafkaConsumer<String, byte[]> c =
        new KafkaConsumer<>(p, new StringDeserializer(), new ByteArrayDeserializer())) {
      c.subscribe(List.of(Topics.ANOMALIES));
      await("anomalies on " + Topics.ANOMALIES)
          .atMost(DEADLINE)
          .until(
              () -> {
                for (ConsumerRecord<String, byte[]> r : c.poll(Duration.ofMillis(200))) {
                  Envelope e = Json.mapper().readValue(r.value(), Envelope.class);
                  if (tenant.equals(e.tenant())) {
                    assertThat(r.key()).isEqualTo("SITE_A->SITE_B");
                    ids.add(e.id());
                  }
                }
                return !ids.isEmpty();
              });
    }
    return ids;
  }

  private static KafkaProducer<String, byte[]> producer(EmbeddedKafkaBroker kafka) {
    Map<String, Object> p = new HashMap<>();
    p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
    p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
    p.put(ProducerConfig.ACKS_CONFIG, "all");
    return new KafkaProducer<>(p, new StringSerializer(), new ByteArraySerializer());
  }
}
