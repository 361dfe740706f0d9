package dev.ferry.telemetry.streams;

import java.util.HashMap;
import java.util.Map;
import org.apache.kafka.streams.kstream.Windowed;
import org.apache.kafka.streams.processor.StateStore;
import org.apache.kafka.streams.processor.StateStoreContext;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.StoreBuilder;
import org.apache.kafka.streams.state.WindowStore;
import org.apache.kafka.streams.state.WindowStoreIterator;
import org.apache.kafka.streams.state.internals.WrappedStateStore;

/**
 * The window-store twin of {@link WriteBehindKeyValueStore}: live accumulators per (key, window
 * start), written into the inner store once per commit. See there for why this is correct under
 * {@code exactly_once_v2} and who sees what: the same holds here. Ordinary reads return the inner
 * store's state as of the last flush; a processor that scans the inner store itself (the
 * closed-window emission) first calls {@link #writeDirty()}.
 */
final class WriteBehindWindowStore<K, V> extends WrappedStateStore<WindowStore<K, V>, K, V>
    implements WindowStore<K, V> {

  private record Slot<K>(K key, long start) {}

  private final boolean enabled;

  /** Touched by the stream thread only. */
  private final Map<Slot<K>, V> dirty = new HashMap<>();

  WriteBehindWindowStore(WindowStore<K, V> inner, boolean enabled) {
    super(inner);
    this.enabled = enabled;
  }

  /** The value last put for {@code key} in the window at {@code start}. Stream thread only. */
  V live(K key, long start) {
    V v = dirty.get(new Slot<>(key, start));
    return v != null ? v : wrapped().fetch(key, start);
  }

  /** Records {@code value} (live; pass it again after each change) to be written at the flush. */
  void putDeferred(K key, V value, long start) {
    if (!enabled) {
      wrapped().put(key, value, start);
      return;
    }
    dirty.put(new Slot<>(key, start), value);
    if (dirty.size() > WriteBehindKeyValueStore.MAX_DIRTY) {
      writeDirty();
    }
  }

  /** Writes every deferred value into the inner store now (without flushing it). */
  void writeDirty() {
    if (dirty.isEmpty()) {
      return;
    }
    for (Map.Entry<Slot<K>, V> e : dirty.entrySet()) {
      wrapped().put(e.getKey().key(), e.getValue(), e.getKey().start());
    }
    dirty.clear();
  }

  /** Number of deferred values (tests). */
  int dirtyCount() {
    return dirty.size();
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
  public void put(K key, V value, long windowStartTimestamp) {
    dirty.remove(new Slot<>(key, windowStartTimestamp));
    wrapped().put(key, value, windowStartTimestamp);
  }

  @Override
  public V fetch(K key, long time) {
    return wrapped().fetch(key, time);
  }

  @Override
  public WindowStoreIterator<V> fetch(K key, long timeFrom, long timeTo) {
    return wrapped().fetch(key, timeFrom, timeTo);
  }

  @Override
  public WindowStoreIterator<V> backwardFetch(K key, long timeFrom, long timeTo) {
    return wrapped().backwardFetch(key, timeFrom, timeTo);
  }

  @Override
  public KeyValueIterator<Windowed<K>, V> fetch(K keyFrom, K keyTo, long timeFrom, long timeTo) {
    return wrapped().fetch(keyFrom, keyTo, timeFrom, timeTo);
  }

  @Override
  public KeyValueIterator<Windowed<K>, V> backwardFetch(
      K keyFrom, K keyTo, long timeFrom, long timeTo) {
    return wrapped().backwardFetch(keyFrom, keyTo, timeFrom, timeTo);
  }

  @Override
  public KeyValueIterator<Windowed<K>, V> fetchAll(long timeFrom, long timeTo) {
    return wrapped().fetchAll(timeFrom, timeTo);
  }

  @Override
  public KeyValueIterator<Windowed<K>, V> backwardFetchAll(long timeFrom, long timeTo) {
    return wrapped().backwardFetchAll(timeFrom, timeTo);
  }

  @Override
  public KeyValueIterator<Windowed<K>, V> all() {
    return wrapped().all();
  }

  @Override
  public KeyValueIterator<Windowed<K>, V> backwardAll() {
    return wrapped().backwardAll();
  }

  /** Builds the inner store with {@code inner}, then wraps it. */
  static <K, V> StoreBuilder<WriteBehindWindowStore<K, V>> builder(
      StoreBuilder<WindowStore<K, V>> inner, boolean enabled) {
    return new StoreBuilder<>() {
      @Override
      public StoreBuilder<WriteBehindWindowStore<K, V>> withCachingEnabled() {
        inner.withCachingEnabled();
        return this;
      }

      @Override
      public StoreBuilder<WriteBehindWindowStore<K, V>> withCachingDisabled() {
        inner.withCachingDisabled();
        return this;
      }

      @Override
      public StoreBuilder<WriteBehindWindowStore<K, V>> withLoggingEnabled(
          Map<String, String> config) {
        inner.withLoggingEnabled(config);
        return this;
      }

      @Override
      public StoreBuilder<WriteBehindWindowStore<K, V>> withLoggingDisabled() {
        inner.withLoggingDisabled();
        return this;
      }

      @Override
      public WriteBehindWindowStore<K, V> build() {
        return new WriteBehindWindowStore<>(inner.build(), enabled);
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
