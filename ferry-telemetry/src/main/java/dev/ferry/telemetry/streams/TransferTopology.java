package dev.ferry.telemetry.streams;

import dev.ferry.model.event.Topics;
import dev.ferry.telemetry.aggregate.LinkStats;
import java.time.Duration;
import java.util.Objects;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.AutoOffsetReset;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.state.Stores;

/**
 * The telemetry topology: transfer facts in, per-link aggregates out, in state stores that
 * interactive queries and the Prometheus collector read.
 *
 * <pre>
 *  ferry.transfers ──► ferry-transfers-source ──► ferry-transfer-aggregator ──► ferry.dead-letter
 *   (key SRC-&gt;DST,      (event time = envelope      │ stores:                    (unreadable or
 *    JSON envelope)      time)                       │  ferry-transfer-ids         unknown version)
 *                                                    │  ferry-link-totals
 *                                                    │  ferry-link-windows
 *                                                    │  ferry-link-late
 *                                                    │  ferry-link-windows-closed
 *                                                    └──► WindowListener, optionally ferry.link-stats
 * </pre>
 *
 * <p>One processor does it all, on the partition the fact arrived on: the facts of a link all carry
 * the key {@code SRC->DST}, so every (tenant, link) lives on one partition and no repartition topic
 * is needed (under {@code exactly_once_v2} a repartition would roughly halve throughput). Queries
 * still merge equal keys across partitions ({@link LinkStats} is mergeable), so a producer that
 * keyed differently would cost nothing but locality. For each fact:
 *
 * <ol>
 *   <li>Read and validate the envelope; a malformed one, or one of an unknown schema version, goes
 *       to the dead-letter topic with headers {@code ferry-reason} and {@code ferry-consumer}.
 *       Events of other types are ignored.
 *   <li>Deduplicate by event id: ids are remembered in {@value #SEEN_IDS_STORE} (a window store
 *       keyed by id at the event time) for {@link Options#dedupRetention()} of stream time (1 h by
 *       default). A duplicate arriving later than that counts twice; the outbox relay re-sends only
 *       what it published just before a crash, so its duplicates come within seconds or minutes.
 *   <li>Add the fact to the link's running totals ({@value #TOTALS_STORE}, all time).
 *   <li>Add it to the link's tumbling window ({@value #WINDOWS_STORE}, {@link Options#windowSize()}
 *       long, 1 minute by default, kept for {@link Options#windowRetention()}), unless the window
 *       closed: a window closes when stream time (the largest event time seen on the partition)
 *       reaches its end plus {@link Options#grace()} (30 s by default). A late fact is <b>still
 *       counted in the totals</b>, which must equal what happened, and is counted per link in
 *       {@value #LATE_STORE}, so that windows + late = totals holds for every link.
 *   <li>Emit the windows that closed to the {@link WindowListener} (and to {@code ferry.link-stats}
 *       when configured); {@value #WINDOW_MARK_STORE} remembers up to where, per partition.
 * </ol>
 *
 * <p>{@code ferry.attempts} is counted by a sub-topology of its own ({@link
 * dev.ferry.telemetry.attempts.AttemptTopology}); nothing here depends on it.
 */
public final class TransferTopology {

  public static final String SOURCE = "ferry-transfers-source";
  public static final String AGGREGATOR = "ferry-transfer-aggregator";
  public static final String DEAD_LETTER_SINK = "ferry-dead-letter-sink";
  public static final String LINK_STATS_SINK = "ferry-link-stats-sink";

  /** Event ids seen recently: {@code WindowStore<String, Long>}. */
  public static final String SEEN_IDS_STORE = "ferry-transfer-ids";

  /** Running totals per link since the beginning: {@code KeyValueStore<LinkKey, LinkStats>}. */
  public static final String TOTALS_STORE = "ferry-link-totals";

  /** Tumbling windows per link: {@code WindowStore<LinkKey, LinkStats>}. */
  public static final String WINDOWS_STORE = "ferry-link-windows";

  /**
   * Facts per link that arrived after their window closed: {@code KeyValueStore<LinkKey, Long>}.
   */
  public static final String LATE_STORE = "ferry-link-late";

