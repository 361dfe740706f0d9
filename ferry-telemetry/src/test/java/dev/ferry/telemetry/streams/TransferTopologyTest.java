package dev.ferry.telemetry.streams;

import static dev.ferry.telemetry.Facts.TENANT;
import static dev.ferry.telemetry.Facts.fact;
import static org.assertj.core.api.Assertions.assertThat;

import dev.ferry.model.Json;
import dev.ferry.model.event.Envelope;
import dev.ferry.telemetry.Facts;
import dev.ferry.telemetry.aggregate.LinkKey;
import dev.ferry.telemetry.aggregate.LinkStats;
import dev.ferry.telemetry.aggregate.Outcome;
import dev.ferry.telemetry.query.LinkTotals;
import dev.ferry.telemetry.query.LocalStoreQueries;
import dev.ferry.telemetry.query.SiteFreshness;
import dev.ferry.telemetry.query.WindowPoint;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.state.ReadOnlyKeyValueStore;
import org.apache.kafka.streams.state.ReadOnlyWindowStore;
import org.apache.kafka.streams.test.TestRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The topology's logic with explicit event times. Windows are [T0, T0+1m), [T0+1m, T0+2m), …; a
 * window closes when stream time reaches its end + 30 s.
 */
class TransferTopologyTest {
  private static final Instant T0 = Instant.parse("2026-03-01T10:00:00Z");
  private static final LinkKey AB = new LinkKey(TENANT, "SITE_A", "SITE_B");
  private static final LinkKey AC = new LinkKey(TENANT, "SITE_A", "SITE_C");
  private static final String LINK_STATS = "ferry.link-stats";

  @TempDir Path stateDir;

  private final List<ClosedWindow> closed = new ArrayList<>();
  private TopologyTestDriver driver;
  private TestInputTopic<String, byte[]> transfers;
  private TestOutputTopic<String, byte[]> deadLetters;
  private LocalStoreQueries queries;

