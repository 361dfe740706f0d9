package dev.ferry.telemetry;

import static dev.ferry.telemetry.Facts.fact;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.ferry.embedded.EmbeddedKafkaBroker;
import dev.ferry.telemetry.TelemetryService.Status;
import dev.ferry.telemetry.aggregate.LinkKey;
import dev.ferry.telemetry.aggregate.LinkStats;
import dev.ferry.telemetry.aggregate.Outcome;
import dev.ferry.telemetry.query.LinkTotals;
import dev.ferry.telemetry.query.TelemetryUnavailableException;
import dev.ferry.telemetry.streams.TransferTopology;
import dev.ferry.testsupport.EmbeddedKafkaExtension;
import io.prometheus.metrics.expositionformats.OpenMetricsTextFormatWriter;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
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
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The role against the real in-JVM broker: starts before its topics exist, counts distinct facts
 * exactly (duplicates included in the input), exports them, dead-letters garbage, and keeps its
 * totals across a restart without counting anything twice.
 */
@ExtendWith(EmbeddedKafkaExtension.class)
class TelemetryServiceIT {
  private static final Logger log = LoggerFactory.getLogger(TelemetryServiceIT.class);
  private static final Duration DEADLINE = Duration.ofSeconds(90);
  private static final String[] TENANTS = {"tenant-1", "tenant-2"};
  private static final String[][] LINKS = {
    {"SITE_A", "SITE_B"}, {"SITE_B", "SITE_C"}, {"SITE_C", "SITE_A"}
  };

  @TempDir Path stateDir;

  private final String suffix = UUID.randomUUID().toString().substring(0, 8);
  private final String transfers = "ferry.transfers.it-" + suffix;
  private final String deadLetters = "ferry.dead-letter.it-" + suffix;

  private TelemetryService newService(EmbeddedKafkaBroker kafka) {
    return new TelemetryService(
        TelemetryConfig.builder()
            .bootstrapServers(kafka.bootstrapServers())
            .stateDir(stateDir)
            .applicationId("ferry-telemetry-it-" + suffix)
            .topology(
                TransferTopology.Options.defaults()
                    .withInputTopic(transfers)
                    .withDeadLetterTopic(deadLetters))
            .topicPollInterval(Duration.ofMillis(200))
            .build());
  }

  private static KafkaProducer<String, byte[]> producer(EmbeddedKafkaBroker kafka) {
    Map<String, Object> p = new HashMap<>();
    p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
    p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
    p.put(ProducerConfig.ACKS_CONFIG, "all");
    p.put(ProducerConfig.LINGER_MS_CONFIG, 5);
    return new KafkaProducer<>(p, new StringSerializer(), new ByteArraySerializer());
  }

