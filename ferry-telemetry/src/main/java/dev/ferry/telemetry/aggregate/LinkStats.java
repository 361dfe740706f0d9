package dev.ferry.telemetry.aggregate;

import com.datadoghq.sketch.ddsketch.DDSketch;
import com.datadoghq.sketch.ddsketch.encoding.ByteArrayInput;
import com.datadoghq.sketch.ddsketch.encoding.GrowingByteArrayOutput;
import com.datadoghq.sketch.ddsketch.mapping.IndexMapping;
import com.datadoghq.sketch.ddsketch.mapping.LogarithmicMapping;
import com.datadoghq.sketch.ddsketch.store.Bin;
import com.datadoghq.sketch.ddsketch.store.CollapsingLowestDenseStore;
import com.datadoghq.sketch.ddsketch.store.Store;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.EnumMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.function.Supplier;

/**
 * A mergeable accumulator of transfer facts for one link over some span (a window, or all time):
 * counts by outcome, bytes, failures by error class, an exact classic histogram and a DDSketch of
 * the duration of successful transfers, a DDSketch of their throughput, and the first and last
 * event time.
 *
 * <p>Engine-free: no Kafka, no framework. {@link #add} folds in one fact, {@link #merge} folds in
 * another accumulator; merge is associative and commutative, and the empty accumulator is its
 * identity, so partial results from any number of partitions, windows or engines combine to the
 * same value. {@link #toBytes()} and {@link #fromBytes(byte[])} give a compact, versioned encoding
 * (a Kafka {@code Serde} wraps them).
 *
 * <p>What is measured, and why:
 *
 * <ul>
 *   <li>Durations and throughput count <em>succeeded</em> facts only: a skipped file moved nothing
 *       and a failed attempt's duration says little about the link. So the histogram's count equals
 *       the succeeded count, an invariant the consistency checker can use.
 *   <li>The duration of a fact is its attempt's duration ({@link TransferFact#durationMillis()}),
 *       shared by every file of a batch task; throughput is {@code bytes / duration}, so for files
 *       of a batch it is a lower bound. Worker-side per-file timing ({@code ferry.attempts}) can
 *       refine both later.
 *   <li>The classic histogram buckets ({@link #durationBucketBoundsSeconds()}) are counted exactly,
 *       not derived from the sketch, so the exported histogram is exact and aggregatable; the
 *       sketch answers quantiles within {@value #RELATIVE_ACCURACY} relative error.
 *   <li>Failures by error class keep at most {@value #MAX_ERROR_CLASSES} classes: the
 *       alphabetically first ones, the rest folded into {@value #OTHER_ERROR_CLASS}. Folding by
 *       name (not by frequency) keeps merge associative and commutative.
 * </ul>
 *
 * <p>Not thread-safe: an instance belongs to one thread at a time (a stream task, a query). {@link
 * #equals} compares contents, sketches bin by bin.
 */
public final class LinkStats {

  /** Relative accuracy of both sketches' quantiles. */
  public static final double RELATIVE_ACCURACY = 0.01;

  /** At most this many error classes are kept, {@value #OTHER_ERROR_CLASS} included. */
  public static final int MAX_ERROR_CLASSES = 32;

  /** Where error classes beyond {@link #MAX_ERROR_CLASSES} are counted. */
  public static final String OTHER_ERROR_CLASS = "other";

  /** The error class of a failure that gave none. */
  public static final String UNKNOWN_ERROR_CLASS = "unknown";

  private static final byte FORMAT_V1 = 1;

  /** Upper bounds (inclusive) of the classic duration buckets, in milliseconds; +Inf follows. */
  private static final long[] BUCKET_BOUNDS_MILLIS = {
    50, 100, 250, 500, 1_000, 2_500, 5_000, 10_000, 30_000, 60_000, 120_000, 300_000, 600_000,
    1_800_000, 3_600_000
  };

