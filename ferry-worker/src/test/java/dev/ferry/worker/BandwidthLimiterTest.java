package dev.ferry.worker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** The token bucket against a fake clock whose sleeper advances it: no real waiting. */
class BandwidthLimiterTest {
  private static final long MIB = 1024 * 1024;
  private static final long SECOND = 1_000_000_000L;

  private final AtomicLong nanos = new AtomicLong(42);
  private final List<Long> sleeps = new ArrayList<>();
  private final BandwidthLimiter.Sleeper sleeper =
      n -> {
        sleeps.add(n);
        nanos.addAndGet(n);
      };

  @Test
  void shouldHoldTheLongRunRateToTheLimitAfterOneBurst() {
    BandwidthLimiter limiter = new BandwidthLimiter(MIB, nanos::get, sleeper);
    long start = nanos.get();

    for (int i = 0; i < 40; i++) {
      limiter.acquire(256 * 1024, () -> false); // 10 MiB in copy-buffer steps
    }

    // the first MiB is the saved-up burst; the other 9 take 9 s at 1 MiB/s
    assertThat(nanos.get() - start).isBetween(9 * SECOND - 1000, 9 * SECOND + 1000);
    assertThat(limiter.sleptNanos()).isEqualTo(nanos.get() - start);
    assertThat(sleeps).allMatch(n -> n <= BandwidthLimiter.MAX_SLEEP_NANOS);
  }

  @Test
  void shouldRefillWhileIdleUpToOneSecondOfBurst() {
    BandwidthLimiter limiter = new BandwidthLimiter(2 * MIB, nanos::get, sleeper);
    limiter.acquire(2 * MIB, () -> false); // the burst
    assertThat(sleeps).isEmpty();

    nanos.addAndGet(10 * SECOND); // idle for 10 s: still only 1 s worth saved
    limiter.acquire(2 * MIB, () -> false);
    assertThat(sleeps).isEmpty();
    limiter.acquire(MIB, () -> false);

    assertThat(sleeps.stream().mapToLong(Long::longValue).sum()).isEqualTo(SECOND / 2);
  }

  @Test
  void shouldLetOneBufferLargerThanTheBurstThroughIntoDebt() {
    BandwidthLimiter limiter = new BandwidthLimiter(MIB, nanos::get, sleeper);

    limiter.acquire(3 * MIB, () -> false);

    assertThat(limiter.sleptNanos()).isEqualTo(2 * SECOND);
  }

  @Test
  void shouldStopSleepingWhenTheCopyIsAskedToStop() {
    AtomicBoolean stop = new AtomicBoolean();
    BandwidthLimiter.Sleeper stopping =
        n -> {
          sleeper.sleepNanos(n);
          stop.set(true);
        };
    BandwidthLimiter slow = new BandwidthLimiter(MIB, nanos::get, stopping);

    slow.acquire(11 * MIB, stop::get); // 10 s of debt

    assertThat(sleeps).containsExactly(BandwidthLimiter.MAX_SLEEP_NANOS);
    assertThat(slow.sleptNanos()).isEqualTo(BandwidthLimiter.MAX_SLEEP_NANOS);
  }

  @Test
  void shouldRejectARateBelowOne() {
    assertThatThrownBy(() -> new BandwidthLimiter(0)).hasMessageContaining("at least 1 byte/s");
  }
}