  /** Per partition, the start of the last window emitted as closed. Internal. */
  public static final String WINDOW_MARK_STORE = "ferry-link-windows-closed";

  /** The default window size ({@link Options#windowSize()}): 1 minute. */
  public static final Duration WINDOW_SIZE = Duration.ofMinutes(1);

  /** The default grace ({@link Options#grace()}): 30 seconds. */
  public static final Duration GRACE = Duration.ofSeconds(30);

  /** The {@code ferry-consumer} header value on dead letters. */
  public static final String CONSUMER = "ferry-telemetry";

  private TransferTopology() {}

  /**
   * What the topology reads and writes, how long its windows are and how long it remembers.
   * Validated on construction; change through the {@code withX} copies.
   *
   * @param inputTopic the transfer facts ({@code ferry.transfers})
   * @param deadLetterTopic where unreadable facts go ({@code ferry.dead-letter}); must exist
   * @param linkStatsTopic where closed windows are published as JSON envelopes; null for none. Must
   *     exist when set (the telemetry role does not create topics)
   * @param dedupRetention how long (in stream time) event ids are remembered
   * @param windowRetention how long windows stay queryable; at least window size plus grace
   * @param windowListener receives closed windows; see its contract
   * @param windowSize the length of the tumbling windows ({@link #WINDOW_SIZE}, 1 min, by default);
   *     whole milliseconds, at least 1 s. Windows are aligned to the epoch, so a size that divides
   *     a minute or an hour gives windows on round clock times. Changing it on an existing
   *     application id leaves the old windows in the store under their old boundaries: use a new
   *     application id (or state) when changing it in production
   * @param grace how long, in stream time, a window stays open after its end for late facts ({@link
   *     #GRACE}, 30 s, by default); zero or more and less than {@code windowSize}, so that at most
   *     two windows of a link are open at once
   */
  public record Options(
      String inputTopic,
      String deadLetterTopic,
      String linkStatsTopic,
      Duration dedupRetention,
      Duration windowRetention,
      WindowListener windowListener,
      Duration windowSize,
      Duration grace) {

    public Options {
      Objects.requireNonNull(inputTopic, "inputTopic");
      Objects.requireNonNull(deadLetterTopic, "deadLetterTopic");
      Objects.requireNonNull(windowListener, "windowListener");
      if (dedupRetention == null || dedupRetention.toMillis() < 1) {
        throw new IllegalArgumentException("dedupRetention must be positive: " + dedupRetention);
      }
      if (windowSize == null
          || windowSize.compareTo(Duration.ofSeconds(1)) < 0
          || windowSize.toNanos() % 1_000_000 != 0) {
        throw new IllegalArgumentException(
            "windowSize must be at least 1 s, in whole milliseconds: " + windowSize);
      }
      if (grace == null || grace.isNegative() || grace.compareTo(windowSize) >= 0) {
        throw new IllegalArgumentException(
            "grace must be at least 0 and less than the window size " + windowSize + ": " + grace);
      }
      if (windowRetention == null || windowRetention.compareTo(windowSize.plus(grace)) < 0) {
        throw new IllegalArgumentException(
            "windowRetention must be at least "
                + windowSize.plus(grace)
                + " (window size + grace): "
                + windowRetention);
      }
    }

    /**
     * {@code ferry.transfers} in, {@code ferry.dead-letter}, ids for 1 h, 1-minute windows with 30
     * s of grace kept for 24 h.
     */
    public static Options defaults() {
      return new Options(
          Topics.TRANSFERS,
          Topics.DEAD_LETTER,
          null,
          Duration.ofHours(1),
          Duration.ofHours(24),
          WindowListener.NOOP,
          WINDOW_SIZE,
          GRACE);
    }

    public Options withInputTopic(String topic) {
      return new Options(
          topic,
          deadLetterTopic,
          linkStatsTopic,
          dedupRetention,
          windowRetention,
          windowListener,
          windowSize,
          grace);
    }

    public Options withDeadLetterTopic(String topic) {
      return new Options(
          inputTopic,
          topic,
          linkStatsTopic,
          dedupRetention,
          windowRetention,
          windowListener,
          windowSize,
          grace);
    }

    public Options withLinkStatsTopic(String topic) {
      return new Options(
          inputTopic,
          deadLetterTopic,
          topic,
          dedupRetention,
          windowRetention,
          windowListener,
          windowSize,
          grace);
    }

    public Options withDedupRetention(Duration d) {
      return new Options(
          inputTopic,
          deadLetterTopic,
          linkStatsTopic,
          d,
          windowRetention,
          windowListener,
          windowSize,
          grace);
    }

    public Options withWindowRetention(Duration d) {
      return new Options(
          inputTopic,
          deadLetterTopic,
          linkStatsTopic,
          dedupRetention,
          d,
          windowListener,
          windowSize,
          grace);
    }

    public Options withWindowListener(WindowListener listener) {
      return new Options(
          inputTopic,
          deadLetterTopic,
          linkStatsTopic,
          dedupRetention,
          windowRetention,
          listener,
          windowSize,
          grace);
    }

    /**
     * Windows of {@code size} with {@code grace} together, since each bounds the other (grace &lt;
     * size). The retention stays as it is and must still cover size + grace.
     */
    public Options withWindow(Duration size, Duration grace) {
      return new Options(
          inputTopic,
          deadLetterTopic,
          linkStatsTopic,
          dedupRetention,
          windowRetention,
          windowListener,
          size,
          grace);
    }

    /** The window size in milliseconds. */
    public long windowMillis() {
      return windowSize.toMillis();
    }

    /** The start of the window of this size holding {@code epochMillis}. */
    public long windowStart(long epochMillis) {
      return epochMillis - Math.floorMod(epochMillis, windowSize.toMillis());
    }
  }