  private static final IndexMapping MAPPING = new LogarithmicMapping(RELATIVE_ACCURACY);

  // 2,048 bins at 1 % cover 36 orders of magnitude: collapsing never happens in practice, but
  // memory stays bounded whatever a worker reports.
  private static final Supplier<Store> STORE = () -> new CollapsingLowestDenseStore(2_048);

  private final long[] outcomes;
  private long bytes;
  private long retryableFailures;
  private final TreeMap<String, Long> failuresByErrorClass;
  private long durationMillisSum;
  private final long[] durationBuckets;
  private final DDSketch durationSeconds;
  private final DDSketch throughput;
  private long firstEventMillis;
  private long lastEventMillis;

  /** An empty accumulator: the identity of {@link #merge}. */
  public LinkStats() {
    this(
        new long[Outcome.values().length],
        0,
        0,
        new TreeMap<>(),
        0,
        new long[BUCKET_BOUNDS_MILLIS.length + 1],
        newSketch(),
        newSketch(),
        Long.MAX_VALUE,
        Long.MIN_VALUE);
  }

  private LinkStats(
      long[] outcomes,
      long bytes,
      long retryableFailures,
      TreeMap<String, Long> failuresByErrorClass,
      long durationMillisSum,
      long[] durationBuckets,
      DDSketch durationSeconds,
      DDSketch throughput,
      long firstEventMillis,
      long lastEventMillis) {
    this.outcomes = outcomes;
    this.bytes = bytes;
    this.retryableFailures = retryableFailures;
    this.failuresByErrorClass = failuresByErrorClass;
    this.durationMillisSum = durationMillisSum;
    this.durationBuckets = durationBuckets;
    this.durationSeconds = durationSeconds;
    this.throughput = throughput;
    this.firstEventMillis = firstEventMillis;
    this.lastEventMillis = lastEventMillis;
  }

  private static DDSketch newSketch() {
    return new DDSketch(MAPPING, STORE);
  }

  /** The accumulator of the given facts, in order. */
  public static LinkStats of(Iterable<TransferFact> facts) {
    LinkStats s = new LinkStats();
    facts.forEach(s::add);
    return s;
  }

  /** Folds one fact in; returns this. The caller deduplicates: a fact added twice counts twice. */
  public LinkStats add(TransferFact fact) {
    outcomes[fact.outcome().ordinal()]++;
    bytes += fact.bytes();
    long t = fact.time().toEpochMilli();
    firstEventMillis = Math.min(firstEventMillis, t);
    lastEventMillis = Math.max(lastEventMillis, t);
    switch (fact.outcome()) {
      case SUCCEEDED -> {
        long d = fact.durationMillis();
        durationMillisSum += d;
        durationBuckets[bucketOf(d)]++;
        durationSeconds.accept(d / 1000.0);
        if (d > 0 && fact.bytes() > 0) {
          throughput.accept(fact.bytes() * 1000.0 / d);
        }
      }
      case FAILED -> {
        if (fact.retryable()) {
          retryableFailures++;
        }
        String cls = fact.errorClass() == null ? UNKNOWN_ERROR_CLASS : fact.errorClass();
        failuresByErrorClass.merge(cls, 1L, Long::sum);
        capErrorClasses();
      }
      case SKIPPED -> {}
    }
    return this;
  }

  /**
   * Folds another accumulator in; returns this. {@code other} is not changed. Associative and
   * commutative: {@code a.merge(b)} equals {@code b.merge(a)} in content.
   */
  public LinkStats merge(LinkStats other) {
    for (int i = 0; i < outcomes.length; i++) {
      outcomes[i] += other.outcomes[i];
    }
    bytes += other.bytes;
    retryableFailures += other.retryableFailures;
    other.failuresByErrorClass.forEach((k, v) -> failuresByErrorClass.merge(k, v, Long::sum));
    capErrorClasses();
    durationMillisSum += other.durationMillisSum;
    for (int i = 0; i < durationBuckets.length; i++) {
      durationBuckets[i] += other.durationBuckets[i];
    }
    durationSeconds.mergeWith(other.durationSeconds);
    throughput.mergeWith(other.throughput);
    firstEventMillis = Math.min(firstEventMillis, other.firstEventMillis);
    lastEventMillis = Math.max(lastEventMillis, other.lastEventMillis);
    return this;
  }

