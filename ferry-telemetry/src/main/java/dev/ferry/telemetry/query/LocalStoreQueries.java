package dev.ferry.telemetry.query;

import dev.ferry.telemetry.aggregate.LinkKey;
import dev.ferry.telemetry.aggregate.LinkStats;
import dev.ferry.telemetry.streams.TransferTopology;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.function.Supplier;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.errors.InvalidStateStoreException;
import org.apache.kafka.streams.kstream.Windowed;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.ReadOnlyKeyValueStore;
import org.apache.kafka.streams.state.ReadOnlyWindowStore;

/**
 * {@link TelemetryQueries} over the local state stores of {@link TransferTopology}, for whichever
 * partitions this instance owns. Equal keys found in several partitions are merged, so a link's
 * facts need not all sit on one partition for the answer to be whole (here).
 *
 * <p>The stores are looked up through suppliers on every call, because Kafka Streams hands out new
 * store handles after a rebalance; a supplier or store that throws {@link
 * InvalidStateStoreException} becomes a {@link TelemetryUnavailableException}. Thread-safe when the
 * stores are (Kafka Streams' are).
 */
public final class LocalStoreQueries implements TelemetryQueries {

  /** Where the stores come from: Kafka Streams, or a TopologyTestDriver in tests. */
  public interface Stores {
    ReadOnlyKeyValueStore<LinkKey, LinkStats> totals();

    ReadOnlyWindowStore<LinkKey, LinkStats> windows();

    ReadOnlyKeyValueStore<LinkKey, Long> late();
  }

  private final Stores stores;
  private final long windowMillis;

  /**
   * Over stores of a topology with the default window size ({@link TransferTopology#WINDOW_SIZE}).
   */
  public LocalStoreQueries(Stores stores) {
    this(stores, TransferTopology.WINDOW_SIZE);
  }

  /**
   * @param windowSize the topology's {@link TransferTopology.Options#windowSize()}: the window
   *     store keeps only starts, so the end of each {@link WindowPoint} is derived from it
   */
  public LocalStoreQueries(Stores stores, Duration windowSize) {
    this.stores = stores;
    this.windowMillis = windowSize.toMillis();
  }

  @Override
  public List<LinkTotals> links() {
    return read(
        "links",
        () -> {
          Map<LinkKey, LinkStats> merged = new TreeMap<>();
          try (KeyValueIterator<LinkKey, LinkStats> it = stores.totals().all()) {
            it.forEachRemaining(kv -> mergeInto(merged, kv.key, kv.value));
          }
          Map<LinkKey, Long> late = new TreeMap<>();
          try (KeyValueIterator<LinkKey, Long> it = stores.late().all()) {
            it.forEachRemaining(kv -> late.merge(kv.key, kv.value, Long::sum));
          }
          List<LinkTotals> out = new ArrayList<>(merged.size());
          merged.forEach((k, v) -> out.add(new LinkTotals(k, v, late.getOrDefault(k, 0L))));
          return out;
        });
  }

  @Override
  public Optional<LinkTotals> link(LinkKey link) {
    return read(
        "link " + link,
        () -> {
          LinkStats merged = null;
          try (KeyValueIterator<LinkKey, LinkStats> it = stores.totals().range(link, link)) {
            while (it.hasNext()) {
              LinkStats s = it.next().value;
              merged = merged == null ? s : merged.merge(s);
            }
          }
          if (merged == null) {
            return Optional.<LinkTotals>empty();
          }
          long late = 0;
          try (KeyValueIterator<LinkKey, Long> it = stores.late().range(link, link)) {
            while (it.hasNext()) {
              late += it.next().value;
            }
          }
          return Optional.of(new LinkTotals(link, merged, late));
        });
  }

  @Override
  public List<WindowPoint> series(LinkKey link, Instant from, Instant to) {
    if (!from.isBefore(to)) {
      return List.of();
    }
    long size = windowMillis;
    return read(
        "series of " + link,
        () -> {
          Map<Long, LinkStats> byStart = new TreeMap<>();
          // the key-range form reads every local partition's store, not only the first match
          try (KeyValueIterator<Windowed<LinkKey>, LinkStats> it =
              stores.windows().fetch(link, link, from, to.minusMillis(1))) {
            while (it.hasNext()) {
              KeyValue<Windowed<LinkKey>, LinkStats> kv = it.next();
              byStart.merge(kv.key.window().start(), kv.value, LinkStats::merge);
            }
          }
          List<WindowPoint> out = new ArrayList<>(byStart.size());
          byStart.forEach(
              (start, stats) ->
                  out.add(
                      new WindowPoint(
                          link,
                          Instant.ofEpochMilli(start),
                          Instant.ofEpochMilli(start + size),
                          stats)));
          return out;
        });
  }

  @Override
  public List<SiteFreshness> siteFreshness() {
    return SiteFreshness.of(links());
  }

  private static void mergeInto(Map<LinkKey, LinkStats> merged, LinkKey key, LinkStats value) {
    merged.merge(key, value, LinkStats::merge);
  }

  private static <T> T read(String what, Supplier<T> query) {
    try {
      return query.get();
    } catch (InvalidStateStoreException e) {
      throw new TelemetryUnavailableException(
          "telemetry stores cannot answer " + what + " now: " + e.getMessage(), e);
    }
  }
}
