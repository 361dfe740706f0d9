package dev.ferry.telemetry.anomaly;

import dev.ferry.telemetry.streams.WindowSummary;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * A deterministic workload generator: the windows of one link, transfer by transfer, from a seed.
 * Each window draws its transfer count from a Poisson law, each transfer a log-normal file size and
 * a log-normal throughput around the link's bandwidth, and fails with the link's failure
 * probability; the window's features are then computed exactly as the aggregator would (median
 * throughput and p95 duration of the succeeded transfers, failure ratio, count).
 *
 * <p>A {@link Phase} changes the link's condition from a window on: throughput divided by a factor,
 * a failure probability. Not thread-safe.
 */
final class Workload {

  /** The link's condition from window {@code from} on. */
  record Phase(int from, double throughputFactor, double failureProbability) {}

  private final Random random;
  private final double bandwidth;
  private final double meanTransfers;
  private final double baseFailure;
  private final List<Phase> phases = new ArrayList<>();
  private final Random contention;
  private double overlapProbability;
  private double loadSigma;

  /**
   * @param seed the seed; the same seed gives the same windows
   * @param bandwidth median per-transfer throughput when healthy, bytes per second
   * @param meanTransfers mean transfers per window
   * @param baseFailure failure probability of a transfer when healthy
   */
  Workload(long seed, double bandwidth, double meanTransfers, double baseFailure) {
    this.random = new Random(seed);
    this.contention = new Random(seed ^ 0xC0FFEEL); // its own stream: other scenarios unchanged
    this.bandwidth = bandwidth;
    this.meanTransfers = meanTransfers;
    this.baseFailure = baseFailure;
  }

  /** A link of the healthy fleet, varied by {@code i}: bandwidth 8–90 MB/s, 20–60 transfers. */
  static Workload healthy(long seed, int i) {
    Random r = new Random(seed * 31 + i);
    return new Workload(
        seed * 1_000 + i,
        8e6 + r.nextDouble() * 82e6,
        20 + r.nextInt(41),
        0.002 + r.nextDouble() * 0.008);
  }

  /**
   * A link on a shared, busy machine, as in the demo: each window's throughput is multiplied by a
   * log-normal load factor (σ = {@code loadSigma}), and with probability {@code overlap} a late job
   * overlaps the next one, so the window holds twice the transfers at half the per-transfer
   * throughput (the link itself no worse).
   */
  Workload contended(double overlap, double loadSigma) {
    this.overlapProbability = overlap;
    this.loadSigma = loadSigma;
    return this;
  }

  /** From window {@code w} on, throughput divided by {@code factor}, failures as when healthy. */
  Workload slow(int w, double factor) {
    phases.add(new Phase(w, factor, baseFailure));
    return this;
  }

  /** From window {@code w} on, throughput as when healthy, failures with {@code probability}. */
  Workload failing(int w, double probability) {
    phases.add(new Phase(w, 1, probability));
    return this;
  }

  /** From window {@code w} on, both slow and failing. */
  Workload slowAndFailing(int w, double factor, double probability) {
    phases.add(new Phase(w, factor, probability));
    return this;
  }

  /** From window {@code w} on, healthy again. */
  Workload recover(int w) {
    phases.add(new Phase(w, 1, baseFailure));
    return this;
  }

  private Phase phaseAt(int window) {
    Phase p = new Phase(0, 1, baseFailure);
    for (Phase q : phases) {
      if (q.from() <= window) {
        p = q;
      }
    }
    return p;
  }

  /** Whether window {@code w} lies in a phase that is not the healthy one. */
  boolean degraded(int w) {
    Phase p = phaseAt(w);
    return p.throughputFactor() != 1 || p.failureProbability() != baseFailure;
  }

  /** The features of window {@code w} (call with w = 0, 1, 2 … in order). */
  WindowFeatures window(int w) {
    Sample s = sample(w);
    return s.features();
  }

  /** Window {@code w} as the summary the aggregator publishes on {@code ferry.link-stats}. */
  WindowSummary summary(
      int w, String tenant, String src, String dst, Instant start, Duration length) {
    Sample s = sample(w);
    WindowFeatures f = s.features();
    long failed = Math.round(f.failureRatio() * f.transfers());
    long succeeded = f.transfers() - failed;
    return new WindowSummary(
        tenant,
        src,
        dst,
        start,
        start.plus(length),
        succeeded,
        0,
        failed,
        s.bytes(),
        failed,
        f.failureRatio(),
        succeeded == 0 ? null : f.p95DurationSeconds() / 2,
        succeeded == 0 ? null : f.p95DurationSeconds(),
        succeeded == 0 ? null : f.p95DurationSeconds(),
        succeeded == 0 ? null : f.throughputBytesPerSecond(),
        succeeded == 0 ? null : f.throughputBytesPerSecond() * 1.5,
        failed == 0 ? Map.of() : Map.of("io", failed));
  }

  private record Sample(WindowFeatures features, long bytes) {}

  private Sample sample(int w) {
    Phase p = phaseAt(w);
    double load = 1;
    int copies = 1;
    if (overlapProbability > 0 || loadSigma > 0) {
      load = Math.exp(loadSigma * contention.nextGaussian());
      if (contention.nextDouble() < overlapProbability) {
        load /= 2;
        copies = 2;
      }
    }
    int n = Math.max(1, poisson(meanTransfers)) * copies;
    double[] throughput = new double[n];
    double[] duration = new double[n];
    int ok = 0;
    int failed = 0;
    long bytes = 0;
    for (int i = 0; i < n; i++) {
      double size = Math.exp(15 + 1.0 * random.nextGaussian()); // median ~3.3 MB
      double tput =
          bandwidth / p.throughputFactor() * load * Math.exp(0.25 * random.nextGaussian());
      if (random.nextDouble() < p.failureProbability()) {
        failed++;
        continue;
      }
      throughput[ok] = tput;
      duration[ok] = size / tput;
      bytes += (long) size;
      ok++;
    }
    double median = ok == 0 ? 0 : quantile(Arrays.copyOf(throughput, ok), 0.5);
    double p95 = ok == 0 ? 0 : quantile(Arrays.copyOf(duration, ok), 0.95);
    return new Sample(new WindowFeatures(median, p95, (double) failed / n, n), bytes);
  }

  private static double quantile(double[] v, double q) {
    Arrays.sort(v);
    int i = (int) Math.ceil(q * v.length) - 1;
    return v[Math.max(0, Math.min(v.length - 1, i))];
  }

  private int poisson(double lambda) {
    double l = Math.exp(-lambda);
    double p = 1;
    int k = 0;
    do {
      k++;
      p *= random.nextDouble();
    } while (p > l);
    return k - 1;
  }
}