  /** A deep copy. */
  public LinkStats copy() {
    return new LinkStats(
        outcomes.clone(),
        bytes,
        retryableFailures,
        new TreeMap<>(failuresByErrorClass),
        durationMillisSum,
        durationBuckets.clone(),
        durationSeconds.copy(),
        throughput.copy(),
        firstEventMillis,
        lastEventMillis);
  }

  /** A new accumulator equal to {@code a} merged with {@code b}; neither is changed. */
  public static LinkStats merged(LinkStats a, LinkStats b) {
    return a.copy().merge(b);
  }

  private void capErrorClasses() {
    if (failuresByErrorClass.size() <= MAX_ERROR_CLASSES) {
      return;
    }
    long folded = failuresByErrorClass.getOrDefault(OTHER_ERROR_CLASS, 0L);
    int kept = 0;
    for (Iterator<Map.Entry<String, Long>> it = failuresByErrorClass.entrySet().iterator();
        it.hasNext(); ) {
      Map.Entry<String, Long> e = it.next();
      if (e.getKey().equals(OTHER_ERROR_CLASS)) {
        continue;
      }
      if (kept < MAX_ERROR_CLASSES - 1) {
        kept++;
      } else {
        folded += e.getValue();
        it.remove();
      }
    }
    failuresByErrorClass.put(OTHER_ERROR_CLASS, folded);
  }

  private static int bucketOf(long millis) {
    for (int i = 0; i < BUCKET_BOUNDS_MILLIS.length; i++) {
      if (millis <= BUCKET_BOUNDS_MILLIS[i]) {
        return i;
      }
    }
    return BUCKET_BOUNDS_MILLIS.length;
  }

  // ---- queries

  /** Whether no fact was added (or merged) yet. */
  public boolean isEmpty() {
    return transfers() == 0;
  }

  /** Facts with the given outcome. */
  public long count(Outcome outcome) {
    return outcomes[outcome.ordinal()];
  }

  /** Counts by outcome, every outcome present (zero when none). */
  public Map<Outcome, Long> counts() {
    Map<Outcome, Long> m = new EnumMap<>(Outcome.class);
    for (Outcome o : Outcome.values()) {
      m.put(o, outcomes[o.ordinal()]);
    }
    return m;
  }

  /** All facts, whatever their outcome. */
  public long transfers() {
    long n = 0;
    for (long c : outcomes) {
      n += c;
    }
    return n;
  }

  /** Bytes published at destinations (failed and skipped files add none). */
  public long bytes() {
    return bytes;
  }

  /** Failed facts that said another attempt may succeed. */
  public long retryableFailures() {
    return retryableFailures;
  }

  /** Failed facts by error class, in name order; unmodifiable. */
  public SortedMap<String, Long> failuresByErrorClass() {
    return Collections.unmodifiableSortedMap(new TreeMap<>(failuresByErrorClass));
  }

  /** Failed facts over all facts; 0 when there are none. */
  public double failureRatio() {
    long n = transfers();
    return n == 0 ? 0 : (double) count(Outcome.FAILED) / n;
  }

  /** The classic buckets' inclusive upper bounds in seconds, ascending, without the +Inf one. */
  public static double[] durationBucketBoundsSeconds() {
    return Arrays.stream(BUCKET_BOUNDS_MILLIS).mapToDouble(m -> m / 1000.0).toArray();
  }

  /**
   * Succeeded facts per duration bucket, not cumulative: element {@code i} counts durations in
   * {@code (bound[i-1], bound[i]]}; the last element is the +Inf bucket. A copy.
   */
  public long[] durationBucketCounts() {
    return durationBuckets.clone();
  }

