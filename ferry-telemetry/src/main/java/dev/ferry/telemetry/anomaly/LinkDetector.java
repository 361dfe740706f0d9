package dev.ferry.telemetry.anomaly;

import com.amazon.randomcutforest.config.ForestMode;
import com.amazon.randomcutforest.config.Precision;
import com.amazon.randomcutforest.config.TransformMethod;
import com.amazon.randomcutforest.parkservices.AnomalyDescriptor;
import com.amazon.randomcutforest.parkservices.ThresholdedRandomCutForest;
import com.amazon.randomcutforest.parkservices.state.ThresholdedRandomCutForestMapper;
import com.amazon.randomcutforest.parkservices.state.ThresholdedRandomCutForestState;
import com.amazon.randomcutforest.returntypes.DiVector;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.ObjectInputFilter;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.Objects;
import java.util.UUID;

/**
 * The anomaly model of one link: a {@link ThresholdedRandomCutForest} over the link's closed
 * windows, engine-free (plain Java; the Kafka Streams processor only stores its bytes).
 *
 * <p><b>Input.</b> One point per window: {@code ln(1 + throughput)}, {@code ln(1 + p95 duration)},
 * the failure ratio and {@code ln(1 + transfers)}. Logarithms make a change by a factor weigh the
 * same at any scale (a link at 10 MB/s dropping 5× looks like one at 1 GB/s dropping 5×); the
 * forest then normalizes each dimension by its running mean and deviation. No shingling (shingle
 * size 1): each window is judged on its own, so a degraded window can be flagged as soon as it
 * closes rather than after several.
 *
 * <p><b>Confirmation.</b> The forest finds windows <em>unusual</em> (grade ≥ {@link
 * AnomalyOptions#gradeThreshold()}); unusual is not the same as sick. On its own it flagged 1.4 %
 * of the scenarios' healthy windows, mostly for a p95 duration that followed the window's file
 * sizes, and in the demo healthy links whose window was better than usual (larger files) or 2-3×
 * slower because the machine was busy. So a window is an anomaly only when the forest finds it
 * unusual <em>and</em> it is worse than the link's usual in a way an operator would act on: median
 * throughput at least {@link AnomalyOptions#throughputDrop()}× below the lower quartile of the
 * link's recent unflagged windows, or p95 duration at least {@link AnomalyOptions#durationRise()}×
 * above the longest of them, or a failure ratio at least {@link AnomalyOptions#failureRise()} above
 * their median. The reference is the link's last {@value #REFERENCE_WINDOWS} unflagged windows
 * (warm-up included), kept in the model's bytes; the feature blamed is the one that broke its bar,
 * and {@code expected} is that usual window. The rule needs no persistence over several windows, so
 * detection is not delayed: docs/anomalies.md has the numbers.
 *
 * <p><b>Warm-up.</b> The first {@link AnomalyOptions#warmUpWindows()} windows are learnt from and
 * answered {@link Verdict.WarmingUp}; the forest's {@code outputAfter} is the same number, so its
 * normalization and thresholder have seen that many points before any score counts.
 *
 * <p><b>Gaps.</b> A window exists only when transfers ended in it; a link with no work has no
 * windows. Missing windows are <em>not</em> filled with zeros: idleness is the scheduler's business
 * (and a stalled site shows in {@code ferry_site_last_transfer_timestamp_seconds}), and zeros would
 * teach the model that empty windows are normal, blunting it. The model's clock is therefore the
 * window's sequence number, not wall time: after a gap the next window is compared with the windows
 * before it as if they were adjacent.
 *
 * <p><b>Duplicates.</b> Windows must come in start order; one not newer than the last seen is a
 * re-delivery and is ignored ({@link Verdict.Duplicate}).
 *
 * <p><b>Determinism.</b> The forest's random seed is {@link AnomalyOptions#randomSeed()} mixed with
 * the link's name, so the same windows give the same scores in every run.
 *
 * <p>Not thread-safe: one link's windows are scored by one thread (the stream task owning it).
 */
public final class LinkDetector {
  /** Format 2 adds the reference windows; format 1 models are read with an empty reference. */
  private static final byte FORMAT = 2;

  private static final byte FORMAT_1 = 1;

  /**
   * Recent unflagged windows kept as the link's reference for the confirmation rule: enough for
   * stable quartiles, few enough to follow a link whose normal moves (16 minutes in production).
   */
  static final int REFERENCE_WINDOWS = 16;

  /**
   * Quantile of the reference's throughputs a slowdown is measured from: the lower quartile, so a
   * link whose windows alternate between small files (slow) and large ones (fast) is compared with
   * its slow mode, not its average.
   */
  static final double THROUGHPUT_QUANTILE = 0.25;

