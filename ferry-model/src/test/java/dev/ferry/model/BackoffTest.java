package dev.ferry.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;
import static org.assertj.core.api.Assertions.assertThatNullPointerException;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.random.RandomGenerator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class BackoffTest {
  private static final Duration BASE = Duration.ofSeconds(1);
  private static final Duration MAX = Duration.ofMinutes(5);

  private final Backoff backoff = Backoff.exponential().base(BASE).max(MAX).build();

  @Test
  void shouldKeepEveryDelayBetweenZeroAndTheCeiling() {
    RandomGenerator random = new SplittableRandom(7);
    for (int attempt = 1; attempt <= 64; attempt++) {
      Duration ceiling = backoff.ceiling(attempt);
      for (int draw = 0; draw < 2_000; draw++) {
        Duration delay = backoff.delay(attempt, random);

        assertThat(delay).isBetween(Duration.ZERO, ceiling);
      }
    }
  }

  @Test
  void shouldSpreadDelaysOverTheWholeRange() {
    RandomGenerator random = new SplittableRandom(11);
    long ceiling = backoff.ceiling(4).toNanos();
    long smallest = Long.MAX_VALUE;
    long largest = 0;
    double sum = 0;
    int draws = 20_000;
    for (int i = 0; i < draws; i++) {
      long nanos = backoff.delay(4, random).toNanos();
      smallest = Math.min(smallest, nanos);
      largest = Math.max(largest, nanos);
      sum += nanos;
    }

    assertThat(smallest).isLessThan(ceiling / 100);
    assertThat(largest).isGreaterThan(ceiling - ceiling / 100);
    assertThat(sum / draws / ceiling).isBetween(0.48, 0.52);
  }

  @Test
  void shouldIncludeBothEndsOfTheRange() {
    Backoff tiny = Backoff.exponential().base(Duration.ofNanos(1)).max(Duration.ofNanos(1)).build();
    RandomGenerator random = new SplittableRandom(3);
    List<Duration> seen = new ArrayList<>();
    for (int i = 0; i < 200; i++) {
      seen.add(tiny.delay(1, random));
    }

    assertThat(seen).containsOnly(Duration.ZERO, Duration.ofNanos(1));
  }

  @ParameterizedTest(name = "attempt {0} -> {1}")
  @CsvSource({
    "1, PT1S",
    "2, PT2S",
    "3, PT4S",
    "4, PT8S",
    "5, PT16S",
    "6, PT32S",
    "7, PT1M4S",
    "8, PT2M8S",
    "9, PT4M16S",
    "10, PT5M",
    "11, PT5M",
    "63, PT5M",
    "64, PT5M",
    "65, PT5M",
    "1000, PT5M",
    "2147483647, PT5M"
  })
  void shouldDoubleTheCeilingUntilItReachesTheMax(int attempt, Duration expected) {
    assertThat(backoff.ceiling(attempt)).isEqualTo(expected);
  }

  @Test
  void shouldNeverOverflowWhateverTheAttempt() {
    Backoff huge =
        Backoff.exponential()
            .base(Duration.ofNanos(1))
            .max(Duration.ofNanos(Long.MAX_VALUE))
            .build();
    RandomGenerator random = new SplittableRandom(5);

    assertThat(huge.ceiling(63)).isEqualTo(Duration.ofNanos(1L << 62));
    assertThat(huge.ceiling(64)).isEqualTo(Duration.ofNanos(Long.MAX_VALUE));
    for (int attempt : new int[] {1, 62, 63, 64, 65, 1_000, Integer.MAX_VALUE}) {
      assertThat(huge.delay(attempt, random))
          .isBetween(Duration.ZERO, Duration.ofNanos(Long.MAX_VALUE));
    }
  }

  @Test
  void shouldCapWithoutOverflowWhenBaseIsLarge() {
    Backoff slow = Backoff.exponential().base(Duration.ofDays(1)).max(Duration.ofDays(365)).build();

    assertThat(slow.ceiling(9)).isEqualTo(Duration.ofDays(256));
    assertThat(slow.ceiling(10)).isEqualTo(Duration.ofDays(365));
    assertThat(slow.ceiling(40)).isEqualTo(Duration.ofDays(365));
  }

  @Test
  void shouldRepeatTheSameDelaysForTheSameSeed() {
    assertThat(delays(new SplittableRandom(42))).isEqualTo(delays(new SplittableRandom(42)));
    assertThat(delays(new SplittableRandom(42))).isNotEqualTo(delays(new SplittableRandom(43)));
  }

  @Test
  void shouldKeepAConstantCeilingWhenMaxEqualsBase() {
    Backoff constant = Backoff.exponential().base(MAX).max(MAX).build();

    assertThat(constant.ceiling(1)).isEqualTo(MAX);
    assertThat(constant.ceiling(30)).isEqualTo(MAX);
  }

  @Test
  void shouldDefaultToOneSecondBaseAndFiveMinuteMax() {
    Backoff defaults = Backoff.exponential().build();

    assertThat(defaults.base()).isEqualTo(Duration.ofSeconds(1));
    assertThat(defaults.max()).isEqualTo(Duration.ofMinutes(5));
    assertThat(defaults).hasToString("Backoff[exponential, full jitter, base=PT1S, max=PT5M]");
  }

  @Test
  void shouldAcceptBaseAndMaxInEitherOrder() {
    Backoff maxFirst = Backoff.exponential().max(Duration.ofMinutes(10)).base(BASE).build();

    assertThat(maxFirst.ceiling(30)).isEqualTo(Duration.ofMinutes(10));
  }

  @ParameterizedTest
  @ValueSource(longs = {0, -1, -1_000})
  void shouldRejectANonPositiveBase(long millis) {
    Duration base = Duration.ofMillis(millis);

    assertThatIllegalArgumentException()
        .isThrownBy(() -> Backoff.exponential().base(base))
        .withMessage("backoff base must be positive, got " + base);
  }

  @ParameterizedTest
  @ValueSource(longs = {0, -1, -1_000})
  void shouldRejectANonPositiveMax(long millis) {
    Duration max = Duration.ofMillis(millis);

    assertThatIllegalArgumentException()
        .isThrownBy(() -> Backoff.exponential().max(max))
        .withMessage("backoff max must be positive, got " + max);
  }

  @Test
  void shouldRejectAMaxBelowTheBase() {
    Backoff.Builder builder =
        Backoff.exponential().base(Duration.ofSeconds(10)).max(Duration.ofSeconds(9));

    assertThatIllegalArgumentException()
        .isThrownBy(builder::build)
        .withMessage("backoff max must not be less than base, got base=PT10S, max=PT9S");
  }

  @Test
  void shouldRejectAMaxTooLongToDrawInNanoseconds() {
    assertThatIllegalArgumentException()
        .isThrownBy(() -> Backoff.exponential().max(Duration.ofDays(365 * 300)))
        .withMessageStartingWith("backoff max must be at most");
  }

  @Test
  void shouldRejectNullDurations() {
    assertThatNullPointerException().isThrownBy(() -> Backoff.exponential().base(null));
    assertThatNullPointerException().isThrownBy(() -> Backoff.exponential().max(null));
    assertThatNullPointerException().isThrownBy(() -> backoff.delay(1, null));
  }

  @ParameterizedTest
  @ValueSource(ints = {0, -1, Integer.MIN_VALUE})
  void shouldRejectAttemptsBelowOne(int attempt) {
    RandomGenerator random = new SplittableRandom(1);

    assertThatIllegalArgumentException()
        .isThrownBy(() -> backoff.ceiling(attempt))
        .withMessage("backoff attempt must be at least 1, got " + attempt);
    assertThatIllegalArgumentException().isThrownBy(() -> backoff.delay(attempt, random));
  }

  private List<Duration> delays(RandomGenerator random) {
    List<Duration> delays = new ArrayList<>();
    for (int attempt = 1; attempt <= 20; attempt++) {
      delays.add(backoff.delay(attempt, random));
    }
    return delays;
  }
}
