import dev.ferry.telemetry.anomaly.AnomalyOptions;
import dev.ferry.telemetry.anomaly.LinkDetector;
import dev.ferry.telemetry.anomaly.WindowFeatures;
import java.time.Instant;
import java.util.Arrays;
import java.util.Locale;
import java.util.Random;

/**
 * The cost of anomaly detection per window on this machine: one RCF update of a link's model
 * ({@code LinkDetector.score}: score, attribution, threshold, learn), and what the Kafka Streams
 * processor adds per window (the model's bytes written and read back). Run by
 * bench/run-anomaly.sh; prints medians over RUNS runs of UPDATES updates each, after WARMUP updates
 * that fill the model's sample and let the JIT settle.
 *
 * <p>Usage: java -cp CLASSPATH bench/RcfUpdateBench.java [RUNS] [UPDATES] [WARMUP]
 */
public class RcfUpdateBench {
  public static void main(String[] args) {
    int runs = args.length > 0 ? Integer.parseInt(args[0]) : 5;
    int updates = args.length > 1 ? Integer.parseInt(args[1]) : 20_000;
    int warmup = args.length > 2 ? Integer.parseInt(args[2]) : 5_000;
    AnomalyOptions o = AnomalyOptions.defaults();
    Random r = new Random(1);
    LinkDetector d = new LinkDetector("bench/A->B", o);
    long[] minute = {0};
    for (int i = 0; i < warmup; i++) {
      d.score(Instant.ofEpochSecond(60 * minute[0]++), features(r));
    }
    double[] updateMicros = new double[runs];
    for (int run = 0; run < runs; run++) {
      long t0 = System.nanoTime();
      for (int i = 0; i < updates; i++) {
        d.score(Instant.ofEpochSecond(60 * minute[0]++), features(r));
      }
      updateMicros[run] = (System.nanoTime() - t0) / 1e3 / updates;
    }
    int persistOps = Math.max(100, updates / 50);
    double[] writeMicros = new double[runs];
    double[] readMicros = new double[runs];
    int size = 0;
    for (int run = 0; run < runs + 1; run++) {
      long write = 0;
      long read = 0;
      for (int i = 0; i < persistOps; i++) {
        long t0 = System.nanoTime();
        byte[] b = d.toBytes();
        long t1 = System.nanoTime();
        d = LinkDetector.fromBytes(b, o);
        long t2 = System.nanoTime();
        write += t1 - t0;
        read += t2 - t1;
        size = b.length;
      }
      if (run > 0) { // the first run warms up serialization
        writeMicros[run - 1] = write / 1e3 / persistOps;
        readMicros[run - 1] = read / 1e3 / persistOps;
      }
    }
    double u = median(updateMicros);
    double w = median(writeMicros);
    double rd = median(readMicros);
    System.out.printf(
        Locale.ROOT,
        "config: %d trees, sample size %d, 4 features, shingle 1; %d runs x %d updates after %d%n",
        o.numberOfTrees(), o.sampleSize(), runs, updates, warmup);
    System.out.printf(
        Locale.ROOT, "RCF update (LinkDetector.score), median per update: %.1f us (%,.0f updates/s per core); runs %s%n",
        u, 1e6 / u, fmt(updateMicros));
    System.out.printf(
        Locale.ROOT, "model to bytes (every window, for the changelog), median: %.1f us; runs %s; model %,d bytes%n",
        w, fmt(writeMicros), size);
    System.out.printf(
        Locale.ROOT, "model from bytes (only after a restart, rebalance or aborted transaction), median: %.1f us; runs %s%n",
        rd, fmt(readMicros));
    System.out.printf(
        Locale.ROOT, "per window in the processor, steady state (update + to bytes), median: %.1f us (%.1fx the update alone)%n",
        u + w, (u + w) / u);
  }

  private static WindowFeatures features(Random r) {
    long n = 20 + r.nextInt(40);
    return new WindowFeatures(
        50e6 * Math.exp(0.1 * r.nextGaussian()),
        0.5 * Math.exp(0.3 * r.nextGaussian()),
        r.nextInt(20) == 0 ? 1.0 / n : 0,
        n);
  }

  private static double median(double[] v) {
    double[] s = v.clone();
    Arrays.sort(s);
    int n = s.length;
    return n % 2 == 1 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
  }

  private static String fmt(double[] v) {
    StringBuilder b = new StringBuilder("[");
    for (int i = 0; i < v.length; i++) {
      b.append(i == 0 ? "" : ", ").append(String.format(Locale.ROOT, "%.1f", v[i]));
    }
    return b.append("]").toString();
  }
}