  private void start(TransferTopology.Options options) {
    Properties p = new Properties();
    p.put(StreamsConfig.APPLICATION_ID_CONFIG, "telemetry-test");
    p.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "unused:9092");
    p.put(StreamsConfig.STATE_DIR_CONFIG, stateDir.toString());
    p.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.EXACTLY_ONCE_V2);
    driver =
        new TopologyTestDriver(TransferTopology.build(options.withWindowListener(closed::add)), p);
    transfers =
        driver.createInputTopic(
            options.inputTopic(), new StringSerializer(), new ByteArraySerializer());
    deadLetters =
        driver.createOutputTopic(
            options.deadLetterTopic(), new StringDeserializer(), new ByteArrayDeserializer());
    queries =
        new LocalStoreQueries(
            new LocalStoreQueries.Stores() {
              @Override
              public ReadOnlyKeyValueStore<LinkKey, LinkStats> totals() {
                return driver.getKeyValueStore(TransferTopology.TOTALS_STORE);
              }

              @Override
              public ReadOnlyWindowStore<LinkKey, LinkStats> windows() {
                return driver.getWindowStore(TransferTopology.WINDOWS_STORE);
              }

              @Override
              public ReadOnlyKeyValueStore<LinkKey, Long> late() {
                return driver.getKeyValueStore(TransferTopology.LATE_STORE);
              }
            },
            options.windowSize());
  }

  private void start() {
    start(TransferTopology.Options.defaults());
  }

  @AfterEach
  void close() {
    if (driver != null) {
      driver.close();
    }
  }

  /**
   * Pipes a fact. The Kafka record timestamp is deliberately unrelated (the epoch): event time must
   * come from the envelope.
   */
  private Facts.Builder send(Facts.Builder f) {
    transfers.pipeInput(new TestRecord<>(f.key(), f.json(), Instant.EPOCH));
    return f;
  }

  private LinkStats totals(LinkKey link) {
    return queries.link(link).orElseThrow().stats();
  }

  private List<WindowPoint> windows(LinkKey link) {
    return queries.series(link, T0.minus(Duration.ofHours(1)), T0.plus(Duration.ofHours(1)));
  }

  @Test
  void shouldCountADuplicateDeliveryOnce() {
    start();
    Facts.Builder f = fact(T0.plusSeconds(10)).succeeded(1_000, 500);

    send(f);
    send(f); // the relay re-sent it after a crash
    send(fact(T0.plusSeconds(20)).succeeded(2_000, 500));
    send(f);

    assertThat(totals(AB).count(Outcome.SUCCEEDED)).isEqualTo(2);
    assertThat(totals(AB).bytes()).isEqualTo(3_000);
    assertThat(windows(AB))
        .singleElement()
        .satisfies(w -> assertThat(w.stats().transfers()).isEqualTo(2));
  }

  @Test
  void shouldCountARetriedFileAsOneFailedAndOneSucceededFact() {
    start();
    send(fact(T0.plusSeconds(1)).file("/x").attempt(1).failed("io", true));
    send(fact(T0.plusSeconds(9)).file("/x").attempt(2).succeeded(42, 100));

    LinkStats s = totals(AB);
    assertThat(s.count(Outcome.FAILED)).isEqualTo(1);
    assertThat(s.count(Outcome.SUCCEEDED)).isEqualTo(1);
    assertThat(s.retryableFailures()).isEqualTo(1);
    assertThat(s.failuresByErrorClass()).containsEntry("io", 1L);
  }

  @Test
  void shouldUseTheEnvelopeTimeForWindows() {
    start();
    send(fact(T0.plusSeconds(59)));
    send(fact(T0.plusSeconds(60)));

    assertThat(windows(AB))
        .extracting(WindowPoint::start, WindowPoint::end)
        .containsExactly(
            org.assertj.core.groups.Tuple.tuple(T0, T0.plusSeconds(60)),
            org.assertj.core.groups.Tuple.tuple(T0.plusSeconds(60), T0.plusSeconds(120)));
  }

  @Test
  void shouldUseAConfiguredWindowSizeAndGrace() {
    start(
        TransferTopology.Options.defaults()
            .withWindow(Duration.ofSeconds(10), Duration.ofSeconds(3)));
    send(fact(T0.plusSeconds(1)).succeeded(1, 10));
    send(fact(T0.plusSeconds(9)).succeeded(2, 10));
    send(fact(T0.plusSeconds(11)).succeeded(4, 10)); // window [10s, 20s)
    send(fact(T0.plusSeconds(8)).succeeded(8, 10)); // stream time 11 s: [0, 10s) open until 13 s
    assertThat(closed).isEmpty();
    send(fact(T0.plusSeconds(13)).succeeded(16, 10)); // stream time 13 s closes [0, 10s)
    send(fact(T0.plusSeconds(5)).succeeded(32, 10)); // late

    assertThat(windows(AB))
        .extracting(WindowPoint::start, WindowPoint::end, p -> p.stats().bytes())
        .containsExactly(
            org.assertj.core.groups.Tuple.tuple(T0, T0.plusSeconds(10), 11L),
            org.assertj.core.groups.Tuple.tuple(T0.plusSeconds(10), T0.plusSeconds(20), 20L));
    assertThat(closed)
        .singleElement()
        .satisfies(
            c -> {
              assertThat(c.start()).isEqualTo(T0);
              assertThat(c.end()).isEqualTo(T0.plusSeconds(10));
              assertThat(c.stats().bytes()).isEqualTo(11);
            });
    LinkTotals t = queries.link(AB).orElseThrow();
    assertThat(t.stats().bytes()).isEqualTo(63);
    assertThat(t.lateFacts()).isEqualTo(1);
  }

  @Test
  void shouldAddOutOfOrderFactsWithinGraceToTheirWindow() {
    start();
    send(fact(T0.plusSeconds(70))); // window 2; stream time T0+70s
    send(fact(T0.plusSeconds(30))); // window 1, older, but window 1 closes only at T0+90s
    send(fact(T0.plusSeconds(89)).succeeded(7, 10)); // stream time T0+89s: window 1 still open
    send(fact(T0.plusSeconds(5))); // still in grace

    List<WindowPoint> w = windows(AB);
    assertThat(w).hasSize(2);
    assertThat(w.get(0).start()).isEqualTo(T0);
    assertThat(w.get(0).stats().transfers()).isEqualTo(2);
    assertThat(w.get(1).stats().transfers()).isEqualTo(2);
    assertThat(queries.link(AB).orElseThrow().lateFacts()).isZero();
    assertThat(closed).isEmpty();
  }

  @Test
  void shouldKeepLateFactsOutOfClosedWindowsButCountThemInTotals() {
    start();
    send(fact(T0.plusSeconds(10)).succeeded(100, 1_000));
    send(fact(T0.plusSeconds(90)).succeeded(200, 1_000)); // stream time T0+90s closes window 1
    send(fact(T0.plusSeconds(20)).succeeded(400, 1_000)); // late: its window has closed

    List<WindowPoint> w = windows(AB);
    assertThat(w).hasSize(2);
    assertThat(w.get(0).stats().bytes()).isEqualTo(100);
    assertThat(w.get(1).stats().bytes()).isEqualTo(200);

    LinkTotals t = queries.link(AB).orElseThrow();
    assertThat(t.stats().bytes()).isEqualTo(700);
    assertThat(t.stats().transfers()).isEqualTo(3);
    assertThat(t.lateFacts()).isEqualTo(1);
    // windows + late = totals, the invariant the consistency checker can rely on
    long inWindows = w.stream().mapToLong(p -> p.stats().transfers()).sum();
    assertThat(inWindows + t.lateFacts()).isEqualTo(t.stats().transfers());
  }

  @Test
  void shouldCloseAWindowOnceWhenStreamTimeReachesItsEndPlusGrace() {
    start();
    send(fact(T0.plusSeconds(10)).succeeded(100, 1_000));
    send(fact(T0.plusSeconds(50)).link("SITE_A", "SITE_C").failed("io", false));
    send(fact(T0.plusSeconds(89)));
    assertThat(closed).as("at T0+89s window 1 is in grace").isEmpty();

    send(fact(T0.plusSeconds(90)));

    assertThat(closed).extracting(ClosedWindow::link).containsExactlyInAnyOrder(AB, AC);
    ClosedWindow ab = closed.stream().filter(c -> c.link().equals(AB)).findFirst().orElseThrow();
    assertThat(ab.start()).isEqualTo(T0);
    assertThat(ab.end()).isEqualTo(T0.plusSeconds(60));
    assertThat(ab.stats().bytes()).isEqualTo(100);

    send(fact(T0.plusSeconds(100)));
    send(fact(T0.plusSeconds(12))); // late, changes nothing in the closed window
    assertThat(closed).hasSize(2);

    send(fact(T0.plusSeconds(151))); // closes window 2 (end T0+120s, grace to T0+150s)
    assertThat(closed).hasSize(3);
    assertThat(closed.get(2).start()).isEqualTo(T0.plusSeconds(60));
    assertThat(closed.get(2).stats().transfers()).isEqualTo(3);
  }

  @Test
  void shouldCloseEveryWindowSkippedByAJumpInStreamTime() {
    start();
    send(fact(T0.plusSeconds(10)));
    send(fact(T0.plusSeconds(70)));
    send(fact(T0.plusSeconds(130)));

    send(fact(T0.plus(Duration.ofMinutes(10))));

    assertThat(closed)
        .extracting(ClosedWindow::start)
        .containsExactly(T0, T0.plusSeconds(60), T0.plusSeconds(120));
  }

  @Test
  void shouldTrackTheLatestEventTimePerSiteAtEitherEnd() {
    start();
    send(fact(T0.plusSeconds(30)).link("SITE_A", "SITE_B"));
    send(fact(T0.plusSeconds(50)).link("SITE_C", "SITE_A"));
    send(fact(T0.plusSeconds(10)).link("SITE_A", "SITE_B")); // older: freshness does not go back
    send(fact(T0.plusSeconds(5)).link("SITE_A", "SITE_B").tenant("other-tenant"));

    assertThat(queries.siteFreshness())
        .containsExactly(
            new SiteFreshness(TENANT, "SITE_A", T0.plusSeconds(50)),
            new SiteFreshness(TENANT, "SITE_B", T0.plusSeconds(30)),
            new SiteFreshness(TENANT, "SITE_C", T0.plusSeconds(50)),
            new SiteFreshness("other-tenant", "SITE_A", T0.plusSeconds(5)),
            new SiteFreshness("other-tenant", "SITE_B", T0.plusSeconds(5)));
  }

  @Test
  void shouldKeepTenantsAndLinksApart() {
    start();
    send(fact(T0).link("SITE_A", "SITE_B").succeeded(1, 1));
    send(fact(T0).link("SITE_A", "SITE_B").tenant("t2").succeeded(10, 1));
    send(fact(T0).link("SITE_B", "SITE_A").succeeded(100, 1));

    assertThat(queries.links())
        .extracting(t -> t.link().toString(), t -> t.stats().bytes())
        .containsExactly(
            org.assertj.core.groups.Tuple.tuple(TENANT + "/SITE_A->SITE_B", 1L),
            org.assertj.core.groups.Tuple.tuple(TENANT + "/SITE_B->SITE_A", 100L),
            org.assertj.core.groups.Tuple.tuple("t2/SITE_A->SITE_B", 10L));
  }

  @Test
  void shouldDeadLetterUnreadableFactsWithTheReason() {
    start();
    Facts.Builder v2 = fact(T0).schema("dev.ferry.transfer.completed/2");
    send(v2);
    transfers.pipeInput("SITE_A->SITE_B", "not json".getBytes(StandardCharsets.UTF_8));
    send(fact(T0.plusSeconds(1)));

    List<TestRecord<String, byte[]>> dead = deadLetters.readRecordsToList();
    assertThat(dead).hasSize(2);
    assertThat(reason(dead.get(0)))
        .contains("unknown schema version dev.ferry.transfer.completed/2");
    assertThat(new String(dead.get(0).value(), StandardCharsets.UTF_8))
        .isEqualTo(new String(v2.json(), StandardCharsets.UTF_8));
    assertThat(reason(dead.get(1))).startsWith("not a transfer fact envelope");
    assertThat(
            new String(
                dead.get(1).headers().lastHeader("ferry-consumer").value(), StandardCharsets.UTF_8))
        .isEqualTo("ferry-telemetry");
    assertThat(totals(AB).transfers()).isEqualTo(1);
  }

  @Test
  void shouldIgnoreOtherEventTypes() {
    start();
    Envelope other =
        new Envelope(
            "x1",
            "/ferry/control",
            "dev.ferry.job.submitted",
            "1.0",
            T0,
            TENANT,
            null,
            "dev.ferry.job.submitted/1",
            null);
    transfers.pipeInput("SITE_A->SITE_B", Json.mapper().writeValueAsBytes(other));

    assertThat(deadLetters.isEmpty()).isTrue();
    assertThat(queries.links()).isEmpty();
  }

  @Test
  void shouldForgetEventIdsAfterTheDedupRetention() {
    // pins the documented limit: a duplicate arriving more than dedupRetention (of stream time)
    // after the original counts again
    start(TransferTopology.Options.defaults().withDedupRetention(Duration.ofMinutes(2)));
    Facts.Builder f = fact(T0);
    send(f);
    send(fact(T0.plus(Duration.ofMinutes(30))));

    send(f);

    assertThat(totals(AB).transfers()).isEqualTo(3);
  }

  @Test
  void shouldPublishClosedWindowsToLinkStatsWhenConfigured() {
    start(TransferTopology.Options.defaults().withLinkStatsTopic(LINK_STATS));
    TestOutputTopic<String, byte[]> out =
        driver.createOutputTopic(LINK_STATS, new StringDeserializer(), new ByteArrayDeserializer());
    send(fact(T0.plusSeconds(1)).succeeded(1_000, 2_000));
    send(fact(T0.plusSeconds(2)).failed("io", true));
    send(fact(T0.plusSeconds(95)));

    TestRecord<String, byte[]> r = out.readRecord();
    assertThat(out.isEmpty()).isTrue();
    assertThat(r.key()).isEqualTo("SITE_A->SITE_B");
    Envelope e = Json.mapper().readValue(r.value(), Envelope.class);
    assertThat(e.type()).isEqualTo(WindowSummary.TYPE);
    assertThat(e.dataschema()).isEqualTo(WindowSummary.SCHEMA_V1);
    assertThat(e.time()).isEqualTo(T0.plusSeconds(60));
    WindowSummary s = Json.mapper().treeToValue(e.data(), WindowSummary.class);
    assertThat(s.start()).isEqualTo(T0);
    assertThat(s.succeeded()).isEqualTo(1);
    assertThat(s.failed()).isEqualTo(1);
    assertThat(s.failureRatio()).isEqualTo(0.5);
    assertThat(s.durationP95Seconds()).isCloseTo(2.0, org.assertj.core.api.Assertions.within(0.03));
    assertThat(s.failuresByErrorClass()).containsEntry("io", 1L);
    // the id is derived from (link, start): a re-emitted window is recognisably the same event
    assertThat(e.id()).isEqualTo(WindowSummary.of(closed.get(0)).toEnvelope().id());
  }

  @Test
  void shouldGoOnWhenTheWindowListenerThrows() {
    start(
        TransferTopology.Options.defaults()
            .withWindowListener(
                w -> {
                  throw new IllegalStateException("listener bug");
                }));
    send(fact(T0));
    send(fact(T0.plusSeconds(120))); // closes window 1: the listener throws

    send(fact(T0.plusSeconds(121)));

    assertThat(totals(AB).transfers()).isEqualTo(3);
    assertThat(windows(AB)).hasSize(2);
  }

  private static String reason(TestRecord<String, byte[]> r) {
    return new String(r.headers().lastHeader("ferry-reason").value(), StandardCharsets.UTF_8);
  }
}
