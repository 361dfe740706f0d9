package dev.ferry.telemetry.anomaly;

import dev.ferry.model.Json;
import dev.ferry.model.event.Topics;
import dev.ferry.telemetry.streams.EnvelopeTimeExtractor;
import dev.ferry.telemetry.streams.TelemetrySerdes;
import java.time.Clock;
import java.time.Duration;
import java.util.Objects;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.AutoOffsetReset;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.state.Stores;

/**
 * The anomaly sub-topology: closed windows in, anomalies out, each link's model in a persistent
 * store with a changelog, so that a restart (or a move of the partition to another instance)
 * continues the model instead of warming up again.
 *
 * <pre>
 *  ferry.link-stats ──► ferry-link-stats-source ──► ferry-anomaly-detector ──► ferry.anomalies
 *   (key SRC-&gt;DST,       (event time = window end)    │ stores:                (key SRC-&gt;DST,
 *    WindowSummary                                    │  ferry-anomaly-models    Anomaly envelope)
 *    envelopes)                                       │  ferry-anomaly-latest
 *                                                     │  ferry-anomalies
 *                                                     └──► ferry.dead-letter (unreadable windows)
 * </pre>
 *
 * <p>It is a second sub-topology of the telemetry application (same application id, so the same
 * {@code exactly_once_v2} transactions): the model update, the latest score, the recent anomalies
 * and the event on {@code ferry.anomalies} of one window commit together or not at all. It reads
 * {@code ferry.link-stats}, which the aggregation sub-topology writes, rather than being called by
 * the aggregation directly: the topic decouples the two (another engine's aggregates could feed
 * it), keeps the detector's cost off the aggregation's hot path, and gives the model its own
 * partitions and changelog. The key of both topics is {@code SRC->DST}, so one link's windows stay
 * on one partition and arrive in order.
 *
 * <p>Cost: every window writes its link's serialized model (tens of kilobytes) to the store and its
 * changelog, which costs far more than the forest's update itself (figures in docs/anomalies.md);
 * with windows of 10 s to 1 minute that stays small. Reading a model back is dearer still, so the
 * processor keeps recently used models deserialized and reads the store's bytes only when their
 * header shows that they are not the cached model's state (after a restart, a rebalance, or a
 * transaction that aborted and rolled the store back).
 */
public final class AnomalyTopology {

  public static final String SOURCE = "ferry-link-stats-source";
  public static final String DETECTOR = "ferry-anomaly-detector";
  public static final String SINK = "ferry-anomalies-sink";
  public static final String DEAD_LETTER_SINK = "ferry-anomaly-dead-letter-sink";

  /** Each link's serialized {@link LinkDetector}: {@code KeyValueStore<LinkKey, byte[]>}. */
  public static final String MODELS_STORE = "ferry-anomaly-models";

  /** Each link's latest {@link LinkScore}: {@code KeyValueStore<LinkKey, LinkScore>}. */
  public static final String LATEST_STORE = "ferry-anomaly-latest";

  /**
   * Recent anomalies by link and window start: {@code WindowStore<LinkKey, Anomaly>}, kept for
   * {@link AnomalyOptions#retention()}.
   */
  public static final String ANOMALIES_STORE = "ferry-anomalies";

  /** The {@code ferry-consumer} header value on dead letters. */
  public static final String CONSUMER = "ferry-anomaly-detector";

  private AnomalyTopology() {}

  /**
   * What the sub-topology reads and writes.
   *
   * @param linkStatsTopic closed windows in ({@code ferry.link-stats})
   * @param anomaliesTopic anomalies out ({@code ferry.anomalies})
   * @param deadLetterTopic unreadable windows ({@code ferry.dead-letter})
   * @param detector the model's settings
   * @param clock stamps {@link Anomaly#detectedAt()}
   */
  public record Options(
      String linkStatsTopic,
      String anomaliesTopic,
      String deadLetterTopic,
      AnomalyOptions detector,
      Clock clock) {
    public Options {
      Objects.requireNonNull(linkStatsTopic, "linkStatsTopic");
      Objects.requireNonNull(anomaliesTopic, "anomaliesTopic");
      Objects.requireNonNull(deadLetterTopic, "deadLetterTopic");
      Objects.requireNonNull(detector, "detector");
      Objects.requireNonNull(clock, "clock");
    }

    /** Ferry's topics, the given settings, the system clock. */
    public static Options of(AnomalyOptions detector) {
      return new Options(
          Topics.LINK_STATS, Topics.ANOMALIES, Topics.DEAD_LETTER, detector, Clock.systemUTC());
    }

    public Options withTopics(String linkStats, String anomalies, String deadLetter) {
      return new Options(linkStats, anomalies, deadLetter, detector, clock);
    }

    public Options withClock(Clock c) {
      return new Options(linkStatsTopic, anomaliesTopic, deadLetterTopic, detector, c);
    }
  }

  /** Adds the sub-topology to {@code t} (which may hold others) and returns {@code t}. */
  public static Topology addTo(Topology t, Options options) {
    t.addSource(
        AutoOffsetReset.earliest(),
        SOURCE,
        new EnvelopeTimeExtractor(),
        new StringDeserializer(),
        new ByteArrayDeserializer(),
        options.linkStatsTopic());
    t.addProcessor(DETECTOR, () -> new AnomalyProcessor(options), SOURCE);
    t.addStateStore(
        Stores.keyValueStoreBuilder(
            Stores.persistentKeyValueStore(MODELS_STORE),
            TelemetrySerdes.linkKey(),
            Serdes.ByteArray()),
        DETECTOR);
    t.addStateStore(
        Stores.keyValueStoreBuilder(
            Stores.persistentKeyValueStore(LATEST_STORE),
            TelemetrySerdes.linkKey(),
            json(LinkScore.class)),
        DETECTOR);
    Duration retention = options.detector().retention();
    t.addStateStore(
        Stores.windowStoreBuilder(
            Stores.persistentWindowStore(ANOMALIES_STORE, retention, Duration.ofMillis(1), false),
            TelemetrySerdes.linkKey(),
            json(Anomaly.class)),
        DETECTOR);
    t.addSink(
        SINK,
        options.anomaliesTopic(),
        new StringSerializer(),
        new ByteArraySerializer(),
        DETECTOR);
    t.addSink(
        DEAD_LETTER_SINK,
        options.deadLetterTopic(),
        new StringSerializer(),
        new ByteArraySerializer(),
        DETECTOR);
    return t;
  }

  /** A JSON serde over {@link Json#mapper()}; null stays null. */
  static <T> Serde<T> json(Class<T> type) {
    return TelemetrySerdes.json(type);
  }
}
