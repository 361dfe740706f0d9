package dev.ferry.telemetry.streams;

import dev.ferry.model.Json;
import dev.ferry.model.event.Topics;
import dev.ferry.telemetry.aggregate.FactReader;
import dev.ferry.telemetry.aggregate.LinkKey;
import dev.ferry.telemetry.aggregate.LinkStats;
import dev.ferry.telemetry.aggregate.StringPool;
import dev.ferry.telemetry.aggregate.TransferFact;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.kstream.Windowed;
import org.apache.kafka.streams.processor.StateStore;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.WindowStore;
import org.apache.kafka.streams.state.internals.WrappedStateStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one processor of {@link TransferTopology}; see there for what it does. One instance per
 * stream task (partition), called by that task's thread only.
 */
final class TransferAggregator implements Processor<String, byte[], String, byte[]> {
  private static final Logger log = LoggerFactory.getLogger(TransferAggregator.class);
  private static final String MARK_KEY = "emitted-up-to";

  private final TransferTopology.Options options;
  private final long windowMillis;
  private final long graceMillis;

  private ProcessorContext<String, byte[]> context;
  private WindowStore<String, Long> seenIds;
  private WriteBehindKeyValueStore<LinkKey, LinkStats> totals;
  private WriteBehindWindowStore<LinkKey, LinkStats> windows;
  private KeyValueStore<LinkKey, Long> late;
  private KeyValueStore<String, Long> marks;

  /** Start of the last window emitted as closed; cached from {@link #marks}. */
  private long emittedUpTo;

  /**
   * The latest value this processor put into {@link #totals} / {@link #windows}, live. Reading an
   * accumulator back from a store means decoding two sketches; with these, a link costs a decode
   * only when it was evicted. They only ever hold what is in the stores, deferred or written (this
   * processor is their one writer), are cleared in {@link #init} (a task revived after an aborted
   * transaction re-initialises its processors, and its stores are restored to the committed state)
   * and are bounded, least recently used out. The stores write behind (serialize each dirty
   * accumulator once per commit, not once per fact): see {@link WriteBehindKeyValueStore}.
   */
  private final Map<LinkKey, LinkStats> totalsCache = lru(CACHED_LINKS);

  private final Map<WindowKey, LinkStats> windowsCache = lru(CACHED_LINKS);

  /** Tenants, sites and the like as one instance each: cheap link-key hashing and comparing. */
  private final StringPool strings = new StringPool(1_024);

  private record WindowKey(LinkKey link, long start) {}

  /** Per task. Every cached accumulator holds two sketches of up to a few KiB each. */
  private static final int CACHED_LINKS = 1_000;

  private static <K> Map<K, LinkStats> lru(int max) {
    return new LinkedHashMap<>(64, 0.75f, true) {
      @Override
      protected boolean removeEldestEntry(Map.Entry<K, LinkStats> eldest) {
        return size() > max;
      }
    };
  }

  TransferAggregator(TransferTopology.Options options) {
    this.options = options;
    this.windowMillis = options.windowMillis();
    this.graceMillis = options.grace().toMillis();
  }

  @Override
  public void init(ProcessorContext<String, byte[]> context) {
    this.context = context;
    this.seenIds = context.getStateStore(TransferTopology.SEEN_IDS_STORE);
    this.totals =
        unwrap(
            context.getStateStore(TransferTopology.TOTALS_STORE), WriteBehindKeyValueStore.class);
    this.windows =
        unwrap(context.getStateStore(TransferTopology.WINDOWS_STORE), WriteBehindWindowStore.class);
    this.late = context.getStateStore(TransferTopology.LATE_STORE);
    this.marks = context.getStateStore(TransferTopology.WINDOW_MARK_STORE);
    Long mark = marks.get(MARK_KEY);
    this.emittedUpTo = mark == null ? Long.MIN_VALUE : mark;
    totalsCache.clear();
    windowsCache.clear();
  }

  /**
   * The processor context hands out its stores behind a read-write decorator (which forbids {@code
   * init}, {@code close} and the like); the write-behind methods are on the store below it.
   */
  @SuppressWarnings("unchecked")
  private static <T> T unwrap(StateStore store, Class<?> type) {
    StateStore s = store;
    while (!type.isInstance(s) && s instanceof WrappedStateStore<?, ?, ?> w) {
      s = w.wrapped();
    }
    if (!type.isInstance(s)) {
      throw new IllegalStateException(store.name() + " is not a " + type.getSimpleName());
    }
    return (T) s;
  }

