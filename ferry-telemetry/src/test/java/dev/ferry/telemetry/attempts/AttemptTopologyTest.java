package dev.ferry.telemetry.attempts;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ferry.model.Json;
import dev.ferry.model.event.Envelope;
import dev.ferry.model.event.EventTypes;
import dev.ferry.model.event.Topics;
import dev.ferry.telemetry.aggregate.LinkKey;
import io.prometheus.metrics.expositionformats.OpenMetricsTextFormatWriter;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import java.util.UUID;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.test.TestRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The attempt sub-topology with {@code TopologyTestDriver}: envelopes in, totals per link. */
class AttemptTopologyTest {
  private static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");

  @TempDir Path stateDir;
  private TopologyTestDriver driver;
  private TestInputTopic<String, byte[]> attempts;
  private TestOutputTopic<String, byte[]> deadLetters;

  @BeforeEach
  void start() {
    Properties p = new Properties();
    p.put(StreamsConfig.APPLICATION_ID_CONFIG, "attempt-test");
    p.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "unused:9092");
    p.put(StreamsConfig.STATE_DIR_CONFIG, stateDir.toString());
    p.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.EXACTLY_ONCE_V2);
    driver =
        new TopologyTestDriver(
            AttemptTopology.addTo(new Topology(), AttemptTopology.Options.defaults()), p);
    attempts =
        driver.createInputTopic(Topics.ATTEMPTS, new StringSerializer(), new ByteArraySerializer());
    deadLetters =
        driver.createOutputTopic(
            Topics.DEAD_LETTER, new StringDeserializer(), new ByteArrayDeserializer());
  }

  @AfterEach
  void stop() {
    driver.close();
  }

  private static Map<String, Object> data(
      String task, int attempt, String outcome, int filesFailed, String errorClass, long bytes) {
    Map<String, Object> d = new LinkedHashMap<>();
    d.put("taskId", task);
    d.put("jobId", UUID.randomUUID().toString());
    d.put("attempt", attempt);
    d.put("workerId", "w1");
    d.put("sourceSite", "SITE_A");
    d.put("destinationSite", "SITE_B");
    d.put("files", 4);
    d.put("filesSucceeded", 4 - filesFailed);
    d.put("filesFailed", filesFailed);
    d.put("bytesOnWire", bytes);
    d.put("durationMillis", 2500);
    d.put("outcome", outcome);
    d.put("errorClass", errorClass);
    d.put("retryableFailures", filesFailed);
    return d;
  }

  private void send(String tenant, Map<String, Object> data, Instant at) {
    Envelope e =
        new Envelope(
            UUID.randomUUID().toString(),
            "/ferry/worker/w1",
            EventTypes.ATTEMPT_FINISHED,
            Envelope.SPEC_VERSION,
            at,
            tenant,
            (String) data.get("taskId"),
            EventTypes.schemaV1(EventTypes.ATTEMPT_FINISHED),
            Json.mapper().valueToTree(data));
    attempts.pipeInput(new TestRecord<>("SITE_A->SITE_B", Json.mapper().writeValueAsBytes(e), at));
  }

  private Map<LinkKey, AttemptStats> totals() {
    KeyValueStore<LinkKey, AttemptStats> store =
        driver.getKeyValueStore(AttemptTopology.TOTALS_STORE);
    Map<LinkKey, AttemptStats> out = new TreeMap<>();
    try (KeyValueIterator<LinkKey, AttemptStats> it = store.all()) {
      it.forEachRemaining((KeyValue<LinkKey, AttemptStats> kv) -> out.put(kv.key, kv.value));
    }
    return out;
  }

  @Test
  void shouldCountEachAttemptOncePerTenantAndLink() {
    String task = UUID.randomUUID().toString();
    send("t1", data(task, 1, "failed", 2, "checksum-mismatch", 1_000), T0);
    send("t1", data(task, 2, "completed", 0, null, 600), T0.plusSeconds(5));
    // the same attempt again (a resent record with a new envelope id): not counted twice
    send("t1", data(task, 2, "completed", 0, null, 600), T0.plusSeconds(6));
    send("t2", data(UUID.randomUUID().toString(), 1, "completed", 0, null, 42), T0);

    Map<LinkKey, AttemptStats> totals = totals();
    AttemptStats t1 = totals.get(new LinkKey("t1", "SITE_A", "SITE_B"));
    assertThat(t1.attempts()).isEqualTo(2);
    assertThat(t1.attemptsByOutcome()).containsEntry("failed", 1L).containsEntry("completed", 1L);
    assertThat(t1.retries()).isEqualTo(1);
    assertThat(t1.bytesOnWire()).isEqualTo(1_600);
    assertThat(t1.filesFailed()).isEqualTo(2);
    assertThat(t1.failedAttemptsByErrorClass())
        .containsExactlyEntriesOf(Map.of("checksum-mismatch", 1L));
    assertThat(totals.get(new LinkKey("t2", "SITE_A", "SITE_B")).bytesOnWire()).isEqualTo(42);
    assertThat(deadLetters.isEmpty()).isTrue();
  }

  @Test
  void shouldDeadLetterWhatItCannotCountAndIgnoreOtherEventTypes() {
    send(null, data(UUID.randomUUID().toString(), 1, "completed", 0, null, 1), T0);
    send("t1", data(UUID.randomUUID().toString(), 1, "exploded", 0, null, 1), T0);
    attempts.pipeInput(new TestRecord<>("k", "not json".getBytes(StandardCharsets.UTF_8), T0));
    Envelope other =
        new Envelope(
            "x", "/ferry/worker/w1", "dev.ferry.something.else", "1.0", T0, "t1", null, null, null);
    attempts.pipeInput(new TestRecord<>("k", Json.mapper().writeValueAsBytes(other), T0));

    assertThat(totals()).isEmpty();
    assertThat(deadLetters.readRecordsToList())
        .extracting(
            r -> new String(r.headers().lastHeader("ferry-reason").value(), StandardCharsets.UTF_8))
        .hasSize(3)
        .anySatisfy(reason -> assertThat(reason).contains("no tenant"))
        .anySatisfy(reason -> assertThat(reason).contains("unknown outcome exploded"))
        .anySatisfy(reason -> assertThat(reason).contains("not an envelope"));
  }

  @Test
  void shouldExportTheTotalsAsPrometheusCounters() throws IOException {
    String task = UUID.randomUUID().toString();
    send("t1", data(task, 1, "failed", 1, "io", 2_048), T0);
    send("t1", data(task, 2, "completed", 0, null, 1_024), T0.plusSeconds(1));

    PrometheusRegistry registry = new PrometheusRegistry();
    registry.register(new AttemptMetricsCollector(this::totals));
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    OpenMetricsTextFormatWriter.create().write(out, registry.scrape());
    String text = out.toString(StandardCharsets.UTF_8);

    String link = "dst_site=\"SITE_B\",src_site=\"SITE_A\",tenant=\"t1\"";
    assertThat(text)
        .contains(
            "ferry_attempts_total{" + link.replace(",src", ",outcome=\"completed\",src") + "} 1.0")
        .contains(
            "ferry_attempts_total{" + link.replace(",src", ",outcome=\"failed\",src") + "} 1.0")
        .contains(
            "ferry_attempts_total{" + link.replace(",src", ",outcome=\"abandoned\",src") + "} 0.0")
        .contains("ferry_attempt_retries_total{" + link + "} 1.0")
        .contains("ferry_attempt_wire_bytes_total{" + link + "} 3072.0")
        .contains("ferry_attempt_seconds_total{" + link + "} 5.0")
        .contains(
            "ferry_attempt_failures_total{dst_site=\"SITE_B\",error_class=\"io\",src_site=\"SITE_A\",tenant=\"t1\"} 1.0");
  }
}
