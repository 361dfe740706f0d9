package dev.ferry.worker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ferry.testsupport.SettableClock;
import dev.ferry.worker.AdaptiveConcurrency.Settings;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class LinkLimiterTest {
  private static final String AB = "SITE_A->SITE_B";
  private static final String AC = "SITE_A->SITE_C";

  private final SettableClock clock = new SettableClock();
  private final List<String> changes = new CopyOnWriteArrayList<>();
  private final WorkerListener listener =
      new WorkerListener() {
        @Override
        public void linkLimitChanged(String link, int from, int to, String reason) {
          changes.add(link + " " + from + "->" + to + " " + reason);
        }
      };
  private final ExecutorService background = Executors.newCachedThreadPool();

  @AfterEach
  void tearDown() {
    background.shutdownNow();
  }

  private LinkLimiter fixed(Map<String, Integer> limits, int defaultLimit) {
    return new LinkLimiter(limits, defaultLimit, null, Map.of(), clock, listener);
  }

  @Test
  void shouldLimitEachLinkToItsOwnOrTheDefaultLimit() {
    LinkLimiter limiter = fixed(Map.of(AB, 2), 1);

    Optional<LinkLimiter.Permit> ab1 = limiter.tryAcquire(AB);
    Optional<LinkLimiter.Permit> ab2 = limiter.tryAcquire(AB);
    Optional<LinkLimiter.Permit> ab3 = limiter.tryAcquire(AB);
    Optional<LinkLimiter.Permit> ac1 = limiter.tryAcquire(AC);
    Optional<LinkLimiter.Permit> ac2 = limiter.tryAcquire(AC);

    assertThat(ab1).isPresent();
    assertThat(ab2).isPresent();
    assertThat(ab3).isEmpty();
    assertThat(ac1).isPresent();
    assertThat(ac2).isEmpty();
    assertThat(limiter.running(AB)).isEqualTo(2);

    ab1.get().close();
    ab1.get().close(); // idempotent
    assertThat(limiter.running(AB)).isEqualTo(1);
    assertThat(limiter.tryAcquire(AB)).isPresent();
    assertThat(limiter.tryAcquire(AB)).isEmpty();
  }

  @Test
  void shouldBlockAcquireUntilAPermitOfTheLinkIsReleased() throws Exception {
    LinkLimiter limiter = fixed(Map.of(), 1);
    LinkLimiter.Permit held = limiter.acquire(AB);

    Future<LinkLimiter.Permit> waiting = background.submit(() -> limiter.acquire(AB));
    Future<LinkLimiter.Permit> otherLink = background.submit(() -> limiter.acquire(AC));

    assertThat(otherLink.get(10, TimeUnit.SECONDS).link()).isEqualTo(AC);
    assertThatThrownBy(() -> waiting.get(200, TimeUnit.MILLISECONDS))
        .isInstanceOf(TimeoutException.class);
    held.finish(1, 0, 10);
    assertThat(waiting.get(10, TimeUnit.SECONDS).link()).isEqualTo(AB);
  }

  @Test
  void shouldBackOffALinkThatStartsFailingAndRecoverAfter() {
    Settings settings = new Settings(Duration.ofSeconds(10), 4, 0.9, 0.25, 0.5, 1);
    LinkLimiter limiter = new LinkLimiter(Map.of(AB, 8), 8, settings, Map.of(), clock, listener);
    assertThat(limiter.limit(AB)).isEqualTo(4);
    assertThat(limiter.limit(AC)).isEqualTo(4);

    // a window of healthy, saturated traffic raises the limit by one
    runWindow(limiter, AB, 0);
    assertThat(limiter.limit(AB)).isEqualTo(5);

    // the link starts failing: every file of every attempt fails retryably
    runWindow(limiter, AB, 1);
    assertThat(limiter.limit(AB)).isEqualTo(2);
    runWindow(limiter, AB, 1);
    assertThat(limiter.limit(AB)).isEqualTo(1);
    runWindow(limiter, AB, 1);
    assertThat(limiter.limit(AB)).isEqualTo(1);
    assertThat(limiter.tryAcquire(AB)).get().satisfies(LinkLimiter.Permit::close);

    // it recovers: +1 per healthy window
    runWindow(limiter, AB, 0);
    runWindow(limiter, AB, 0);
    assertThat(limiter.limit(AB)).isEqualTo(3);

    assertThat(changes)
        .containsExactly(
            AB + " 4->5 RAISED",
            AB + " 5->2 FAILURES",
            AB + " 2->1 FAILURES",
            AB + " 1->2 RAISED",
            AB + " 2->3 RAISED");
    assertThat(limiter.limit(AC)).isEqualTo(4); // other links are not affected
  }

  /**
   * Fills the link to its limit and finishes every attempt within one 10 s window, the last one
   * closing it: each moved 1 MB and had one file that failed ({@code failuresPerAttempt = 1}) or
   * succeeded.
   */
  private void runWindow(LinkLimiter limiter, String link, int failuresPerAttempt) {
    List<LinkLimiter.Permit> permits = new ArrayList<>();
    for (Optional<LinkLimiter.Permit> p; (p = limiter.tryAcquire(link)).isPresent(); ) {
      permits.add(p.get());
    }
    assertThat(permits).hasSize(limiter.limit(link));
    clock.advance(Duration.ofSeconds(9));
    for (LinkLimiter.Permit p : permits.subList(0, permits.size() - 1)) {
      p.finish(1 - failuresPerAttempt, failuresPerAttempt, 1_000_000);
    }
    clock.advance(Duration.ofSeconds(1));
    permits.get(permits.size() - 1).finish(1 - failuresPerAttempt, failuresPerAttempt, 1_000_000);
    assertThat(limiter.running(link)).isZero();
  }

  @Test
  void shouldGiveThrottledLinksTheirOwnBandwidthLimiter() {
    LinkLimiter limiter =
        new LinkLimiter(Map.of(), 1, null, Map.of(AB, 5_000_000L), clock, listener);

    assertThat(limiter.bandwidth(AB))
        .get()
        .satisfies(b -> assertThat(b.bytesPerSecond()).isEqualTo(5_000_000L));
    assertThat(limiter.bandwidth(AB).get()).isSameAs(limiter.bandwidth(AB).get());
    assertThat(limiter.bandwidth(AC)).isEmpty();
  }

  @Test
  void shouldThrottleOtherLinksAtTheDefaultBandwidthWhenOneIsGiven() {
    LinkLimiter limiter =
        new LinkLimiter(Map.of(), 1, null, Map.of(AB, 5_000_000L), 1_000_000L, clock, listener);

    assertThat(limiter.bandwidth(AB).get().bytesPerSecond()).isEqualTo(5_000_000L);
    assertThat(limiter.bandwidth(AC).get().bytesPerSecond()).isEqualTo(1_000_000L);
    assertThat(limiter.bandwidth(AC).get()).isSameAs(limiter.bandwidth(AC).get());
  }
}
