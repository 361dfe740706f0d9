package dev.ferry.worker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ferry.worker.AdaptiveConcurrency.Decision;
import dev.ferry.worker.AdaptiveConcurrency.Reason;
import dev.ferry.worker.AdaptiveConcurrency.Settings;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class AdaptiveConcurrencyTest {
  private static final Instant T0 = Instant.parse("2025-01-01T00:00:00Z");
  private static final Settings SETTINGS =
      new Settings(Duration.ofSeconds(10), 2, 0.95, 0.25, 0.5, 5);
  private static final long MB = 1_000_000;

  private Instant now = T0;
  private final AdaptiveConcurrency link = new AdaptiveConcurrency(SETTINGS, 8, T0);

  /** One window of 10 s in which the link is saturated: {@code ok} successes, {@code failed}. */
  private Decision window(int ok, int failed, long bytes) {
    link.saturated();
    now = now.plusSeconds(10);
    return link.record(now, ok, failed, bytes, true).orElseThrow();
  }

  @Test
  void shouldStartAtTheInitialLimitCappedByTheMaximum() {
    assertThat(link.limit()).isEqualTo(2);
    assertThat(new AdaptiveConcurrency(SETTINGS, 1, T0).limit()).isEqualTo(1);
  }

  @Test
  void shouldRaiseByOneWhileHealthyAndSaturatedUpToTheMaximum() {
    List<Integer> limits = new ArrayList<>();
    for (int i = 0; i < 8; i++) {
      Decision d = window(10, 0, (i + 1) * 10 * MB); // throughput grows with the limit
      limits.add(d.to());
    }

    assertThat(limits).containsExactly(3, 4, 5, 6, 7, 8, 8, 8);
    assertThat(link.limit()).isEqualTo(8);
  }

  @Test
  void shouldBackOffWhenTheLinkStartsFailingAndRecoverAfter() {
    for (int i = 0; i < 4; i++) {
      window(10, 0, 50 * MB);
    }
    assertThat(link.limit()).isEqualTo(6);

    // the link starts failing: half of the files fail retryably
    Decision first = window(5, 5, 20 * MB);
    Decision second = window(5, 5, 10 * MB);
    Decision third = window(2, 8, 5 * MB);

    assertThat(first.reason()).isEqualTo(Reason.FAILURES);
    assertThat(first.successRatio()).isEqualTo(0.5);
    assertThat(List.of(first.to(), second.to(), third.to())).containsExactly(3, 1, 1);
    assertThat(link.limit()).isEqualTo(1);

    // healthy again: additive recovery, one step per window; the low throughput right after the
    // back-off is not mistaken for a throughput fall
    List<Integer> recovery = new ArrayList<>();
    for (int i = 0; i < 4; i++) {
      Decision d = window(10, 0, (i + 1) * 10 * MB);
      assertThat(d.reason()).isEqualTo(Reason.RAISED);
      recovery.add(d.to());
    }
    assertThat(recovery).containsExactly(2, 3, 4, 5);
  }

  @Test
  void shouldMultiplyDownWhenThroughputFallsMarkedlyWhileSaturated() {
    window(10, 0, 100 * MB); // 3
    window(10, 0, 100 * MB); // 4
    Decision slight = window(10, 0, 80 * MB); // -20 %: within tolerance
    Decision marked = window(10, 0, 50 * MB); // -37.5 %: marked

    assertThat(slight.reason()).isEqualTo(Reason.RAISED);
    assertThat(marked.reason()).isEqualTo(Reason.THROUGHPUT);
    assertThat(marked.from()).isEqualTo(5);
    assertThat(marked.to()).isEqualTo(2);
    assertThat(marked.bytesPerSecond()).isEqualTo(5 * MB);
  }

  @Test
  void shouldHoldWhenTheLinkDoesNotUseItsLimit() {
    now = now.plusSeconds(10);
    Decision idle = link.record(now, 10, 0, 100 * MB, false).orElseThrow();
    now = now.plusSeconds(10);
    Decision lessDemand = link.record(now, 10, 0, 10 * MB, false).orElseThrow();

    assertThat(idle.reason()).isEqualTo(Reason.HELD);
    assertThat(lessDemand.reason()).isEqualTo(Reason.HELD); // lower throughput, but not saturated
    assertThat(link.limit()).isEqualTo(2);
  }

  @Test
  void shouldEvaluateOnlyOnceTheIntervalHasPassed() {
    link.saturated();

    Optional<Decision> early = link.record(now.plusSeconds(3), 10, 0, MB, true);
    Optional<Decision> due = link.record(now.plusSeconds(10), 1, 0, MB, true);

    assertThat(early).isEmpty();
    assertThat(due)
        .get()
        .satisfies(
            d -> {
              assertThat(d.succeeded()).isEqualTo(11);
              assertThat(d.reason()).isEqualTo(Reason.RAISED);
              assertThat(d.bytesPerSecond()).isEqualTo(2 * MB / 10.0);
            });
    assertThat(link.limit()).isEqualTo(3);
  }

  @Test
  void shouldWaitForMinOutcomesBeforeEvaluating() {
    AdaptiveConcurrency sparse = new AdaptiveConcurrency(SETTINGS, 8, T0);
    sparse.saturated();

    Optional<Decision> one = sparse.record(T0.plusSeconds(20), 1, 0, MB, true);
    Optional<Decision> five = sparse.record(T0.plusSeconds(40), 4, 0, MB, true);

    assertThat(one).isEmpty();
    assertThat(five).get().satisfies(d -> assertThat(d.succeeded()).isEqualTo(5));
    assertThat(five.get().bytesPerSecond()).isEqualTo(2 * MB / 40.0);
  }

  @Test
  void shouldIgnoreWindowsWithoutBytesForThroughput() {
    window(10, 0, 100 * MB);
    Decision skippedOnly = window(10, 0, 0); // everything skipped: nothing on the wire
    assertThat(skippedOnly.reason()).isEqualTo(Reason.RAISED);
  }

  @Test
  void shouldRejectSettingsOutOfRange() {
    assertThatThrownBy(() -> new Settings(Duration.ZERO, 2, 0.9, 0.25, 0.5, 1))
        .hasMessageContaining("evaluationInterval");
    assertThatThrownBy(() -> new Settings(Duration.ofSeconds(1), 0, 0.9, 0.25, 0.5, 1))
        .hasMessageContaining("initialLimit");
    assertThatThrownBy(() -> new Settings(Duration.ofSeconds(1), 2, 1.5, 0.25, 0.5, 1))
        .hasMessageContaining("successThreshold");
    assertThatThrownBy(() -> new Settings(Duration.ofSeconds(1), 2, 0.9, 0.25, 1.0, 1))
        .hasMessageContaining("decreaseFactor");
    assertThatThrownBy(() -> new AdaptiveConcurrency(SETTINGS, 0, T0))
        .hasMessageContaining("maxLimit");
  }
}
