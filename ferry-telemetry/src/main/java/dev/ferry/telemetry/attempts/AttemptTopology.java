package dev.ferry.telemetry.attempts;

import dev.ferry.model.event.Topics;
import dev.ferry.telemetry.aggregate.LinkKey;
import dev.ferry.telemetry.streams.DeadLetters;
import dev.ferry.telemetry.streams.EnvelopeTimeExtractor;
import dev.ferry.telemetry.streams.TelemetrySerdes;
import java.time.Duration;
import java.time.Instant;
import java.util.Objects;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.AutoOffsetReset;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.Stores;
import org.apache.kafka.streams.state.WindowStore;
import org.apache.kafka.streams.state.WindowStoreIterator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The attempt sub-topology of the telemetry application: {@code ferry.attempts} in, running totals
 * per tenant and link out, in the same {@code exactly_once_v2} transactions as the rest.
 *
 * <pre>
 *  ferry.attempts ──► ferry-attempts-source ──► ferry-attempt-aggregator ──► stores:
 *   (key SRC-&gt;DST,     (event time = envelope     │  ferry-attempt-totals  (LinkKey → AttemptStats)
 *    attempt envelopes)  time)                    │  ferry-attempts-seen   (taskId/attempt, 7 days)
 *                                                 └──► ferry.dead-letter (unreadable, no tenant)
 * </pre>
 *
 * <p>Duplicates: a worker produces each attempt once, with an idempotent producer, but a record can
 * still come twice (a worker that resent after a timeout, a replayed topic); the attempt's identity
 * ({@code taskId/attempt}) is remembered for {@link Options#dedupRetention()} of event time, and a
 * second record of the same attempt is not counted. Records arrive keyed by link, so one link's
 * totals live on one partition.
 */
public final class AttemptTopology {
  private static final Logger log = LoggerFactory.getLogger(AttemptTopology.class);

  public static final String SOURCE = "ferry-attempts-source";
  public static final String AGGREGATOR = "ferry-attempt-aggregator";
  public static final String DEAD_LETTER_SINK = "ferry-attempt-dead-letter-sink";

  /** Running totals: {@code KeyValueStore<LinkKey, AttemptStats>}. */
  public static final String TOTALS_STORE = "ferry-attempt-totals";

  /**
   * Attempts already counted: {@code WindowStore<String, Long>} keyed by {@code taskId/attempt}.
   */
  public static final String SEEN_STORE = "ferry-attempts-seen";

  /** The {@code ferry-consumer} header value on dead letters. */
  public static final String CONSUMER = "ferry-attempt-aggregator";

  private AttemptTopology() {}

  /**
   * What the sub-topology reads and how long it remembers attempts.
   *
   * @param attemptsTopic attempts in ({@code ferry.attempts})
   * @param deadLetterTopic unreadable records ({@code ferry.dead-letter})
   * @param dedupRetention how long (event time) an attempt's identity is kept to drop duplicates
   */
  public record Options(String attemptsTopic, String deadLetterTopic, Duration dedupRetention) {
    public Options {
      Objects.requireNonNull(attemptsTopic, "attemptsTopic");
      Objects.requireNonNull(deadLetterTopic, "deadLetterTopic");
      if (dedupRetention == null || dedupRetention.isNegative() || dedupRetention.isZero()) {
        throw new IllegalArgumentException("dedupRetention must be positive");
      }
    }

    /** Ferry's topics, duplicates dropped within 7 days. */
    public static Options defaults() {
      return new Options(Topics.ATTEMPTS, Topics.DEAD_LETTER, Duration.ofDays(7));
    }

    public Options withTopics(String attempts, String deadLetter) {
      return new Options(attempts, deadLetter, dedupRetention);
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
        options.attemptsTopic());
    t.addProcessor(AGGREGATOR, () -> new Aggregator(options), SOURCE);
    t.addStateStore(
        Stores.keyValueStoreBuilder(
            Stores.persistentKeyValueStore(TOTALS_STORE), TelemetrySerdes.linkKey(), statsSerde()),
        AGGREGATOR);
    t.addStateStore(
        Stores.windowStoreBuilder(
            Stores.persistentWindowStore(
                SEEN_STORE, options.dedupRetention(), Duration.ofMillis(1), false),
            Serdes.String(),
            Serdes.Long()),
        AGGREGATOR);
    t.addSink(
        DEAD_LETTER_SINK,
        options.deadLetterTopic(),
        new StringSerializer(),
        new ByteArraySerializer(),
        AGGREGATOR);
    return t;
  }

  /** JSON, since the totals are small and written once per attempt. */
  public static Serde<AttemptStats> statsSerde() {
    return TelemetrySerdes.json(AttemptStats.class);
  }

  /** Counts each attempt once into its link's totals. One instance per stream task. */
  static final class Aggregator implements Processor<String, byte[], String, byte[]> {
    private final Options options;
    private ProcessorContext<String, byte[]> context;
    private KeyValueStore<LinkKey, AttemptStats> totals;
    private WindowStore<String, Long> seen;

    Aggregator(Options options) {
      this.options = options;
    }

    @Override
    public void init(ProcessorContext<String, byte[]> context) {
      this.context = context;
      this.totals = context.getStateStore(TOTALS_STORE);
      this.seen = context.getStateStore(SEEN_STORE);
    }

    @Override
    public void process(Record<String, byte[]> record) {
      AttemptEvent e;
      try {
        e = AttemptEvent.parse(record.value());
      } catch (IllegalArgumentException ex) {
        deadLetter(record, ex.getMessage());
        return;
      }
      if (e == null) {
        return; // another event type: ignored
      }
      long t = record.timestamp();
      String key = e.dedupKey();
      Instant from = Instant.ofEpochMilli(Math.max(0, t - options.dedupRetention().toMillis()));
      Instant to = Instant.ofEpochMilli(t + options.dedupRetention().toMillis());
      try (WindowStoreIterator<Long> it = seen.backwardFetch(key, from, to)) {
        if (it.hasNext()) {
          log.debug("attempt {} already counted; duplicate record {} dropped", key, e.id());
          return;
        }
      }
      seen.put(key, t, t);
      AttemptStats current = totals.get(e.link());
      totals.put(e.link(), (current == null ? AttemptStats.EMPTY : current).plus(e));
    }

    private void deadLetter(Record<String, byte[]> record, String reason) {
      new DeadLetters(options.attemptsTopic(), CONSUMER, DEAD_LETTER_SINK)
          .send(context, record, reason);
    }
  }
}
