package dev.ferry.telemetry;

import static dev.ferry.telemetry.Facts.fact;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.ferry.embedded.EmbeddedKafkaBroker;
import dev.ferry.telemetry.aggregate.LinkKey;
import dev.ferry.telemetry.aggregate.LinkStats;
import dev.ferry.telemetry.metrics.TransferMetricsCollector;
import dev.ferry.telemetry.query.LinkTotals;
import dev.ferry.telemetry.query.TelemetryQueries;
import dev.ferry.telemetry.query.TelemetryUnavailableException;
import dev.ferry.telemetry.query.WindowPoint;
import dev.ferry.telemetry.streams.TransferTopology;
import dev.ferry.testsupport.EmbeddedKafkaExtension;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.prometheus.metrics.model.snapshots.CounterSnapshot;
import io.prometheus.metrics.model.snapshots.MetricSnapshot;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
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
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two telemetry instances of one application on the shared broker, each with its own state
 * directory and peer port, split the partitions; a query on either answers for all of them, and one
 * whose peer cannot be reached refuses to answer rather than answer half.
 */
@ExtendWith(EmbeddedKafkaExtension.class)
class TelemetryClusterIT {
  private static final Duration DEADLINE = Duration.ofSeconds(120);
  private static final String SECRET = "peer-secret-for-the-test-0123456789";

  @TempDir Path tmp;

  private final String suffix = UUID.randomUUID().toString().substring(0, 8);
  private final String transfers = "ferry.transfers.cluster-" + suffix;
  private final String deadLetters = "ferry.dead-letter.cluster-" + suffix;

  private TelemetryService instance(EmbeddedKafkaBroker kafka, String name, int port) {
    return new TelemetryService(
        TelemetryConfig.builder()
            .bootstrapServers(kafka.bootstrapServers())
            .stateDir(tmp.resolve(name))
            .applicationId("ferry-telemetry-cluster-" + suffix)
            .applicationServer("127.0.0.1:" + port)
            .peerSecret(SECRET)
            .topology(
                TransferTopology.Options.defaults()
                    .withInputTopic(transfers)
                    .withDeadLetterTopic(deadLetters))
            .topicPollInterval(Duration.ofMillis(200))
            .build());
  }

