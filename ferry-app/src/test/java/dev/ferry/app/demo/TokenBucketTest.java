package dev.ferry.app.demo;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class TokenBucketTest {
  private static final long SECOND = 1_000_000_000L;

  @Test
  void shouldLetABurstThroughThenMakeTheCallerWaitForTheRest() {
    TokenBucket b = new TokenBucket(100_000, 0);
    // the burst is a tenth of a second's worth
    assertThat(b.reserve(10_000, 0)).isZero();
    // the next 50,000 bytes are half a second of debt
    assertThat(b.reserve(50_000, 0)).isEqualTo(SECOND / 2);
  }

  @Test
  void shouldQueueLaterCallersBehindTheDebt() {
    TokenBucket b = new TokenBucket(100_000, 0);
    b.reserve(10_000, 0);
    assertThat(b.reserve(100_000, 0)).isEqualTo(SECOND);
    assertThat(b.reserve(100_000, 0)).isEqualTo(2 * SECOND);
    // after one second, one second of debt is paid
    assertThat(b.reserve(0, SECOND)).isEqualTo(SECOND);
  }

  @Test
  void shouldNotSaveUpMoreThanTheBurstWhileIdle() {
    TokenBucket b = new TokenBucket(100_000, 0);
    long tenSecondsLater = 10 * SECOND;
    assertThat(b.reserve(10_000, tenSecondsLater)).isZero();
    assertThat(b.reserve(100_000, tenSecondsLater)).isEqualTo(SECOND);
  }

  @Test
  void shouldAverageToItsRateOverManyChunks() {
    TokenBucket b = new TokenBucket(128 * 1024, 0);
    long now = 0;
    long sent = 0;
    // a pump that reads a chunk, waits as told, sends: 10 MiB at 128 KiB/s takes 80 s
    while (sent < 10 * 1024 * 1024) {
      now += b.reserve(b.chunkSize(), now);
      sent += b.chunkSize();
    }
    assertThat(now / (double) SECOND).isBetween(79.0, 80.0);
  }

  @Test
  void shouldRejectANonPositiveRate() {
    assertThatThrownBy(() -> new TokenBucket(0, 0)).isInstanceOf(IllegalArgumentException.class);
  }
}