  @Override
  public void close() {
    totalsCache.clear();
    windowsCache.clear();
  }

  @Override
  public void process(Record<String, byte[]> record) {
    FactReader.Result read = FactReader.read(record.value(), strings);
    if (read instanceof FactReader.Invalid invalid) {
      deadLetter(record, invalid.reason());
      return;
    }
    if (!(read instanceof FactReader.Fact parsed)) {
      return; // other types on this topic are not ours: ignored, like unknown fields
    }
    TransferFact fact = parsed.fact();
    long t = fact.time().toEpochMilli();
    if (seenIds.fetch(fact.eventId(), t) != null) {
      return; // a duplicate delivery of a fact already counted
    }
    seenIds.put(fact.eventId(), t, t);

    LinkKey link = fact.link();
    LinkStats total = totalsCache.get(link);
    if (total == null) {
      total = totals.live(link);
      total = total == null ? new LinkStats() : total;
      totalsCache.put(link, total);
    }
    totals.putDeferred(link, total.add(fact));

    long streamTime = Math.max(context.currentStreamTimeMs(), t);
    long start = options.windowStart(t);
    if (start + windowMillis + graceMillis <= streamTime) {
      Long n = late.get(link);
      late.put(link, n == null ? 1 : n + 1);
      log.debug(
          "fact {} of {} at {} is late for its window (stream time {}): counted in totals only",
          fact.eventId(),
          link,
          fact.time(),
          Instant.ofEpochMilli(streamTime));
    } else {
      WindowKey wk = new WindowKey(link, start);
      LinkStats w = windowsCache.get(wk);
      if (w == null) {
        w = windows.live(link, start);
        w = w == null ? new LinkStats() : w;
        windowsCache.put(wk, w);
      }
      windows.putDeferred(link, w.add(fact), start);
    }
    emitClosedWindows(streamTime);
  }

  /** Emits, once, every window whose end + grace is at or before {@code streamTime}. */
  private void emitClosedWindows(long streamTime) {
    long lastClosedStart = options.windowStart(streamTime - graceMillis - windowMillis);
    if (lastClosedStart <= emittedUpTo) {
      return;
    }
    long from =
        emittedUpTo == Long.MIN_VALUE
            ? lastClosedStart - options.windowRetention().toMillis()
            : emittedUpTo + 1;
    windows.writeDirty(); // the scan reads the inner store
    try (KeyValueIterator<Windowed<LinkKey>, LinkStats> it =
        windows.fetchAll(Instant.ofEpochMilli(from), Instant.ofEpochMilli(lastClosedStart))) {
      while (it.hasNext()) {
        KeyValue<Windowed<LinkKey>, LinkStats> kv = it.next();
        emit(
            new ClosedWindow(
                kv.key.key(),
                Instant.ofEpochMilli(kv.key.window().start()),
                Instant.ofEpochMilli(kv.key.window().start() + windowMillis),
                kv.value));
      }
    }
    emittedUpTo = lastClosedStart;
    marks.put(MARK_KEY, lastClosedStart);
    windowsCache.keySet().removeIf(k -> k.start() <= lastClosedStart); // closed: no more puts
  }

  private void emit(ClosedWindow window) {
    if (options.linkStatsTopic() != null) {
      WindowSummary summary = WindowSummary.of(window);
      context.forward(
          new Record<>(
              Topics.linkKey(window.link().sourceSite(), window.link().destinationSite()),
              Json.mapper().writeValueAsBytes(summary.toEnvelope()),
              window.end().toEpochMilli()),
          TransferTopology.LINK_STATS_SINK);
    }
    try {
      options.windowListener().onWindowClosed(window);
    } catch (RuntimeException e) {
      log.warn(
          "window listener failed on {} window {}; aggregation goes on",
          window.link(),
          window.start(),
          e);
    }
  }

  private void deadLetter(Record<String, byte[]> record, String reason) {
    new DeadLetters(
            options.inputTopic(), TransferTopology.CONSUMER, TransferTopology.DEAD_LETTER_SINK)
        .send(context, record, reason);
  }
}