  /**
   * Quantile of the reference's p95 durations a rise is measured from: the longest. The p95 of a
   * window follows its file sizes as much as the link's speed (in the scenarios, a 2× bar let 0.57
   * % of healthy windows through against the upper quartile, 0.16 % against the longest), so only a
   * p95 far beyond anything recent counts.
   */
  static final double DURATION_QUANTILE = 1.0;

  /** Quantile of the reference's failure ratios a rise is measured from: the median. */
  static final double FAILURE_QUANTILE = 0.5;

  private static final int DIMENSIONS = Feature.values().length;

  /**
   * Weights of the normalized dimensions: failures and throughput are what an operator cares about
   * most; the number of transfers mostly follows the workload, not the link's health, so it counts
   * half. Tuned with the scenarios of {@code docs/anomalies.md}.
   */
  private static final double[] WEIGHTS = {1.5, 1, 2, 0.5};

  /**
   * Deviations from the expected value too small to matter, per input dimension: throughput by a
   * factor 1.5, p95 duration by 2, failure ratio by 0.1, transfers by 3 (as logarithms where the
   * input is one), given to the forest's predictor-corrector ({@code ignoreNearExpectedFrom…}) so
   * that ordinary jitter of a quiet link is not called an anomaly. In the scenarios this roughly
   * halves the false alarms of healthy links without delaying detection.
   */
  private static final double[] TOLERANCE = {Math.log(1.5), Math.log(2), 0.1, Math.log(3)};

  private final AnomalyOptions options;
  private final ThresholdedRandomCutForest forest;
  private long windowsSeen;
  private long lastWindowStart = Long.MIN_VALUE;
  private WindowFeatures last;
  private final ArrayDeque<WindowFeatures> reference;

  /** A fresh model for {@code link} (any stable name: it seeds the forest). */
  public LinkDetector(String link, AnomalyOptions options) {
    this(
        options,
        newForest(options, seed(options, link)),
        0,
        Long.MIN_VALUE,
        null,
        new ArrayDeque<>());
  }

  private LinkDetector(
      AnomalyOptions options,
      ThresholdedRandomCutForest forest,
      long windowsSeen,
      long lastWindowStart,
      WindowFeatures last,
      ArrayDeque<WindowFeatures> reference) {
    this.reference = reference;
    this.options = Objects.requireNonNull(options, "options");
    this.forest = forest;
    this.windowsSeen = windowsSeen;
    this.lastWindowStart = lastWindowStart;
    this.last = last;
  }

  private static long seed(AnomalyOptions options, String link) {
    UUID u = UUID.nameUUIDFromBytes(link.getBytes(StandardCharsets.UTF_8));
    return options.randomSeed() ^ u.getMostSignificantBits() ^ u.getLeastSignificantBits();
  }

  private static ThresholdedRandomCutForest newForest(AnomalyOptions o, long seed) {
    ThresholdedRandomCutForest f =
        ThresholdedRandomCutForest.builder()
            .dimensions(DIMENSIONS)
            .shingleSize(1)
            .sampleSize(o.sampleSize())
            .numberOfTrees(o.numberOfTrees())
            .outputAfter(o.warmUpWindows())
            .randomSeed(seed)
            .precision(Precision.FLOAT_32)
            .forestMode(ForestMode.STANDARD)
            .transformMethod(TransformMethod.NORMALIZE)
            .parallelExecutionEnabled(false)
            .weights(WEIGHTS.clone())
            .ignoreNearExpectedFromAbove(TOLERANCE.clone())
            .ignoreNearExpectedFromBelow(TOLERANCE.clone())
            .build();
    f.setZfactor(o.zFactor());
    return f;
  }

  /** The features of the last window seen, or null before the first. */
  public WindowFeatures lastFeatures() {
    return last;
  }

  /** Windows seen so far (duplicates and empty windows excluded). */
  public long windowsSeen() {
    return windowsSeen;
  }

  /**
   * Scores the window starting at {@code start} and learns from it.
   *
   * @param features the window's features; null for a window without transfers ({@link
   *     Verdict.Empty})
   */
  public Verdict score(Instant start, WindowFeatures features) {
    long s = start.toEpochMilli();
    if (s <= lastWindowStart) {
      return new Verdict.Duplicate();
    }
    if (features == null) {
      return new Verdict.Empty();
    }
    lastWindowStart = s;
    windowsSeen++;
    last = features;
    AnomalyDescriptor d = forest.process(toPoint(features), windowsSeen);
    if (windowsSeen <= options.warmUpWindows()) {
      remember(features);
      return new Verdict.WarmingUp(windowsSeen, options.warmUpWindows());
    }
    double grade = d.getAnomalyGrade();
    Feature harm = grade >= options.gradeThreshold() ? harm(features, d) : null;
    boolean anomaly = harm != null;
    WindowFeatures usual = anomaly ? usual() : null;
    if (!anomaly) {
      remember(features);
    }
    return new Verdict.Scored(
        d.getRCFScore(), grade, anomaly, anomaly ? harm : blame(d, features), usual, windowsSeen);
  }