  @Test
  void shouldAnswerForEveryPartitionOnEitherInstanceAndRefuseWhenAnOwnerIsUnreachable(
      EmbeddedKafkaBroker kafka) throws Exception {
    kafka.createTopics(Map.of(transfers, 6, deadLetters, 1));
    // 3 tenants x 12 links (every ordered pair of 4 sites): keys spread over the 6 partitions
    String[] sites = {"SITE_A", "SITE_B", "SITE_C", "SITE_D"};
    List<String[]> links = new ArrayList<>();
    for (String s : sites) {
      for (String d : sites) {
        if (!s.equals(d)) {
          links.add(new String[] {s, d});
        }
      }
    }
    Random r = new Random(21);
    Instant now = Instant.now();
    List<Facts.Builder> facts = new ArrayList<>();
    for (int i = 0; i < 600; i++) {
      String[] link = links.get(r.nextInt(links.size()));
      facts.add(
          fact(now.minusMillis(r.nextInt(20_000)))
              .tenant("tenant-" + r.nextInt(3))
              .link(link[0], link[1])
              .file("/f-" + i)
              .succeeded(1 + r.nextInt(1_000_000), 10 + r.nextInt(10_000)));
    }
    Map<LinkKey, LinkStats> expected = new TreeMap<>();
    for (Facts.Builder f : facts) {
      expected.computeIfAbsent(f.toFact().link(), k -> new LinkStats()).add(f.toFact());
    }

    try (TelemetryService a = instance(kafka, "a", freePort());
        TelemetryService b = instance(kafka, "b", freePort());
        KafkaProducer<String, byte[]> producer = producer(kafka)) {
      a.start();
      b.start();
      for (Facts.Builder f : facts) {
        producer.send(new ProducerRecord<>(transfers, f.key(), f.json()));
      }
      producer.flush();

      // Both run, each owns some partitions, and the two halves together are everything.
      await("both instances own partitions and agree on the totals")
          .atMost(DEADLINE)
          .pollInterval(Duration.ofMillis(250))
          .until(() -> totals(a).equals(expected) && totals(b).equals(expected));
      Map<LinkKey, LinkStats> localA = localTotals(a);
      Map<LinkKey, LinkStats> localB = localTotals(b);
      assertThat(localA).as("instance a's own links").isNotEmpty().isNotEqualTo(expected);
      assertThat(localB).as("instance b's own links").isNotEmpty().isNotEqualTo(expected);
      assertThat(localA.size() + localB.size()).isEqualTo(expected.size());

      // Each instance's /metrics exports its own partitions, which is what queries().local()
      // answers (the consistency checker's metrics-vs-stream side), not the cluster totals.
      assertThat(totals(a.queries().local())).isEqualTo(localA);
      assertThat(totals(b.queries().local())).isEqualTo(localB);
      assertThat(exportedTransfers(a)).isEqualTo(transfers(localA)).isLessThan(facts.size());
      assertThat(exportedTransfers(b)).isEqualTo(transfers(localB)).isLessThan(facts.size());
      assertThat(exportedTransfers(a) + exportedTransfers(b)).isEqualTo(facts.size());

      // Windows too: a link owned by the other instance has its series on both.
      LinkKey remote = localB.keySet().iterator().next();
      List<WindowPoint> fromA =
          a.queries().series(remote, now.minusSeconds(3600), now.plusSeconds(60));
      assertThat(fromA.stream().mapToLong(p -> p.stats().transfers()).sum())
          .isEqualTo(expected.get(remote).transfers());
      assertThat(a.queries().link(remote)).map(LinkTotals::stats).contains(expected.get(remote));

      // The peer endpoint wants the secret.
      HttpResponse<String> anonymous =
          HttpClient.newHttpClient()
              .send(
                  HttpRequest.newBuilder(
                          URI.create(
                              "http://"
                                  + b.config().applicationServer()
                                  + "/internal/v1/telemetry/links"))
                      .build(),
                  HttpResponse.BodyHandlers.ofString());
      assertThat(anonymous.statusCode()).isEqualTo(401);
      assertThat(anonymous.headers().firstValue("Content-Type"))
          .contains("application/problem+json");

      // b stops answering its peers while it still owns its partitions: a refuses, naming b.
      b.closePeerServer();
      assertThatThrownBy(() -> a.queries().links())
          .isInstanceOf(TelemetryUnavailableException.class)
          .hasMessageContaining("telemetry instance " + b.config().applicationServer())
          .hasMessageContaining("cannot be reached");
      assertThatThrownBy(() -> a.queries().link(remote))
          .isInstanceOf(TelemetryUnavailableException.class);
      // its own partitions it still exports, as always
      assertThat(localTotals(a)).isEqualTo(localA);
    }
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

  private static Map<LinkKey, LinkStats> totals(TelemetryQueries q) {
    Map<LinkKey, LinkStats> m = new TreeMap<>();
    for (LinkTotals t : q.links()) {
      m.put(t.link(), t.stats());
    }
    return m;
  }

  private static long transfers(Map<LinkKey, LinkStats> totals) {
    return totals.values().stream().mapToLong(LinkStats::transfers).sum();
  }

  /**
   * The sum of {@code ferry_transfers_total} over every series this instance's collector exports.
   */
  private static long exportedTransfers(TelemetryService s) {
    PrometheusRegistry registry = new PrometheusRegistry();
    registry.register(s.metricsCollector());
    double sum = 0;
    for (MetricSnapshot m : registry.scrape()) {
      if (m instanceof CounterSnapshot c
          && c.getMetadata().getName().equals(TransferMetricsCollector.TRANSFERS)) {
        for (CounterSnapshot.CounterDataPointSnapshot p : c.getDataPoints()) {
          sum += p.getValue();
        }
      }
    }
    return (long) sum;
  }

  private static Map<LinkKey, LinkStats> localTotals(TelemetryService s) {
    Map<LinkKey, LinkStats> m = new TreeMap<>();
    for (LinkTotals t : s.localQueries().links()) {
      m.put(t.link(), t.stats());
    }
    return m;
  }

  private static KafkaProducer<String, byte[]> producer(EmbeddedKafkaBroker kafka) {
    Map<String, Object> p = new HashMap<>();
    p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
    p.put(ProducerConfig.ACKS_CONFIG, "all");
    return new KafkaProducer<>(p, new StringSerializer(), new ByteArraySerializer());
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }
}
