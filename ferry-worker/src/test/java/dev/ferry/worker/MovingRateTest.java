package dev.ferry.worker;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;

class MovingRateTest {
  private static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");

  @Test
  void shouldAnswerTheRateSinceTheStartUntilTheWindowIsFull() {
    MovingRate rate = new MovingRate(Duration.ofSeconds(10), T0, 0);

    assertThat(rate.update(T0, 0)).isZero();
    assertThat(rate.update(T0.plusSeconds(2), 200)).isEqualTo(100);
    assertThat(rate.update(T0.plusSeconds(4), 600)).isEqualTo(150);
  }

  @Test
  void shouldForgetWhatLiesBeforeTheWindow() {
    MovingRate rate = new MovingRate(Duration.ofSeconds(10), T0, 0);
    for (int s = 5; s <= 30; s += 5) {
      rate.update(T0.plusSeconds(s), s <= 15 ? s * 1000L : 15_000); // stalls after 15 s
    }

    // anchor at 20 s (15,000), now 30 s (15,000): nothing moved in the last 10 s
    assertThat(rate.update(T0.plusSeconds(30), 15_000)).isZero();
    assertThat(rate.update(T0.plusSeconds(35), 20_000)).isEqualTo(5_000 / 10);
  }

  @Test
  void shouldSpanAtLeastOneIntervalWhenSamplesAreSparse() {
    MovingRate rate = new MovingRate(Duration.ofSeconds(10), T0, 0);
    rate.update(T0.plusSeconds(30), 3000);

    assertThat(rate.update(T0.plusSeconds(60), 9000)).isEqualTo(200);
  }
}
