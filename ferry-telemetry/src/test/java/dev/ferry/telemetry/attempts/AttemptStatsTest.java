package dev.ferry.telemetry.attempts;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ferry.telemetry.aggregate.LinkKey;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class AttemptStatsTest {
  private static final LinkKey LINK = new LinkKey("t", "A", "B");

  static AttemptEvent event(int attempt, String outcome, int failed, String errorClass, long b) {
    return new AttemptEvent("e", LINK, "task", attempt, 3, failed, b, 1500, outcome, errorClass);
  }

  @Test
  void shouldCountOutcomesRetriesBytesAndErrorClasses() {
    AttemptStats s =
        AttemptStats.EMPTY
            .plus(event(1, "failed", 1, "checksum-mismatch", 100))
            .plus(event(2, "failed", 2, "io", 50))
            .plus(event(3, "completed", 0, null, 70))
            .plus(event(1, "abandoned", 0, null, 0));

    assertThat(s.attempts()).isEqualTo(4);
    assertThat(s.attemptsByOutcome())
        .containsEntry("failed", 2L)
        .containsEntry("completed", 1L)
        .containsEntry("abandoned", 1L)
        .hasSize(3);
    assertThat(s.retries()).as("attempts 2 and 3").isEqualTo(2);
    assertThat(s.files()).isEqualTo(12);
    assertThat(s.filesFailed()).isEqualTo(3);
    assertThat(s.bytesOnWire()).isEqualTo(220);
    assertThat(s.durationMillis()).isEqualTo(6000);
    assertThat(s.failedAttemptsByErrorClass())
        .containsExactlyEntriesOf(
            new java.util.TreeMap<>(java.util.Map.of("checksum-mismatch", 1L, "io", 1L)));
  }

  @Test
  void shouldMergeToTheSameTotalsInAnyOrderAndGrouping() {
    Random r = new Random(7);
    String[] outcomes = AttemptEvent.OUTCOMES.toArray(String[]::new);
    List<AttemptEvent> events = new ArrayList<>();
    for (int i = 0; i < 500; i++) {
      int failed = r.nextInt(3);
      events.add(
          event(
              1 + r.nextInt(3),
              outcomes[r.nextInt(outcomes.length)],
              failed,
              failed > 0 ? "class-" + r.nextInt(5) : null,
              r.nextInt(10_000)));
    }
    AttemptStats sequential = AttemptStats.EMPTY;
    for (AttemptEvent e : events) {
      sequential = sequential.plus(e);
    }
    Collections.shuffle(events, r);
    AttemptStats[] parts = {AttemptStats.EMPTY, AttemptStats.EMPTY, AttemptStats.EMPTY};
    for (int i = 0; i < events.size(); i++) {
      parts[i % 3] = parts[i % 3].plus(events.get(i));
    }
    assertThat(parts[2].merge(parts[0]).merge(parts[1])).isEqualTo(sequential);
    assertThat(parts[0].merge(parts[1].merge(parts[2]))).isEqualTo(sequential);
    assertThat(sequential.merge(AttemptStats.EMPTY)).isEqualTo(sequential);
  }

  @Test
  void shouldBoundTheErrorClassesItKeeps() {
    AttemptStats s = AttemptStats.EMPTY;
    for (int i = 0; i < 100; i++) {
      s = s.plus(event(1, "failed", 1, "class-" + i, 1));
    }
    assertThat(s.failedAttemptsByErrorClass()).hasSize(AttemptStats.MAX_ERROR_CLASSES);
    assertThat(s.failedAttemptsByErrorClass().get(AttemptStats.OTHER))
        .isEqualTo(100 - (AttemptStats.MAX_ERROR_CLASSES - 1));
    assertThat(s.failedAttemptsByErrorClass().values().stream().mapToLong(Long::longValue).sum())
        .isEqualTo(100);
  }
}
