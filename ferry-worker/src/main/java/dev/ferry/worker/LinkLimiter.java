package dev.ferry.worker;

import dev.ferry.worker.AdaptiveConcurrency.Decision;
import java.time.Clock;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Limits how many tasks of one link ({@code SRC->DST}, see {@code Topics.linkKey}) run at once in
 * this worker, and optionally their bandwidth.
 *
 * <p>Each link's limit is its entry in the configured map, else the default. In adaptive mode that
 * number is the link's <em>maximum</em> and {@link AdaptiveConcurrency} moves the actual limit
 * between 1 and it, fed with each attempt's outcome through {@link Permit#finish}. A lowered limit
 * takes effect as running tasks finish; nothing is interrupted.
 *
 * <p>Thread-safe. The consumer thread takes permits with {@link #tryAcquire} (never blocking it);
 * direct callers of {@link Worker#handle} block in {@link #acquire}.
 */
final class LinkLimiter {
  private static final Logger log = LoggerFactory.getLogger(LinkLimiter.class);

  private final Map<String, Integer> limits;
  private final int defaultLimit;
  private final AdaptiveConcurrency.Settings adaptive;
  private final Map<String, Long> bandwidth;
  private final long defaultBandwidth; // 0: links not in bandwidth are not throttled
  private final Clock clock;
  private final WorkerListener listener;

  private final Map<String, Link> links = new HashMap<>(); // guarded by this
  private final Map<String, Optional<BandwidthLimiter>> buckets = new ConcurrentHashMap<>();

  private final class Link {
    final String key;
    final int max;
    final AdaptiveConcurrency controller; // null: fixed limit
    int running;

    Link(String key) {
      this.key = key;
      this.max = limits.getOrDefault(key, defaultLimit);
      this.controller =
          adaptive == null ? null : new AdaptiveConcurrency(adaptive, max, clock.instant());
    }

    int limit() {
      return controller == null ? max : controller.limit();
    }

    void saturated() {
      if (controller != null) {
        controller.saturated();
      }
    }
  }

  /** The right to run one task on a link, until {@link #finish} or {@link #close}. */
  final class Permit implements AutoCloseable {
    private final Link link;
    private boolean released; // guarded by LinkLimiter.this

    private Permit(Link link) {
      this.link = link;
    }

    String link() {
      return link.key;
    }

    /**
     * Releases the permit and feeds the attempt's outcome to the adaptive limit.
     *
     * @param succeeded files copied or skipped
     * @param retryableFailures files failed in a way that may be the link's fault
     * @param bytes bytes the attempt moved
     */
    void finish(int succeeded, int retryableFailures, long bytes) {
      release(this, true, succeeded, retryableFailures, bytes);
    }

    /** Releases without an outcome (skipped, cancelled, released); idempotent. */
    @Override
    public void close() {
      release(this, false, 0, 0, 0);
    }
  }

  /**
   * @param limits concurrency per link key; links not in it get {@code defaultLimit}
   * @param adaptive null for fixed limits
   * @param bandwidth bytes per second per link key; links not in it are not throttled
   */
  LinkLimiter(
      Map<String, Integer> limits,
      int defaultLimit,
      AdaptiveConcurrency.Settings adaptive,
      Map<String, Long> bandwidth,
      Clock clock,
      WorkerListener listener) {
    this(limits, defaultLimit, adaptive, bandwidth, 0, clock, listener);
  }

  /**
   * @param defaultBandwidth bytes per second of links not in {@code bandwidth}; 0 for none
   */
  LinkLimiter(
      Map<String, Integer> limits,
      int defaultLimit,
      AdaptiveConcurrency.Settings adaptive,
      Map<String, Long> bandwidth,
      long defaultBandwidth,
      Clock clock,
      WorkerListener listener) {
    this.defaultBandwidth = defaultBandwidth;
    this.limits = Map.copyOf(limits);
    if (defaultLimit < 1) {
      throw new IllegalArgumentException("default link limit must be at least 1: " + defaultLimit);
    }
    this.defaultLimit = defaultLimit;
    this.adaptive = adaptive;
    this.bandwidth = Map.copyOf(bandwidth);
    this.clock = Objects.requireNonNull(clock, "clock");
    this.listener = Objects.requireNonNull(listener, "listener");
  }

  static LinkLimiter of(WorkerConfig config, WorkerListener listener) {
    return new LinkLimiter(
        config.linkConcurrency(),
        config.defaultLinkConcurrency(),
        config.adaptiveConcurrency() ? config.adaptiveSettings() : null,
        config.linkBandwidth(),
        config.defaultLinkBandwidth(),
        config.clock(),
        listener);
  }

  /** A permit when the link is below its limit; empty (and the link marked saturated) if not. */
  synchronized Optional<Permit> tryAcquire(String link) {
    Link l = link(link);
    if (l.running >= l.limit()) {
      l.saturated();
      return Optional.empty();
    }
    return Optional.of(take(l));
  }

  /** Waits for a permit. */
  synchronized Permit acquire(String link) throws InterruptedException {
    Link l = link(link);
    while (l.running >= l.limit()) {
      l.saturated();
      wait();
    }
    return take(l);
  }

  /** The link's current limit. */
  synchronized int limit(String link) {
    return link(link).limit();
  }

  /** Tasks of the link running now. */
  synchronized int running(String link) {
    Link l = links.get(link);
    return l == null ? 0 : l.running;
  }

  /** The link's bandwidth limiter; empty when the link is not throttled. */
  Optional<BandwidthLimiter> bandwidth(String link) {
    return buckets.computeIfAbsent(
        link,
        k ->
            Optional.ofNullable(bandwidth.get(k))
                .or(() -> defaultBandwidth > 0 ? Optional.of(defaultBandwidth) : Optional.empty())
                .map(BandwidthLimiter::new));
  }

  private Link link(String key) {
    return links.computeIfAbsent(key, Link::new);
  }

  private Permit take(Link l) {
    l.running++;
    if (l.running >= l.limit()) {
      l.saturated();
    }
    return new Permit(l);
  }

  private void release(
      Permit permit, boolean withOutcome, int succeeded, int retryableFailures, long bytes) {
    Decision decision = null;
    Link l = permit.link;
    synchronized (this) {
      if (permit.released) {
        return;
      }
      permit.released = true;
      l.running--;
      if (withOutcome && l.controller != null) {
        decision =
            l.controller
                .record(
                    clock.instant(),
                    succeeded,
                    retryableFailures,
                    bytes,
                    l.running >= l.controller.limit())
                .orElse(null);
      }
      notifyAll();
    }
    if (decision != null) {
      report(l, decision);
    }
  }

  private void report(Link l, Decision d) {
    if (d.changed()) {
      log.info(
          "link {}: concurrency {} -> {} ({}; success {}/{}, {} B/s, max {})",
          l.key,
          d.from(),
          d.to(),
          d.reason(),
          d.succeeded(),
          d.succeeded() + d.failed(),
          Math.round(d.bytesPerSecond()),
          l.max);
      listener.linkLimitChanged(l.key, d.from(), d.to(), d.reason().name());
    } else {
      log.debug("link {}: concurrency stays {} ({})", l.key, d.to(), d.reason());
    }
  }

  @Override
  public synchronized String toString() {
    StringBuilder s = new StringBuilder("LinkLimiter[");
    links
        .values()
        .forEach(
            l ->
                s.append(l.key)
                    .append(' ')
                    .append(l.running)
                    .append('/')
                    .append(l.limit())
                    .append(' '));
    return s.append(adaptive == null ? "fixed]" : "adaptive]").toString();
  }
}