  private void remember(WindowFeatures f) {
    reference.addLast(f);
    while (reference.size() > REFERENCE_WINDOWS) {
      reference.removeFirst();
    }
  }

  /** The link's usual window: per feature, the reference quantile the rule compares with. */
  private WindowFeatures usual() {
    if (reference.isEmpty()) {
      return null;
    }
    return new WindowFeatures(
        quantile(Feature.THROUGHPUT, THROUGHPUT_QUANTILE),
        quantile(Feature.P95_DURATION, DURATION_QUANTILE),
        quantile(Feature.FAILURE_RATIO, FAILURE_QUANTILE),
        Math.round(quantile(Feature.TRANSFERS, 0.5)));
  }

  private double quantile(Feature f, double q) {
    double[] v = new double[reference.size()];
    int i = 0;
    for (WindowFeatures w : reference) {
      v[i++] = w.get(f);
    }
    Arrays.sort(v);
    double pos = q * (v.length - 1);
    int lo = (int) Math.floor(pos);
    int hi = Math.min(v.length - 1, lo + 1);
    return v[lo] + (pos - lo) * (v[hi] - v[lo]);
  }

  /**
   * The confirmation rule: of the features that moved the harmful way beyond their bar (throughput
   * down by {@link AnomalyOptions#throughputDrop()}, p95 duration up by {@link
   * AnomalyOptions#durationRise()}, failure ratio up by {@link AnomalyOptions#failureRise()}, each
   * against the link's {@link #usual()} window), the one with the largest attribution of the score;
   * null when none did, and then the window is not an anomaly whatever its grade.
   */
  private Feature harm(WindowFeatures f, AnomalyDescriptor d) {
    WindowFeatures u = usual();
    if (u == null) {
      return null;
    }
    boolean slower =
        f.throughputBytesPerSecond() * options.throughputDrop() <= u.throughputBytesPerSecond()
            && u.throughputBytesPerSecond() > 0;
    boolean longer =
        f.p95DurationSeconds() >= u.p95DurationSeconds() * options.durationRise()
            && f.p95DurationSeconds() > 0;
    boolean failing =
        f.failureRatio() >= u.failureRatio() + options.failureRise() && f.failureRatio() > 0;
    if (!slower && !longer && !failing) {
      return null;
    }
    double[] w = attribution(d);
    Feature best = null;
    for (Feature c :
        new Feature[] {Feature.FAILURE_RATIO, Feature.THROUGHPUT, Feature.P95_DURATION}) {
      boolean harmful =
          switch (c) {
            case THROUGHPUT -> slower;
            case P95_DURATION -> longer;
            case FAILURE_RATIO -> failing;
            case TRANSFERS -> false;
          };
      if (harmful && (best == null || (w != null && w[c.ordinal()] > w[best.ordinal()]))) {
        best = c;
      }
    }
    return best;
  }

  private static double[] toPoint(WindowFeatures f) {
    return new double[] {
      Math.log1p(f.throughputBytesPerSecond()),
      Math.log1p(f.p95DurationSeconds()),
      f.failureRatio(),
      Math.log1p(f.transfers())
    };
  }

  /** Each input dimension's share of the score, or null when the forest gave none. */
  private static double[] attribution(AnomalyDescriptor d) {
    double[] weights = d.getRelevantAttribution();
    if (weights == null || weights.length < DIMENSIONS) {
      DiVector a = d.getAttribution();
      if (a == null) {
        return null;
      }
      weights = new double[DIMENSIONS];
      int base = a.getDimensions() - DIMENSIONS; // the newest point of a shingle is last
      for (int i = 0; i < DIMENSIONS; i++) {
        weights[i] = a.getHighLowSum(base + i);
      }
    }
    return weights;
  }

  /** The feature with the largest attribution of the score. */
  private static Feature blame(AnomalyDescriptor d, WindowFeatures features) {
    double[] weights = attribution(d);
    if (weights == null) {
      return Feature.THROUGHPUT;
    }
    int best = 0;
    for (int i = 1; i < DIMENSIONS; i++) {
      if (weights[i] > weights[best]) {
        best = i;
      }
    }
    return Feature.values()[best];
  }