  /** n distinct facts stamped now (older stamps would fall to the 7-day retention). */
  private static List<Facts.Builder> facts(int n, long seed) {
    Random r = new Random(seed);
    Instant now = Instant.now();
    List<Facts.Builder> out = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      String[] link = LINKS[r.nextInt(LINKS.length)];
      Facts.Builder f =
          fact(now.minusMillis(r.nextInt(20_000)))
              .tenant(TENANTS[r.nextInt(TENANTS.length)])
              .link(link[0], link[1])
              .file("/data/file-" + i);
      int k = r.nextInt(10);
      if (k < 7) {
        f.succeeded(1 + r.nextInt(50_000_000), 10 + r.nextInt(60_000));
      } else if (k < 8) {
        f.skipped();
      } else {
        f.failed(r.nextBoolean() ? "io" : "checksum-mismatch", r.nextBoolean());
      }
      out.add(f);
    }
    return out;
  }

  private static Map<LinkKey, LinkStats> expected(List<Facts.Builder> distinct) {
    Map<LinkKey, LinkStats> m = new TreeMap<>();
    for (Facts.Builder f : distinct) {
      var fact = f.toFact();
      m.computeIfAbsent(fact.link(), k -> new LinkStats()).add(fact);
    }
    return m;
  }

  private static void send(KafkaProducer<String, byte[]> p, String topic, List<Facts.Builder> fs) {
    for (Facts.Builder f : fs) {
      p.send(new ProducerRecord<>(topic, f.key(), f.json()));
    }
    p.flush();
  }

  private static Map<LinkKey, LinkStats> totals(TelemetryService s) {
    try {
      Map<LinkKey, LinkStats> m = new TreeMap<>();
      for (LinkTotals t : s.queries().links()) {
        m.put(t.link(), t.stats());
      }
      return m;
    } catch (TelemetryUnavailableException e) {
      return Map.of();
    }
  }

  private static String scrape(TelemetryService s) throws IOException {
    PrometheusRegistry registry = new PrometheusRegistry();
    registry.register(s.metricsCollector());
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    OpenMetricsTextFormatWriter.create().write(out, registry.scrape());
    return out.toString(StandardCharsets.UTF_8);
  }

  @Test
  void shouldCountDistinctFactsExactlyAndExportThem(EmbeddedKafkaBroker kafka) throws Exception {
    List<Facts.Builder> first = facts(3_000, 1);
    Map<LinkKey, LinkStats> expected = expected(first);

    long t0 = System.nanoTime();
    try (TelemetryService service = newService(kafka);
        KafkaProducer<String, byte[]> producer = producer(kafka)) {
      service.start();
      // the control plane has not created the topics yet: the role waits, it does not fail
      await().atMost(DEADLINE).until(() -> service.status() == Status.WAITING_FOR_TOPICS);
      assertThat(scrape(service)).isEqualTo("# EOF\n");

      kafka.createTopics(Map.of(transfers, 3, deadLetters, 1));
      send(producer, transfers, first);
      send(producer, transfers, first.subList(0, 500)); // the relay re-sent 500 after a "crash"
      producer.send(
          new ProducerRecord<>(
              transfers, "SITE_A->SITE_B", "garbage".getBytes(StandardCharsets.UTF_8)));
      producer.flush();

      await().atMost(DEADLINE).until(() -> totals(service).equals(expected));
      long millis = (System.nanoTime() - t0) / 1_000_000;
      log.info("3,000 distinct facts (+500 duplicates) aggregated {} ms after start", millis);
      assertThat(service.status()).isEqualTo(Status.RUNNING);

      String text = scrape(service);
      LinkKey ab = new LinkKey("tenant-1", "SITE_A", "SITE_B");
      LinkStats abStats = expected.get(ab);
      String labels =
          "dst_site=\"SITE_B\",outcome=\"succeeded\",src_site=\"SITE_A\",tenant=\"tenant-1\"";
      assertThat(text)
          .contains(
              "ferry_transfers_total{"
                  + labels
                  + "} "
                  + (double) abStats.count(Outcome.SUCCEEDED)
                  + "\n")
          .contains(
              "ferry_transfer_bytes_total{dst_site=\"SITE_B\",src_site=\"SITE_A\",tenant=\"tenant-1\"} "
                  + (double) abStats.bytes()
                  + "\n")
          .contains(
              "ferry_transfer_duration_seconds_count{dst_site=\"SITE_B\",src_site=\"SITE_A\",tenant=\"tenant-1\"} "
                  + abStats.count(Outcome.SUCCEEDED)
                  + "\n")
          .contains(
              "ferry_site_last_transfer_timestamp_seconds{site=\"SITE_A\",tenant=\"tenant-1\"}");
      long exported =
          text.lines()
              .filter(l -> l.startsWith("ferry_transfers_total{"))
              .mapToLong(l -> (long) Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1)))
              .sum();
      assertThat(exported).isEqualTo(first.size());

      List<ConsumerRecord<String, byte[]>> dead = readAll(kafka, deadLetters, 1);
      assertThat(new String(dead.get(0).value(), StandardCharsets.UTF_8)).isEqualTo("garbage");
    }

    // restart on the same state: nothing is counted twice, new facts and re-sent old ones dedupe
    List<Facts.Builder> second = facts(500, 2);
    second.forEach(
        f -> expected(List.of(f)).forEach((k, v) -> expected.merge(k, v, LinkStats::merge)));
    try (TelemetryService service = newService(kafka);
        KafkaProducer<String, byte[]> producer = producer(kafka)) {
      service.start();
      send(producer, transfers, second);
      send(producer, transfers, first.subList(1_000, 1_200));
      await().atMost(DEADLINE).until(() -> totals(service).equals(expected));
      assertThat(totals(service).values().stream().mapToLong(LinkStats::transfers).sum())
          .isEqualTo(3_500);
    }
  }

  private static List<ConsumerRecord<String, byte[]>> readAll(
      EmbeddedKafkaBroker kafka, String topic, int expected) {
    Map<String, Object> c = new HashMap<>();
    c.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
    c.put(ConsumerConfig.GROUP_ID_CONFIG, "it-reader-" + UUID.randomUUID());
    c.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    c.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    List<ConsumerRecord<String, byte[]>> out = new ArrayList<>();
    try (KafkaConsumer<String, byte[]> consumer =
        new KafkaConsumer<>(c, new StringDeserializer(), new ByteArrayDeserializer())) {
      consumer.subscribe(List.of(topic));
      long deadline = System.nanoTime() + DEADLINE.toNanos();
      while (out.size() < expected && System.nanoTime() < deadline) {
        consumer.poll(Duration.ofMillis(500)).forEach(out::add);
      }
    }
    assertThat(out).hasSize(expected);
    return out;
  }
}
