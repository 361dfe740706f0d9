package dev.ferry.testsupport;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class SettableClockTest {
  private static final Instant T0 = Instant.parse("2026-03-01T12:00:00Z");

  @Test
  void shouldStandStillUntilMoved() {
    SettableClock clock = new SettableClock(T0);
    assertThat(clock.instant()).isEqualTo(T0);
    assertThat(clock.millis()).isEqualTo(T0.toEpochMilli());
    assertThat(clock.getZone()).isEqualTo(ZoneOffset.UTC);
    assertThat(LocalDateTime.now(clock)).isEqualTo(LocalDateTime.parse("2026-03-01T12:00:00"));
    assertThat(new SettableClock().instant()).isEqualTo(SettableClock.DEFAULT_START);
  }

  @Test
  void shouldAdvanceAndSetInBothDirections() {
    SettableClock clock = new SettableClock(T0);
    assertThat(clock.advance(Duration.ofSeconds(90))).isEqualTo(T0.plusSeconds(90));
    assertThat(clock.instant()).isEqualTo(T0.plusSeconds(90));
    clock.set(T0.minusSeconds(3600));
    assertThat(clock.instant()).isEqualTo(T0.minusSeconds(3600));
  }

  @Test
  void shouldRejectNegativeAdvance() {
    SettableClock clock = new SettableClock(T0);
    assertThatThrownBy(() -> clock.advance(Duration.ofMillis(-1)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("negative");
    assertThat(clock.instant()).isEqualTo(T0);
  }

  @Test
  void zonedViewShouldShareTime() {
    SettableClock clock = new SettableClock(T0);
    SettableClock paris = clock.withZone(ZoneId.of("Europe/Paris"));
    clock.advance(Duration.ofMinutes(5));
    assertThat(paris.instant()).isEqualTo(T0.plusSeconds(300));
    assertThat(paris.getZone()).isEqualTo(ZoneId.of("Europe/Paris"));
    assertThat(clock.withZone(ZoneOffset.UTC)).isSameAs(clock);
  }

  @Test
  void concurrentAdvancesShouldNotBeLost() throws Exception {
    SettableClock clock = new SettableClock(T0);
    List<Thread> threads = new ArrayList<>();
    for (int t = 0; t < 4; t++) {
      Thread thread =
          new Thread(
              () -> {
                for (int i = 0; i < 10_000; i++) {
                  clock.advance(Duration.ofMillis(1));
                }
              });
      threads.add(thread);
      thread.start();
    }
    for (Thread thread : threads) {
      thread.join();
    }
    assertThat(clock.instant()).isEqualTo(T0.plusMillis(40_000));
  }
}