  // --- persistence -------------------------------------------------------------------------------

  /**
   * The model as bytes: a small header (format, windows seen, last window, last features) and the
   * forest's state ({@link ThresholdedRandomCutForestMapper}) in Java serialization. Not
   * compressed: deflating took longer than building the state and saved only a third of the bytes
   * (about 80 KB with the defaults).
   */
  public byte[] toBytes() {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream(16 * 1024);
    try (DataOutputStream out = new DataOutputStream(bytes)) {
      out.writeByte(FORMAT);
      out.writeLong(windowsSeen);
      out.writeLong(lastWindowStart);
      out.writeBoolean(last != null);
      if (last != null) {
        out.writeDouble(last.throughputBytesPerSecond());
        out.writeDouble(last.p95DurationSeconds());
        out.writeDouble(last.failureRatio());
        out.writeLong(last.transfers());
      }
      out.writeShort(reference.size());
      for (WindowFeatures r : reference) {
        out.writeDouble(r.throughputBytesPerSecond());
        out.writeDouble(r.p95DurationSeconds());
        out.writeDouble(r.failureRatio());
        out.writeLong(r.transfers());
      }
      out.flush();
      ObjectOutputStream o = new ObjectOutputStream(out);
      o.writeObject(new ThresholdedRandomCutForestMapper().toState(forest));
      o.flush();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot serialize an anomaly model", e);
    }
    return bytes.toByteArray();
  }

  /**
   * Whether {@code data} (from {@link #toBytes()}) is this model's current state: same windows seen
   * and same last window. Reads the header only, so a caller holding a deserialized model can tell
   * cheaply whether the stored bytes moved (or went back, after an aborted transaction).
   */
  public boolean isStateOf(byte[] data) {
    if (data == null || data.length < 17 || (data[0] != FORMAT && data[0] != FORMAT_1)) {
      return false;
    }
    java.nio.ByteBuffer b = java.nio.ByteBuffer.wrap(data, 1, 16);
    return b.getLong() == windowsSeen && b.getLong() == lastWindowStart;
  }

  /**
   * Reads what {@link #toBytes()} wrote. Only the forest's state classes, JDK collections and
   * arrays may appear in the serialized part ({@link ObjectInputFilter}), so corrupt or hostile
   * bytes cannot instantiate anything else.
   *
   * @throws IllegalArgumentException when the bytes are not a model of a known format
   */
  public static LinkDetector fromBytes(byte[] data, AnomalyOptions options) {
    try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(data))) {
      byte format = in.readByte();
      if (format != FORMAT && format != FORMAT_1) {
        throw new IllegalArgumentException("unknown anomaly model format " + format);
      }
      long seen = in.readLong();
      long lastStart = in.readLong();
      WindowFeatures last = null;
      if (in.readBoolean()) {
        last = new WindowFeatures(in.readDouble(), in.readDouble(), in.readDouble(), in.readLong());
      }
      ArrayDeque<WindowFeatures> reference = new ArrayDeque<>();
      if (format == FORMAT) {
        int n = in.readUnsignedShort();
        for (int i = 0; i < n; i++) {
          reference.add(
              new WindowFeatures(in.readDouble(), in.readDouble(), in.readDouble(), in.readLong()));
        }
      }
      ThresholdedRandomCutForestState state;
      try (ObjectInputStream o = new ObjectInputStream(in)) {
        o.setObjectInputFilter(LinkDetector::allowed);
        state = (ThresholdedRandomCutForestState) o.readObject();
      }
      ThresholdedRandomCutForest forest = new ThresholdedRandomCutForestMapper().toModel(state, 0L);
      forest.setZfactor(options.zFactor());
      return new LinkDetector(options, forest, seen, lastStart, last, reference);
    } catch (IOException | ClassNotFoundException | ClassCastException e) {
      throw new IllegalArgumentException("not an anomaly model: " + e, e);
    }
  }

  private static ObjectInputFilter.Status allowed(ObjectInputFilter.FilterInfo info) {
    Class<?> c = info.serialClass();
    if (c == null) {
      return info.depth() > 64 || info.references() > 1_000_000
          ? ObjectInputFilter.Status.REJECTED
          : ObjectInputFilter.Status.UNDECIDED;
    }
    while (c.isArray()) {
      c = c.getComponentType();
    }
    String n = c.getName();
    return c.isPrimitive()
            || n.startsWith("com.amazon.randomcutforest.")
            || n.startsWith("java.lang.")
            || n.startsWith("java.util.")
        ? ObjectInputFilter.Status.ALLOWED
        : ObjectInputFilter.Status.REJECTED;
  }
}
