package dev.ferry.telemetry.streams;

import static dev.ferry.telemetry.Facts.TENANT;
import static dev.ferry.telemetry.Facts.fact;
import static org.assertj.core.api.Assertions.assertThat;

import dev.ferry.telemetry.Facts;
import dev.ferry.telemetry.aggregate.LinkKey;
import dev.ferry.telemetry.aggregate.LinkStats;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.processor.api.MockProcessorContext;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.Stores;
import org.apache.kafka.streams.test.TestRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The write-behind stores keep the topology's results exactly what writing every fact through gave:
 * what is committed (the changelog a restore reads) equals the per-fact result, and deferred values
 * that never reached a commit are dropped. A real restart on a real broker under {@code
 * exactly_once_v2} (nothing lost, nothing counted twice) is {@code TelemetryServiceIT}'s: the test
 * driver wipes its state directory on close, so it cannot restart.
 */
class WriteBehindStoreTest {
  private static final Instant T0 = Instant.parse("2026-03-01T10:00:00Z");
  private static final LinkKey AB = new LinkKey(TENANT, "SITE_A", "SITE_B");
  private static final LinkKey AC = new LinkKey(TENANT, "SITE_A", "SITE_C");
  private static final String APP = "telemetry-wb-test";

  @TempDir Path stateDir;

  private TopologyTestDriver driver;
  private TestInputTopic<String, byte[]> transfers;

  private void start() {
    Properties p = new Properties();
    p.put(StreamsConfig.APPLICATION_ID_CONFIG, APP);
    p.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "unused:9092");
    p.put(StreamsConfig.STATE_DIR_CONFIG, stateDir.toString());
    p.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.EXACTLY_ONCE_V2);
    driver = new TopologyTestDriver(TransferTopology.build(TransferTopology.Options.defaults()), p);
    transfers =
        driver.createInputTopic(
            TransferTopology.Options.defaults().inputTopic(),
            new StringSerializer(),
            new ByteArraySerializer());
  }

  @AfterEach
  void close() {
    if (driver != null) {
      driver.close();
    }
  }

  private void send(Facts.Builder f) {
    transfers.pipeInput(new TestRecord<>(f.key(), f.json(), Instant.EPOCH));
  }

  /** Twelve distinct facts over two links and every outcome, all in the window at T0. */
  private static List<Facts.Builder> facts(int from, int to) {
    List<Facts.Builder> out = new ArrayList<>();
    for (int i = from; i < to; i++) {
      Facts.Builder f = fact(T0.plusSeconds(i)).id("fact-" + i).file("/f" + i);
      if (i % 2 == 1) {
        f.link("SITE_A", "SITE_C");
      }
      switch (i % 3) {
        case 0 -> f.succeeded(1_000L * (i + 1), 100L * (i + 1));
        case 1 -> f.failed(i % 4 == 1 ? "io" : "auth", i % 4 == 1);
        default -> f.skipped();
      }
      out.add(f);
    }
    return out;
  }

  private static LinkStats expected(List<Facts.Builder> facts, LinkKey link) {
    return LinkStats.of(
        facts.stream().map(Facts.Builder::toFact).filter(f -> f.link().equals(link)).toList());
  }

  /** The last value per link on the totals changelog: what a restore from Kafka would give. */
  private Map<LinkKey, LinkStats> changelog() {
    TestOutputTopic<LinkKey, LinkStats> topic =
        driver.createOutputTopic(
            APP + "-" + TransferTopology.TOTALS_STORE + "-changelog",
            TelemetrySerdes.linkKey().deserializer(),
            TelemetrySerdes.linkStats().deserializer());
    Map<LinkKey, LinkStats> last = new HashMap<>();
    for (KeyValue<LinkKey, LinkStats> kv : topic.readKeyValuesToList()) {
      last.put(kv.key, kv.value);
    }
    return last;
  }

  @Test
  void shouldCommitExactlyThePerFactResultToTheStoresAndTheChangelog() {
    start();
    List<Facts.Builder> facts = facts(0, 12);
    facts.forEach(this::send);
    send(facts.get(3)); // a duplicate delivery

    KeyValueStore<LinkKey, LinkStats> totals =
        driver.getKeyValueStore(TransferTopology.TOTALS_STORE);
    assertThat(totals.get(AB)).isEqualTo(expected(facts, AB));
    assertThat(totals.get(AC)).isEqualTo(expected(facts, AC));
    assertThat(
            driver
                .<LinkKey, LinkStats>getWindowStore(TransferTopology.WINDOWS_STORE)
                .fetch(AB, T0.toEpochMilli()))
        .isEqualTo(expected(facts, AB));
    assertThat(changelog())
        .containsOnlyKeys(AB, AC)
        .containsEntry(AB, expected(facts, AB))
        .containsEntry(AC, expected(facts, AC));
  }

  private static WriteBehindKeyValueStore<String, Long> store(boolean enabled) {
    KeyValueStore<String, Long> inner =
        Stores.keyValueStoreBuilder(
                Stores.inMemoryKeyValueStore("wb"), Serdes.String(), Serdes.Long())
            .withLoggingDisabled()
            .build();
    WriteBehindKeyValueStore<String, Long> store = new WriteBehindKeyValueStore<>(inner, enabled);
    MockProcessorContext<Object, Object> context = new MockProcessorContext<>();
    store.init(context.getStateStoreContext(), store);
    return store;
  }

  @Test
  void shouldWriteDeferredValuesOnlyAtTheFlushBeforeACommit() {
    WriteBehindKeyValueStore<String, Long> store = store(true);
    store.putDeferred("a", 1L);
    store.putDeferred("a", 2L);

    assertThat(store.live("a")).isEqualTo(2L);
    assertThat(store.get("a")).as("not written before the flush").isNull();
    assertThat(store.dirtyCount()).isEqualTo(1);

    store.flushCache();

    assertThat(store.get("a")).isEqualTo(2L);
    assertThat(store.dirtyCount()).isZero();
  }

  @Test
  void shouldDropDeferredValuesWhenTheTaskIsClosedDirtyOrReinitialised() {
    WriteBehindKeyValueStore<String, Long> store = store(true);
    store.putDeferred("a", 1L);
    store.flushCache(); // committed: a = 1
    store.putDeferred("a", 5L); // processed, never committed

    store.clearCache(); // the task closes dirty (the transaction aborts)

    assertThat(store.live("a")).isEqualTo(1L);
    store.flushCache();
    assertThat(store.get("a")).isEqualTo(1L);

    store.putDeferred("b", 7L);
    store.init(new MockProcessorContext<>().getStateStoreContext(), store);
    assertThat(store.live("b")).isNull();
  }

  @Test
  void shouldWriteThroughAtOnceWhenDisabled() {
    WriteBehindKeyValueStore<String, Long> store = store(false);
    store.putDeferred("a", 3L);

    assertThat(store.get("a")).isEqualTo(3L);
    assertThat(store.dirtyCount()).isZero();
  }
}