  /** Sum of the durations of succeeded facts, in seconds (exact to the millisecond). */
  public double durationSumSeconds() {
    return durationMillisSum / 1000.0;
  }

  /** The durations' {@code q}-quantile in seconds, empty when no fact succeeded. */
  public OptionalDouble durationQuantileSeconds(double q) {
    return quantile(durationSeconds, q);
  }

  /** The throughput's {@code q}-quantile in bytes per second, empty when none was measured. */
  public OptionalDouble throughputQuantileBytesPerSecond(double q) {
    return quantile(throughput, q);
  }

  private static OptionalDouble quantile(DDSketch sketch, double q) {
    if (!(q >= 0 && q <= 1)) {
      throw new IllegalArgumentException("quantile " + q + " is not in [0, 1]");
    }
    return sketch.isEmpty()
        ? OptionalDouble.empty()
        : OptionalDouble.of(sketch.getValueAtQuantile(q));
  }

  /** The earliest event time folded in; empty when empty. */
  public Optional<Instant> firstEventTime() {
    return isEmpty() ? Optional.empty() : Optional.of(Instant.ofEpochMilli(firstEventMillis));
  }

  /** The latest event time folded in (not the last one to arrive); empty when empty. */
  public Optional<Instant> lastEventTime() {
    return isEmpty() ? Optional.empty() : Optional.of(Instant.ofEpochMilli(lastEventMillis));
  }

  // ---- encoding

  /** The versioned binary form, readable by {@link #fromBytes(byte[])}. */
  public byte[] toBytes() {
    VarBytes.Writer w = new VarBytes.Writer().writeByte(FORMAT_V1);
    w.writeVarLong(outcomes.length);
    for (long c : outcomes) {
      w.writeVarLong(c);
    }
    w.writeVarLong(bytes).writeVarLong(retryableFailures);
    w.writeVarLong(failuresByErrorClass.size());
    failuresByErrorClass.forEach((k, v) -> w.writeString(k).writeVarLong(v));
    w.writeVarLong(durationMillisSum);
    w.writeVarLong(durationBuckets.length);
    for (long c : durationBuckets) {
      w.writeVarLong(c);
    }
    writeSketch(w, durationSeconds);
    writeSketch(w, throughput);
    if (!isEmpty()) { // the empty accumulator's sentinels cost 20 bytes for nothing
      w.writeSignedVarLong(firstEventMillis).writeSignedVarLong(lastEventMillis);
    }
    return w.toByteArray();
  }

  /**
   * Reads the form {@link #toBytes()} wrote.
   *
   * @throws IllegalArgumentException when the bytes are truncated, corrupt or of an unknown format
   *     version
   */
  public static LinkStats fromBytes(byte[] data) {
    Objects.requireNonNull(data, "data");
    VarBytes.Reader r = new VarBytes.Reader(data);
    int version = r.readByte();
    if (version != FORMAT_V1) {
      throw new IllegalArgumentException("LinkStats: unknown format version " + version);
    }
    long[] outcomes = new long[Outcome.values().length];
    readCounts(r, outcomes, "outcomes");
    long bytes = r.readVarLong();
    long retryable = r.readVarLong();
    long classes = r.readVarLong();
    if (classes > MAX_ERROR_CLASSES) {
      throw new IllegalArgumentException("LinkStats: " + classes + " error classes");
    }
    TreeMap<String, Long> failures = new TreeMap<>();
    for (long i = 0; i < classes; i++) {
      failures.put(r.readString(), r.readVarLong());
    }
    long durationSum = r.readVarLong();
    long[] buckets = new long[BUCKET_BOUNDS_MILLIS.length + 1];
    readCounts(r, buckets, "duration buckets");
    DDSketch duration = readSketch(r);
    DDSketch throughput = readSketch(r);
    boolean empty = Arrays.stream(outcomes).sum() == 0;
    long first = empty ? Long.MAX_VALUE : r.readSignedVarLong();
    long last = empty ? Long.MIN_VALUE : r.readSignedVarLong();
    if (r.hasRemaining()) {
      throw new IllegalArgumentException("LinkStats: trailing bytes");
    }
    return new LinkStats(
        outcomes,
        bytes,
        retryable,
        failures,
        durationSum,
        buckets,
        duration,
        throughput,
        first,
        last);
  }

