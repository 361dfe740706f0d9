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
