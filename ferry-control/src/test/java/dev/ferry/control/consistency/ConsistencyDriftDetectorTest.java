package dev.ferry.control.consistency;

import static dev.ferry.control.consistency.DriftDetector.METRICS_VS_STREAM;
import static dev.ferry.control.consistency.DriftDetector.PROMETHEUS_VS_STREAM;
import static dev.ferry.control.consistency.DriftDetector.PUBLISHED_VS_DATABASE;
import static dev.ferry.control.consistency.DriftDetector.STREAM_VS_DATABASE;
import static org.assertj.core.api.Assertions.assertThat;

import dev.ferry.telemetry.aggregate.LinkKey;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The comparison rules with each fault injected into otherwise agreeing sides. */
class ConsistencyDriftDetectorTest {
  private static final LinkKey AB = new LinkKey("t1", "A", "B");
  private static final LinkKey AC = new LinkKey("t1", "A", "C");
  private static final Instant T0 = Instant.parse("2025-01-01T00:00:00Z");

  private final DriftDetector detector = new DriftDetector();

  /** 10,000 settled transfers over two links: 9,000 succeeded, 700 skipped, 300 failed. */
  private static Tally.Builder clean() {
    return Tally.builder()
        .add(AB, Measure.SUCCEEDED, 6_000)
        .add(AB, Measure.SKIPPED, 500)
        .add(AB, Measure.FAILED, 200)
        .add(AB, Measure.BYTES, 6_000_000)
        .add(AC, Measure.SUCCEEDED, 3_000)
        .add(AC, Measure.SKIPPED, 200)
        .add(AC, Measure.FAILED, 100)
        .add(AC, Measure.BYTES, 3_000_000);
  }

  /** Every side agrees and nothing is in flight, except the given stream and metrics. */
  private static DriftDetector.Sides sides(Tally stream, Tally metrics) {
    Tally db = clean().build();
    return new DriftDetector.Sides(db, db, Tally.EMPTY, db, stream, metrics, stream);
  }

  private static List<ConsistencyCheck> drifts(List<ConsistencyCheck> checks) {
    return checks.stream().filter(c -> !c.ok()).toList();
  }

  @Test
  void shouldReportEveryCheckOkWhenTenThousandTransfersAgree() {
    Tally same = clean().build();
    List<ConsistencyCheck> checks = detector.compare(sides(same, same), T0);

    // 3 checks x 2 links x 4 measures
    assertThat(checks).hasSize(24).allSatisfy(c -> assertThat(c.status()).isEqualTo("ok"));
    assertThat(checks).allSatisfy(c -> assertThat(c.since()).isNull());
    assertThat(checks.stream().filter(c -> c.measure().equals("transfers")))
        .extracting(ConsistencyCheck::expected)
        .containsOnly(6_000L, 500L, 200L, 3_000L, 100L);
  }

  @Test
  void shouldReportALostFactAsDriftMinusOneOnTheStream() {
    Tally stream = clean().add(AB, Measure.FAILED, -1).add(AB, Measure.BYTES, -1_000).build();
    List<ConsistencyCheck> checks = detector.compare(sides(stream, stream), T0);

    assertThat(drifts(checks))
        .extracting(
            ConsistencyCheck::check,
            ConsistencyCheck::sourceSite,
            ConsistencyCheck::destinationSite,
            ConsistencyCheck::outcome,
            ConsistencyCheck::expected,
            ConsistencyCheck::actual,
            ConsistencyCheck::drift,
            ConsistencyCheck::since)
        .containsExactly(
            org.assertj.core.groups.Tuple.tuple(
                STREAM_VS_DATABASE, "A", "B", "failed", 200L, 199L, -1L, T0),
            org.assertj.core.groups.Tuple.tuple(
                STREAM_VS_DATABASE, "A", "B", null, 6_000_000L, 5_999_000L, -1_000L, T0));
  }

  @Test
  void shouldReportADuplicatedFactAsDriftPlusOneOnTheStream() {
    Tally stream = clean().add(AC, Measure.SUCCEEDED, 1).build();
    List<ConsistencyCheck> checks = detector.compare(sides(stream, stream), T0);

    assertThat(drifts(checks))
        .singleElement()
        .satisfies(
            c -> {
              assertThat(c.check()).isEqualTo(STREAM_VS_DATABASE);
              assertThat(c.destinationSite()).isEqualTo("C");
              assertThat(c.outcome()).isEqualTo("succeeded");
              assertThat(c.drift()).isEqualTo(1);
              assertThat(c.status()).isEqualTo("drift");
            });
  }