  private static void readCounts(VarBytes.Reader r, long[] into, String what) {
    long n = r.readVarLong();
    if (n != into.length) {
      throw new IllegalArgumentException(
          "LinkStats: " + n + " " + what + ", expected " + into.length);
    }
    for (int i = 0; i < into.length; i++) {
      into[i] = r.readVarLong();
    }
  }

  private static void writeSketch(VarBytes.Writer w, DDSketch sketch) {
    if (sketch.isEmpty()) {
      w.writeVarLong(0);
      return;
    }
    GrowingByteArrayOutput out = GrowingByteArrayOutput.withDefaultInitialCapacity();
    try {
      sketch.encode(out, true); // the mapping is fixed by the format version
    } catch (IOException e) {
      throw new UncheckedIOException("encoding a sketch in memory", e);
    }
    w.writeBytes(out.backingArray(), 0, out.numWrittenBytes());
  }

  private static DDSketch readSketch(VarBytes.Reader r) {
    int n = r.readLength();
    if (n == 0) {
      return newSketch();
    }
    int at = r.readSlice(n);
    try {
      return DDSketch.decode(ByteArrayInput.wrap(r.array(), at, n), STORE, MAPPING);
    } catch (IOException | RuntimeException e) {
      throw new IllegalArgumentException("LinkStats: corrupt sketch: " + e.getMessage(), e);
    }
  }

  // ---- identity

  @Override
  public boolean equals(Object o) {
    if (this == o) {
      return true;
    }
    return o instanceof LinkStats s
        && Arrays.equals(outcomes, s.outcomes)
        && bytes == s.bytes
        && retryableFailures == s.retryableFailures
        && failuresByErrorClass.equals(s.failuresByErrorClass)
        && durationMillisSum == s.durationMillisSum
        && Arrays.equals(durationBuckets, s.durationBuckets)
        && firstEventMillis == s.firstEventMillis
        && lastEventMillis == s.lastEventMillis
        && sameSketch(durationSeconds, s.durationSeconds)
        && sameSketch(throughput, s.throughput);
  }

  private static boolean sameSketch(DDSketch a, DDSketch b) {
    return a.getCount() == b.getCount()
        && bins(a.getPositiveValueStore()).equals(bins(b.getPositiveValueStore()))
        && bins(a.getNegativeValueStore()).equals(bins(b.getNegativeValueStore()));
  }

  private static List<Bin> bins(Store store) {
    List<Bin> bins = new ArrayList<>();
    store.getAscendingIterator().forEachRemaining(b -> bins.add(b));
    bins.removeIf(b -> b.getCount() == 0);
    return bins;
  }

  @Override
  public int hashCode() {
    return Objects.hash(
        Arrays.hashCode(outcomes),
        bytes,
        failuresByErrorClass,
        durationMillisSum,
        Arrays.hashCode(durationBuckets),
        firstEventMillis,
        lastEventMillis);
  }

  @Override
  public String toString() {
    return "LinkStats{succeeded="
        + count(Outcome.SUCCEEDED)
        + ", skipped="
        + count(Outcome.SKIPPED)
        + ", failed="
        + count(Outcome.FAILED)
        + ", bytes="
        + bytes
        + ", failuresByErrorClass="
        + failuresByErrorClass
        + ", durationP95="
        + durationQuantileSeconds(0.95)
        + ", lastEvent="
        + lastEventTime().orElse(null)
        + "}";
  }
}
