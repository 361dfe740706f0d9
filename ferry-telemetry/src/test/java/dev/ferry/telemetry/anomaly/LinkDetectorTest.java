package dev.ferry.telemetry.anomaly;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class LinkDetectorTest {
  private final AnomalyOptions options = AnomalyOptions.defaults();

  private static Instant minute(int i) {
    return Instant.parse("2026-01-01T00:00:00Z").plusSeconds(60L * i);
  }

  @Test
  void shouldWarmUpBeforeScoringAnything() {
    LinkDetector d = new LinkDetector("t/A->B", options);
    Workload w = Workload.healthy(1, 0);
    for (int i = 0; i < options.warmUpWindows(); i++) {
      assertThat(d.score(minute(i), w.window(i)))
          .isEqualTo(new Verdict.WarmingUp(i + 1, options.warmUpWindows()));
    }
    assertThat(d.score(minute(12), w.window(12))).isInstanceOf(Verdict.Scored.class);
    assertThat(d.windowsSeen()).isEqualTo(13);
  }

  @Test
  void shouldNotFlagEvenAWildWindowDuringWarmUp() {
    LinkDetector d = new LinkDetector("t/A->B", options);
    Workload w = Workload.healthy(1, 0);
    for (int i = 0; i < 5; i++) {
      d.score(minute(i), w.window(i));
    }
    assertThat(d.score(minute(5), new WindowFeatures(1, 1_000, 1, 1)))
        .isInstanceOf(Verdict.WarmingUp.class);
  }

  @Test
  void shouldIgnoreRedeliveredAndEmptyWindows() {
    LinkDetector d = new LinkDetector("t/A->B", options);
    Workload w = Workload.healthy(1, 0);
    d.score(minute(0), w.window(0));
    d.score(minute(1), w.window(1));
    assertThat(d.score(minute(1), w.window(2))).isInstanceOf(Verdict.Duplicate.class);
    assertThat(d.score(minute(0), w.window(3))).isInstanceOf(Verdict.Duplicate.class);
    assertThat(d.score(minute(2), null)).isInstanceOf(Verdict.Empty.class);
    assertThat(d.windowsSeen()).isEqualTo(2);
  }

  @Test
  void shouldBlameThroughputWhenALinkSlowsDownAndSayWhatItExpected() {
    LinkDetector d = new LinkDetector("t/A->B", options);
    Workload w = Workload.healthy(3, 2).slow(40, 5);
    Verdict.Scored flagged = null;
    for (int i = 0; i < 43 && flagged == null; i++) {
      if (d.score(minute(i), w.window(i)) instanceof Verdict.Scored s && s.anomaly() && i >= 40) {
        flagged = s;
      }
    }
    assertThat(flagged).isNotNull();
    assertThat(flagged.grade()).isGreaterThanOrEqualTo(options.gradeThreshold());
    assertThat(flagged.feature()).isIn(Feature.THROUGHPUT, Feature.P95_DURATION);
    assertThat(flagged.expected()).isNotNull();
    assertThat(flagged.expected().throughputBytesPerSecond())
        .isGreaterThan(2 * d.lastFeatures().throughputBytesPerSecond());
  }

  @Test
  void shouldBlameFailuresWhenALinkStartsFailing() {
    LinkDetector d = new LinkDetector("t/A->B", options);
    Workload w = Workload.healthy(5, 1).failing(40, 0.3);
    Verdict.Scored flagged = null;
    for (int i = 0; i < 43 && flagged == null; i++) {
      if (d.score(minute(i), w.window(i)) instanceof Verdict.Scored s && s.anomaly() && i >= 40) {
        flagged = s;
      }
    }
    assertThat(flagged).isNotNull();
    assertThat(flagged.feature()).as("%s", flagged).isEqualTo(Feature.FAILURE_RATIO);
  }

  @Test
  void shouldNotFlagAWindowThatIsUnusualOnlyForTheBetter() {
    LinkDetector d = new LinkDetector("t/A->B", options);
    Workload w = Workload.healthy(3, 2);
    for (int i = 0; i < 40; i++) {
      d.score(minute(i), w.window(i));
    }
    WindowFeatures usual = d.lastFeatures();
    // ten times faster, a tenth of the duration, no failures: strange, but nothing to act on
    WindowFeatures better =
        new WindowFeatures(
            usual.throughputBytesPerSecond() * 10, usual.p95DurationSeconds() / 10, 0, 40);
    Verdict.Scored s = (Verdict.Scored) d.score(minute(40), better);
    assertThat(s.grade()).as("the forest finds it unusual").isGreaterThanOrEqualTo(0.5);
    assertThat(s.anomaly()).isFalse();
    assertThat(s.expected()).isNull();
  }

  @Test
  void shouldNotFlagAModestSlowdownButAFiveFoldOne() {
    LinkDetector d = new LinkDetector("t/A->B", options);
    Workload w = Workload.healthy(3, 2);
    for (int i = 0; i < 40; i++) {
      d.score(minute(i), w.window(i));
    }
    WindowFeatures usual = d.lastFeatures();
    Verdict.Scored halved =
        (Verdict.Scored)
            d.score(
                minute(40),
                new WindowFeatures(
                    usual.throughputBytesPerSecond() / 2,
                    usual.p95DurationSeconds() * 2,
                    usual.failureRatio(),
                    usual.transfers()));
    assertThat(halved.anomaly()).as("%s", halved).isFalse();
    Verdict.Scored fifth =
        (Verdict.Scored)
            d.score(
                minute(41),
                new WindowFeatures(
                    usual.throughputBytesPerSecond() / 5,
                    usual.p95DurationSeconds() * 5,
                    usual.failureRatio(),
                    usual.transfers()));
    assertThat(fifth.anomaly()).as("%s", fifth).isTrue();
    assertThat(fifth.feature()).isEqualTo(Feature.THROUGHPUT);
    assertThat(fifth.expected().throughputBytesPerSecond())
        .as("the usual throughput it was compared with")
        .isGreaterThanOrEqualTo(4 * usual.throughputBytesPerSecond() / 5);
  }

  @Test
  void shouldReadAFormatOneModelWithAnEmptyReference() throws Exception {
    LinkDetector original = new LinkDetector("t/A->B", options);
    Workload w = Workload.healthy(9, 3).failing(50, 0.5);
    for (int i = 0; i < 30; i++) {
      original.score(minute(i), w.window(i));
    }
    byte[] v2 = original.toBytes();
    // format 1 had no reference: header (1 + 8 + 8 + 1 + 32 bytes of last features), then the
    // forest
    int header = 1 + 8 + 8 + 1 + 32;
    int refs = ((v2[header] & 0xff) << 8) | (v2[header + 1] & 0xff);
    assertThat(refs).isEqualTo(16);
    byte[] v1 = new byte[v2.length - 2 - 32 * refs];
    System.arraycopy(v2, 0, v1, 0, header);
    System.arraycopy(v2, header + 2 + 32 * refs, v1, header, v1.length - header);
    v1[0] = 1;
    LinkDetector restored = LinkDetector.fromBytes(v1, options);
    assertThat(restored.isStateOf(v1)).isTrue();
    assertThat(restored.windowsSeen()).isEqualTo(30);
    // the reference refills from the windows after the upgrade, and the failures are flagged
    Integer flaggedAt = null;
    for (int i = 30; i < 53 && flaggedAt == null; i++) {
      if (restored.score(minute(i), w.window(i)) instanceof Verdict.Scored s && s.anomaly()) {
        flaggedAt = i;
      }
    }
    assertThat(flaggedAt).isBetween(50, 52);
  }

  @Test
  void shouldGiveTheSameScoresForTheSameWindows() {
    assertThat(scores(new LinkDetector("t/A->B", options), 40))
        .isEqualTo(scores(new LinkDetector("t/A->B", options), 40));
  }

  @Test
  void shouldContinueFromItsBytesWithoutANewWarmUp() {
    LinkDetector original = new LinkDetector("t/A->B", options);
    Workload w = Workload.healthy(9, 3).slow(30, 5);
    for (int i = 0; i < 30; i++) {
      original.score(minute(i), w.window(i));
    }
    byte[] bytes = original.toBytes();
    LinkDetector restored = LinkDetector.fromBytes(bytes, options);
    assertThat(restored.windowsSeen()).isEqualTo(30);
    assertThat(restored.lastFeatures()).isEqualTo(original.lastFeatures());
    assertThat(restored.score(minute(29), w.window(30))).isInstanceOf(Verdict.Duplicate.class);
    Verdict v = restored.score(minute(30), w.window(30));
    assertThat(v).isInstanceOf(Verdict.Scored.class);
    assertThat(((Verdict.Scored) v).anomaly()).isTrue();
    assertThat(bytes.length).isLessThan(512 * 1024);
  }

  @Test
  void shouldTellFromTheHeaderWhetherStoredBytesAreItsState() {
    LinkDetector d = new LinkDetector("t/A->B", options);
    Workload w = Workload.healthy(2, 0);
    d.score(minute(0), w.window(0));
    byte[] before = d.toBytes();
    assertThat(d.isStateOf(before)).isTrue();
    d.score(minute(1), w.window(1)); // the store would still hold `before` if this rolled back
    assertThat(d.isStateOf(before)).isFalse();
    assertThat(d.isStateOf(d.toBytes())).isTrue();
    assertThat(d.isStateOf(null)).isFalse();
    assertThat(new LinkDetector("t/A->B", options).isStateOf(before)).isFalse();
  }

  @Test
  void shouldRejectBytesThatAreNotAModel() {
    assertThatThrownBy(() -> LinkDetector.fromBytes(new byte[] {9, 1, 2}, options))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("format 9");
    byte[] good = new LinkDetector("t/A->B", options).toBytes();
    byte[] truncated = java.util.Arrays.copyOf(good, good.length / 2);
    assertThatThrownBy(() -> LinkDetector.fromBytes(truncated, options))
        .isInstanceOf(IllegalArgumentException.class);
  }

  private List<Double> scores(LinkDetector d, int n) {
    Workload w = Workload.healthy(11, 4);
    List<Double> out = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      if (d.score(minute(i), w.window(i)) instanceof Verdict.Scored s) {
        out.add(s.score());
      }
    }
    return out;
  }
}