  /** Builds the topology. Each call returns a new, independent topology. */
  public static Topology build(Options options) {
    Topology t = new Topology();
    // earliest: a new application id must count every fact still on the topic, not only new ones
    t.addSource(
        AutoOffsetReset.earliest(),
        SOURCE,
        new EnvelopeTimeExtractor(),
        new StringDeserializer(),
        new ByteArrayDeserializer(),
        options.inputTopic());
    t.addProcessor(AGGREGATOR, () -> new TransferAggregator(options), SOURCE);
    t.addStateStore(
        Stores.windowStoreBuilder(
            Stores.persistentWindowStore(
                SEEN_IDS_STORE, options.dedupRetention(), Duration.ofMillis(1), false),
            Serdes.String(),
            Serdes.Long()),
        AGGREGATOR);
    // the accumulators are written behind: serialized once per commit, not once per fact
    boolean writeBehind = WriteBehindKeyValueStore.enabledByDefault();
    t.addStateStore(
        WriteBehindKeyValueStore.builder(
                Stores.keyValueStoreBuilder(
                    Stores.persistentKeyValueStore(TOTALS_STORE),
                    TelemetrySerdes.linkKey(),
                    TelemetrySerdes.linkStats()),
                writeBehind)
            .withCachingEnabled(),
        AGGREGATOR);
    t.addStateStore(
        WriteBehindWindowStore.builder(
                Stores.windowStoreBuilder(
                    Stores.persistentWindowStore(
                        WINDOWS_STORE, options.windowRetention(), options.windowSize(), false),
                    TelemetrySerdes.linkKey(),
                    TelemetrySerdes.linkStats()),
                writeBehind)
            .withCachingEnabled(),
        AGGREGATOR);
    t.addStateStore(
        Stores.keyValueStoreBuilder(
            Stores.persistentKeyValueStore(LATE_STORE), TelemetrySerdes.linkKey(), Serdes.Long()),
        AGGREGATOR);
    t.addStateStore(
        Stores.keyValueStoreBuilder(
            Stores.persistentKeyValueStore(WINDOW_MARK_STORE), Serdes.String(), Serdes.Long()),
        AGGREGATOR);
    t.addSink(
        DEAD_LETTER_SINK,
        options.deadLetterTopic(),
        new StringSerializer(),
        new ByteArraySerializer(),
        AGGREGATOR);
    if (options.linkStatsTopic() != null) {
      t.addSink(
          LINK_STATS_SINK,
          options.linkStatsTopic(),
          new StringSerializer(),
          new ByteArraySerializer(),
          AGGREGATOR);
    }
    return t;
  }
}