  @Test
  void shouldCompareTheLocalMetricsWithTheLocalPartOfTheStreamWhenSeveralInstancesRun() {
    // Two instances: this one owns AB, the other AC. /metrics here exports AB only; the cluster
    // totals (what the database is compared with) have both.
    Tally cluster = clean().build();
    Tally local =
        Tally.builder()
            .add(AB, Measure.SUCCEEDED, 6_000)
            .add(AB, Measure.SKIPPED, 500)
            .add(AB, Measure.FAILED, 200)
            .add(AB, Measure.BYTES, 6_000_000)
            .build();
    Tally db = clean().build();
    List<ConsistencyCheck> checks =
        detector.compare(
            new DriftDetector.Sides(
                db, db, Tally.EMPTY, db, cluster, local, cluster, null, null, local, local),
            T0);

    assertThat(drifts(checks)).isEmpty();
    // AC is not this instance's to export: its metrics-vs-stream cells read 0 on both sides
    assertThat(checks)
        .filteredOn(c -> c.check().equals(METRICS_VS_STREAM) && c.destinationSite().equals("C"))
        .isNotEmpty()
        .allSatisfy(c -> assertThat(c.expected()).isZero());

    // a metric double-counted here is still found, with the exact drift
    Tally localDoubled =
        Tally.builder()
            .add(AB, Measure.SUCCEEDED, 6_000)
            .add(AB, Measure.SKIPPED, 500)
            .add(AB, Measure.FAILED, 400)
            .add(AB, Measure.BYTES, 6_000_000)
            .build();
    assertThat(
            drifts(
                new DriftDetector()
                    .compare(
                        new DriftDetector.Sides(
                            db,
                            db,
                            Tally.EMPTY,
                            db,
                            cluster,
                            localDoubled,
                            cluster,
                            null,
                            null,
                            local,
                            local),
                        T0)))
        .extracting(ConsistencyCheck::check, ConsistencyCheck::outcome, ConsistencyCheck::drift)
        .containsExactly(org.assertj.core.groups.Tuple.tuple(METRICS_VS_STREAM, "failed", 200L));

    // before the fix the scrape was compared with the cluster totals: AC read as -3,300 drift
    assertThat(
            drifts(
                new DriftDetector()
                    .compare(
                        new DriftDetector.Sides(db, db, Tally.EMPTY, db, cluster, local, cluster),
                        T0)))
        .isNotEmpty()
        .allSatisfy(c -> assertThat(c.destinationSite()).isEqualTo("C"));
  }

  @Test
  void shouldReportADoubleCountedMetricAsDriftOfTheStreamValue() {
    Tally stream = clean().build();
    Tally doubled = clean().add(AB, Measure.SUCCEEDED, 6_000).build();
    List<ConsistencyCheck> checks = detector.compare(sides(stream, doubled), T0);

    assertThat(drifts(checks))
        .singleElement()
        .satisfies(
            c -> {
              assertThat(c.check()).isEqualTo(METRICS_VS_STREAM);
              assertThat(c.outcome()).isEqualTo("succeeded");
              assertThat(c.expected()).isEqualTo(6_000);
              assertThat(c.actual()).isEqualTo(12_000);
              assertThat(c.drift()).isEqualTo(6_000);
            });
  }

  @Test
  void shouldTreatFactsInsideTheGraceAsPendingAndAStaleStoreAsDriftSinceFirstSeen() {
    Tally db = clean().add(AB, Measure.SUCCEEDED, 5).build();
    Tally stream = clean().build();
    // The 5 newest facts were published inside the grace: not yet due in the stream.
    DriftDetector.Sides fresh =
        new DriftDetector.Sides(db, db, Tally.EMPTY, clean().build(), stream, stream, stream);
    List<ConsistencyCheck> first = detector.compare(fresh, T0);
    assertThat(drifts(first)).isEmpty();
    assertThat(first)
        .filteredOn(c -> c.check().equals(STREAM_VS_DATABASE) && "succeeded".equals(c.outcome()))
        .filteredOn(c -> c.destinationSite().equals("B"))
        .singleElement()
        .satisfies(
            c -> {
              assertThat(c.expected()).isEqualTo(6_005);
              assertThat(c.pending()).isEqualTo(5);
              assertThat(c.actual()).isEqualTo(6_000);
            });

    // Past the grace the facts are settled; the store has not moved: stale, drift -5.
    DriftDetector.Sides settled =
        new DriftDetector.Sides(db, db, Tally.EMPTY, db, stream, stream, stream);
    Instant t1 = T0.plus(Duration.ofSeconds(31));
    assertThat(drifts(detector.compare(settled, t1)))
        .singleElement()
        .satisfies(c -> assertThat(c.drift()).isEqualTo(-5));
    Instant t2 = t1.plus(Duration.ofSeconds(30));
    ConsistencyCheck still = drifts(detector.compare(settled, t2)).get(0);
    assertThat(still.drift()).isEqualTo(-5);
    assertThat(still.since()).isEqualTo(t1);

    // The store catches up: ok again, and `since` is forgotten.
    DriftDetector.Sides caughtUp = new DriftDetector.Sides(db, db, Tally.EMPTY, db, db, db, db);
    assertThat(drifts(detector.compare(caughtUp, t2.plusSeconds(30)))).isEmpty();
    assertThat(drifts(detector.compare(settled, t2.plusSeconds(60))).get(0).since())
        .isEqualTo(t2.plusSeconds(60));
  }

