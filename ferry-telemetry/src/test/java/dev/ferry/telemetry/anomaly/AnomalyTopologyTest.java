package dev.ferry.telemetry.anomaly;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ferry.model.Json;
import dev.ferry.model.event.Envelope;
import dev.ferry.telemetry.aggregate.LinkKey;
import dev.ferry.testsupport.SettableClock;
import io.prometheus.metrics.expositionformats.OpenMetricsTextFormatWriter;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Properties;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.state.ReadOnlyKeyValueStore;
import org.apache.kafka.streams.state.ReadOnlyWindowStore;
import org.apache.kafka.streams.test.TestRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The anomaly sub-topology with {@code TopologyTestDriver}: windows in, anomalies out. */
class AnomalyTopologyTest {
  private static final String TENANT = "tenant-1";
  private static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");
  private static final Duration WINDOW = Duration.ofSeconds(10);

  @TempDir Path stateDir;
  private final SettableClock clock = new SettableClock(T0);
  private TopologyTestDriver driver;
  private TestInputTopic<String, byte[]> windows;
  private TestOutputTopic<String, byte[]> anomalies;
  private TestOutputTopic<String, byte[]> deadLetters;
  private LocalAnomalyQueries queries;

  @BeforeEach
  void start() {
    AnomalyTopology.Options options =
        AnomalyTopology.Options.of(AnomalyOptions.defaults()).withClock(clock);
    Properties p = new Properties();
    p.put(StreamsConfig.APPLICATION_ID_CONFIG, "anomaly-test");
    p.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "unused:9092");
    p.put(StreamsConfig.STATE_DIR_CONFIG, stateDir.toString());
    p.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.EXACTLY_ONCE_V2);
    driver = new TopologyTestDriver(AnomalyTopology.addTo(new Topology(), options), p);
    windows =
        driver.createInputTopic(
            options.linkStatsTopic(), new StringSerializer(), new ByteArraySerializer());
    anomalies =
        driver.createOutputTopic(
            options.anomaliesTopic(), new StringDeserializer(), new ByteArrayDeserializer());
    deadLetters =
        driver.createOutputTopic(
            options.deadLetterTopic(), new StringDeserializer(), new ByteArrayDeserializer());
    queries =
        new LocalAnomalyQueries(
            new LocalAnomalyQueries.Stores() {
              @Override
              public ReadOnlyWindowStore<LinkKey, Anomaly> anomalies() {
                return driver.getWindowStore(AnomalyTopology.ANOMALIES_STORE);
              }

              @Override
              public ReadOnlyKeyValueStore<LinkKey, LinkScore> latest() {
                return driver.getKeyValueStore(AnomalyTopology.LATEST_STORE);
              }
            });
  }

  @AfterEach
  void close() {
    driver.close();
  }

  private void send(Workload w, int i, String src, String dst) {
    Instant start = T0.plus(WINDOW.multipliedBy(i));
    Envelope e = w.summary(i, TENANT, src, dst, start, WINDOW).toEnvelope();
    clock.set(start.plus(WINDOW).plusSeconds(5));
    windows.pipeInput(
        new TestRecord<>(src + "->" + dst, Json.mapper().writeValueAsBytes(e), Instant.EPOCH));
  }

  private LinkScore score(String src, String dst) {
    return queries.scores().stream()
        .filter(s -> s.link().sourceSite().equals(src) && s.link().destinationSite().equals(dst))
        .findFirst()
        .orElseThrow();
  }

  private static AnomalyQuery all() {
    return new AnomalyQuery(TENANT, null, null, T0, T0.plus(Duration.ofDays(1)), 100);
  }

  @Test
  void shouldWarmUpThenFlagASlowLinkAndPublishTheAnomaly() throws IOException {
    Workload slow = Workload.healthy(21, 0).slow(20, 5);
    for (int i = 0; i < 12; i++) {
      send(slow, i, "A", "B");
    }
    assertThat(score("A", "B").warmingUp()).isTrue();
    assertThat(score("A", "B").windowsSeen()).isEqualTo(12);
    for (int i = 12; i < 20; i++) {
      send(slow, i, "A", "B");
    }
    assertThat(anomalies.isEmpty()).isTrue();
    for (int i = 20; i < 23; i++) {
      send(slow, i, "A", "B");
    }
    List<TestRecord<String, byte[]>> out = anomalies.readRecordsToList();
    assertThat(out).isNotEmpty();
    TestRecord<String, byte[]> first = out.get(0);
    assertThat(first.key()).isEqualTo("A->B");
    Envelope e = Json.mapper().readValue(first.value(), Envelope.class);
    assertThat(e.type()).isEqualTo(Anomaly.TYPE);
    assertThat(e.dataschema()).isEqualTo(Anomaly.SCHEMA_V1);
    assertThat(e.tenant()).isEqualTo(TENANT);
    Anomaly a = Json.mapper().treeToValue(e.data(), Anomaly.class);
    assertThat(a.id()).isEqualTo(e.id());
    assertThat(a.windowStart())
        .isBetween(T0.plus(WINDOW.multipliedBy(20)), T0.plus(WINDOW.multipliedBy(22)));
    assertThat(a.windowEnd()).isEqualTo(a.windowStart().plus(WINDOW));
    assertThat(a.feature()).isIn("throughputBytesPerSecond", "p95DurationSeconds");
    assertThat(a.detectedAt()).isEqualTo(a.windowEnd().plusSeconds(5));
    assertThat(first.timestamp()).isEqualTo(a.windowEnd().toEpochMilli());

    List<Anomaly> published = new java.util.ArrayList<>();
    for (TestRecord<String, byte[]> r : out) {
      Envelope env = Json.mapper().readValue(r.value(), Envelope.class);
      published.add(0, Json.mapper().treeToValue(env.data(), Anomaly.class));
    }
    assertThat(queries.anomalies(all())).containsExactlyElementsOf(published).endsWith(a);
    LinkScore s = score("A", "B");
    assertThat(s.warmingUp()).isFalse();
    assertThat(s.windowsSeen()).isEqualTo(23);
    assertThat(s.anomaliesTotal()).isEqualTo(out.size());
    assertThat(s.recentScores()).hasSize(11);

    String metrics = scrape();
    assertThat(metrics)
        .contains("ferry_link_anomaly_score{dst_site=\"B\",src_site=\"A\",tenant=\"tenant-1\"} ")
        .contains(
            "ferry_link_anomalies_total{dst_site=\"B\",src_site=\"A\",tenant=\"tenant-1\"} "
                + out.size())
        .contains("ferry_site_anomaly_throughput_correlation{site=\"A\",tenant=\"tenant-1\"} ");
  }

  @Test
  void shouldIgnoreARedeliveredWindow() {
    Workload w = Workload.healthy(22, 1);
    for (int i = 0; i < 15; i++) {
      send(w, i, "A", "B");
    }
    LinkScore before = score("A", "B");
    Workload again = Workload.healthy(22, 1);
    send(again, 3, "A", "B"); // an old window, delivered again after a crash
    assertThat(score("A", "B")).isEqualTo(before);
  }

  @Test
  void shouldFilterAnomaliesByLinkAndTimeNewestFirst() {
    Workload ab = Workload.healthy(23, 2).failing(20, 0.5);
    Workload cd = Workload.healthy(24, 3).failing(20, 0.5);
    for (int i = 0; i < 26; i++) {
      send(ab, i, "A", "B");
      send(cd, i, "C", "D");
    }
    List<Anomaly> every = queries.anomalies(all());
    assertThat(every).extracting(Anomaly::srcSite).contains("A", "C");
    assertThat(every)
        .extracting(Anomaly::windowStart)
        .isSortedAccordingTo(java.util.Comparator.reverseOrder());
    List<Anomaly> ab2 =
        queries.anomalies(new AnomalyQuery(TENANT, "A", "B", T0, T0.plus(Duration.ofDays(1)), 100));
    assertThat(ab2).isNotEmpty().allMatch(a -> a.srcSite().equals("A") && a.dstSite().equals("B"));
    assertThat(
            queries.anomalies(
                new AnomalyQuery(TENANT, "A", null, T0, T0.plus(Duration.ofDays(1)), 1)))
        .hasSize(1);
    assertThat(
            queries.anomalies(
                new AnomalyQuery("other", null, null, T0, T0.plus(Duration.ofDays(1)), 100)))
        .isEmpty();
    Instant firstStart = every.get(every.size() - 1).windowStart();
    assertThat(queries.anomalies(new AnomalyQuery(TENANT, null, null, T0, firstStart, 100)))
        .isEmpty();
  }

  @Test
  void shouldDeadLetterWhatIsNotAWindow() {
    windows.pipeInput("A->B", "not json".getBytes(StandardCharsets.UTF_8));
    TestRecord<String, byte[]> dead = deadLetters.readRecord();
    assertThat(
            new String(dead.headers().lastHeader("ferry-reason").value(), StandardCharsets.UTF_8))
        .startsWith("not a window summary");
    assertThat(
            new String(dead.headers().lastHeader("ferry-consumer").value(), StandardCharsets.UTF_8))
        .isEqualTo(AnomalyTopology.CONSUMER);
    assertThat(queries.scores()).isEmpty();
  }

  private String scrape() throws IOException {
    PrometheusRegistry registry = new PrometheusRegistry();
    registry.register(new AnomalyMetricsCollector(queries));
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    OpenMetricsTextFormatWriter.create().write(out, registry.scrape());
    return out.toString(StandardCharsets.UTF_8);
  }
}
