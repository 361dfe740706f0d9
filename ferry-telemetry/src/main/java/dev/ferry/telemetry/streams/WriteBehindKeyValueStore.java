package dev.ferry.telemetry.streams;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.processor.StateStore;
import org.apache.kafka.streams.processor.StateStoreContext;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.StoreBuilder;
import org.apache.kafka.streams.state.internals.WrappedStateStore;

/**
 * A write-behind layer on top of a (metered, changelogged, cached) key-value store: the processor
 * hands it live, mutable accumulators with {@link #putDeferred}; they are serialized and written
 * into the inner store once per commit instead of once per fact.
 *
 * <p><b>Why it is correct under {@code exactly_once_v2}.</b> Before every commit a stream task
 * calls {@code flushCache()} on each of its stores, then flushes its record collector, then commits
 * the transaction (Kafka Streams' {@code StreamTask.flush()} inside {@code prepareCommit}; this is
 * how the built-in caching layer gets its changelog records into the transaction). This store is
 * that outermost cached store: {@link #flushCache()} first puts every dirty value into the inner
 * store and only then lets the inner layers flush, so the changelog records of everything processed
 * are sent in the same transaction as the offsets of the facts that produced them. A crash before
 * the commit aborts that transaction; the task's state is then restored from the changelog, which
 * holds the committed state only, and the dirty map, which lives on the heap of a closed (or
 * re-initialised) store, is dropped: {@link #init}, {@link #close} and {@link #clearCache} (called
 * when a task is closed dirty) all clear it. Nothing is written twice and nothing is lost.
 *
 * <p>This relies on {@link WrappedStateStore} and {@code CachedStateStore}, which are Kafka Streams
 * internals (the same ones its caching layer uses); {@code TransferTopologyTest} pins the behaviour
 * on the version in use.
 *
 * <p><b>Reads.</b> Only the processor, on the stream thread, sees deferred values, through {@link
 * #live}. The ordinary {@link KeyValueStore} reads ({@code get}, {@code range}, {@code all}, used
 * by interactive queries from other threads) go to the inner store and so return the state as of
 * the last flush, at most one commit interval old: the live objects are mutable and not
 * thread-safe, so they are never handed to another thread. The ordinary writes go straight through
 * and drop any deferred value of the key.
 *
 * <p>With {@code enabled == false} (system property {@value #ENABLED_PROPERTY}, for benchmarking
 * the old path) {@link #putDeferred} writes through at once, as a plain {@code put}.
 */
final class WriteBehindKeyValueStore<K, V> extends WrappedStateStore<KeyValueStore<K, V>, K, V>
    implements KeyValueStore<K, V> {

  /** Set to {@code false} to write every value through at once (the behaviour before). */
  static final String ENABLED_PROPERTY = "ferry.telemetry.write-behind";

  /**
   * Above this many dirty keys, values are written through early (correct at any time: it only
   * moves when they are serialized), to bound the heap between commits.
   */
  static final int MAX_DIRTY = 10_000;

  private final boolean enabled;

  /** Touched by the stream thread only (process and the pre-commit flush). */
  private final Map<K, V> dirty = new HashMap<>();

  WriteBehindKeyValueStore(KeyValueStore<K, V> inner, boolean enabled) {
    super(inner);
    this.enabled = enabled;
  }

  static boolean enabledByDefault() {
    return Boolean.parseBoolean(System.getProperty(ENABLED_PROPERTY, "true"));
  }

  /** The value the processor last put for {@code key}, deferred or written. Stream thread only. */
  V live(K key) {
    V v = dirty.get(key);
    return v != null ? v : wrapped().get(key);
  }

  /**
   * Records {@code value} (a live object the caller may go on mutating, and must pass here again
   * after each change) to be written at the next flush.
   */
  void putDeferred(K key, V value) {
    if (!enabled) {
      wrapped().put(key, value);
      return;
    }
    dirty.put(key, value);
    if (dirty.size() > MAX_DIRTY) {
      writeDirty();
    }
  }

  /** Number of deferred values (tests). */
  int dirtyCount() {
    return dirty.size();
  }

  private void writeDirty() {
    if (dirty.isEmpty()) {
      return;
    }
    for (Map.Entry<K, V> e : dirty.entrySet()) {
      wrapped().put(e.getKey(), e.getValue());
    }
    dirty.clear();
  }

  @Override
  public void init(StateStoreContext context, StateStore root) {
    dirty.clear();
    super.init(context, root);
  }

  @Override
  public void flushCache() {
    writeDirty();
    super.flushCache();
  }

  @Override
  public void clearCache() {
    dirty.clear();
    super.clearCache();
  }

  @Override
  public void close() {
    dirty.clear();
    super.close();
  }

  @Override
  public void put(K key, V value) {
    dirty.remove(key);
    wrapped().put(key, value);
  }

  @Override
  public V putIfAbsent(K key, V value) {
    writeDirty();
    return wrapped().putIfAbsent(key, value);
  }

  @Override
  public void putAll(List<KeyValue<K, V>> entries) {
    for (KeyValue<K, V> kv : entries) {
      dirty.remove(kv.key);
    }
    wrapped().putAll(entries);
  }

  @Override
  public V delete(K key) {
    V deferred = dirty.remove(key);
    V old = wrapped().delete(key);
    return deferred != null ? deferred : old;
  }

  @Override
  public V get(K key) {
    return wrapped().get(key);
  }

  @Override
  public KeyValueIterator<K, V> range(K from, K to) {
    return wrapped().range(from, to);
  }

  @Override
  public KeyValueIterator<K, V> reverseRange(K from, K to) {
    return wrapped().reverseRange(from, to);
  }

  @Override
  public KeyValueIterator<K, V> all() {
    return wrapped().all();
  }

  @Override
  public KeyValueIterator<K, V> reverseAll() {
    return wrapped().reverseAll();
  }

  @Override
  public long approximateNumEntries() {
    return wrapped().approximateNumEntries();
  }

  /** Builds the inner store with {@code inner}, then wraps it. */
  static <K, V> StoreBuilder<WriteBehindKeyValueStore<K, V>> builder(
      StoreBuilder<KeyValueStore<K, V>> inner, boolean enabled) {
    return new StoreBuilder<>() {
      @Override
      public StoreBuilder<WriteBehindKeyValueStore<K, V>> withCachingEnabled() {
        inner.withCachingEnabled();
        return this;
      }

      @Override
      public StoreBuilder<WriteBehindKeyValueStore<K, V>> withCachingDisabled() {
        inner.withCachingDisabled();
        return this;
      }

      @Override
      public StoreBuilder<WriteBehindKeyValueStore<K, V>> withLoggingEnabled(
          Map<String, String> config) {
        inner.withLoggingEnabled(config);
        return this;
      }

      @Override
      public StoreBuilder<WriteBehindKeyValueStore<K, V>> withLoggingDisabled() {
        inner.withLoggingDisabled();
        return this;
      }

      @Override
      public WriteBehindKeyValueStore<K, V> build() {
        return new WriteBehindKeyValueStore<>(inner.build(), enabled);
      }

      @Override
      public Map<String, String> logConfig() {
        return inner.logConfig();
      }

      @Override
      public boolean loggingEnabled() {
        return inner.loggingEnabled();
      }

      @Override
      public String name() {
        return inner.name();
      }
    };
  }
}