  @Test
  void shouldReportFactsStuckInTheOutboxPastTheGraceButNotFreshOnes() {
    Tally db = clean().build();
    Tally published = clean().add(AC, Measure.FAILED, -3).build();
    Tally fresh = Tally.builder().add(AC, Measure.FAILED, 1).build();
    DriftDetector.Sides s =
        new DriftDetector.Sides(db, published, fresh, published, null, null, null);

    List<ConsistencyCheck> checks = detector.compare(s, T0);

    assertThat(checks).extracting(ConsistencyCheck::check).containsOnly(PUBLISHED_VS_DATABASE);
    assertThat(drifts(checks))
        .singleElement()
        .satisfies(
            c -> {
              assertThat(c.expected()).isEqualTo(100);
              assertThat(c.pending()).isEqualTo(1);
              assertThat(c.actual()).isEqualTo(97);
              assertThat(c.drift()).isEqualTo(-2);
            });
  }

  @Test
  void shouldNotAlarmWhenTheStreamMovesDuringTheScrape() {
    Tally db = clean().add(AB, Measure.SUCCEEDED, 2).build();
    Tally before = clean().build();
    Tally metrics = clean().add(AB, Measure.SUCCEEDED, 1).build();
    Tally after = clean().add(AB, Measure.SUCCEEDED, 2).build();
    DriftDetector.Sides s =
        new DriftDetector.Sides(db, db, Tally.EMPTY, clean().build(), before, metrics, after);

    assertThat(drifts(detector.compare(s, T0))).isEmpty();
  }

  @Test
  void shouldReportADoubleCountedPrometheusSeriesWithTheExactDrift() {
    Tally db = clean().build();
    // Prometheus scrapes the link twice (two jobs, one target): every sum of AB doubles
    Tally prometheus =
        clean()
            .add(AB, Measure.SUCCEEDED, 6_000)
            .add(AB, Measure.SKIPPED, 500)
            .add(AB, Measure.FAILED, 200)
            .add(AB, Measure.BYTES, 6_000_000)
            .build();
    List<ConsistencyCheck> checks =
        detector.compare(
            new DriftDetector.Sides(db, db, Tally.EMPTY, db, db, db, db, prometheus, db), T0);

    assertThat(checks).filteredOn(c -> c.check().equals(PROMETHEUS_VS_STREAM)).hasSize(8);
    assertThat(drifts(checks))
        .allSatisfy(c -> assertThat(c.check()).isEqualTo(PROMETHEUS_VS_STREAM))
        .extracting(ConsistencyCheck::measure, ConsistencyCheck::outcome, ConsistencyCheck::drift)
        .containsExactlyInAnyOrder(
            org.assertj.core.groups.Tuple.tuple("transfers", "succeeded", 6_000L),
            org.assertj.core.groups.Tuple.tuple("transfers", "skipped", 500L),
            org.assertj.core.groups.Tuple.tuple("transfers", "failed", 200L),
            org.assertj.core.groups.Tuple.tuple("bytes", null, 6_000_000L));
  }

  @Test
  void shouldAllowPrometheusToLagUntilItsCutoffButNotBeyond() {
    Tally db = clean().build();
    // 40 succeeded transfers of AB are recent: published after the Prometheus cutoff
    Tally beforePrometheusCutoff = clean().add(AB, Measure.SUCCEEDED, -40).build();
    Tally behindBy40 = clean().add(AB, Measure.SUCCEEDED, -40).build();
    Tally behindBy41 = clean().add(AB, Measure.SUCCEEDED, -41).build();

    assertThat(
            drifts(
                detector.compare(
                    new DriftDetector.Sides(
                        db, db, Tally.EMPTY, db, db, db, db, behindBy40, beforePrometheusCutoff),
                    T0)))
        .isEmpty();
    assertThat(
            drifts(
                detector.compare(
                    new DriftDetector.Sides(
                        db, db, Tally.EMPTY, db, db, db, db, behindBy41, beforePrometheusCutoff),
                    T0.plusSeconds(30))))
        .singleElement()
        .satisfies(
            c -> {
              assertThat(c.check()).isEqualTo(PROMETHEUS_VS_STREAM);
              assertThat(c.outcome()).isEqualTo("succeeded");
              assertThat(c.expected()).isEqualTo(6_000);
              assertThat(c.pending()).isEqualTo(40);
              assertThat(c.actual()).isEqualTo(5_959);
              assertThat(c.drift()).isEqualTo(-1);
            });
  }
}
