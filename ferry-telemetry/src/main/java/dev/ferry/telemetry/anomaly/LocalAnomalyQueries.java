package dev.ferry.telemetry.anomaly;

import dev.ferry.telemetry.aggregate.LinkKey;
import dev.ferry.telemetry.query.TelemetryUnavailableException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.function.Supplier;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.errors.InvalidStateStoreException;
import org.apache.kafka.streams.kstream.Windowed;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.ReadOnlyKeyValueStore;
import org.apache.kafka.streams.state.ReadOnlyWindowStore;
import org.apache.kafka.streams.state.WindowStoreIterator;

/**
 * {@link AnomalyQueries} over the local stores of {@link AnomalyTopology}. Stores are looked up on
 * every call (Kafka Streams hands out new handles after a rebalance); one that cannot be read
 * becomes a {@link TelemetryUnavailableException}.
 */
public final class LocalAnomalyQueries implements AnomalyQueries {

  /** Where the stores come from: Kafka Streams, or a TopologyTestDriver in tests. */
  public interface Stores {
    ReadOnlyWindowStore<LinkKey, Anomaly> anomalies();

    ReadOnlyKeyValueStore<LinkKey, LinkScore> latest();
  }

  private static final Comparator<Anomaly> NEWEST_FIRST =
      Comparator.comparing(Anomaly::windowStart)
          .reversed()
          .thenComparing(Anomaly::link, Comparator.naturalOrder());

  private final Stores stores;

  public LocalAnomalyQueries(Stores stores) {
    this.stores = stores;
  }

  @Override
  public List<Anomaly> anomalies(AnomalyQuery q) {
    return read(
        "anomalies",
        () -> {
          List<Anomaly> out = new ArrayList<>();
          // window stores range over [from, to] inclusive; matches() makes `to` exclusive
          Instant last = q.to().minusMillis(1);
          if (q.sourceSite() != null && q.destinationSite() != null) {
            LinkKey link = new LinkKey(q.tenant(), q.sourceSite(), q.destinationSite());
            try (WindowStoreIterator<Anomaly> it = stores.anomalies().fetch(link, q.from(), last)) {
              it.forEachRemaining(kv -> add(out, q, kv.value));
            }
          } else {
            try (KeyValueIterator<Windowed<LinkKey>, Anomaly> it =
                stores.anomalies().fetchAll(q.from(), last)) {
              while (it.hasNext()) {
                KeyValue<Windowed<LinkKey>, Anomaly> kv = it.next();
                if (kv.key.key().tenant().equals(q.tenant())) {
                  add(out, q, kv.value);
                }
              }
            }
          }
          out.sort(NEWEST_FIRST);
          return out.size() > q.limit() ? List.copyOf(out.subList(0, q.limit())) : out;
        });
  }

  private static void add(List<Anomaly> out, AnomalyQuery q, Anomaly a) {
    if (a != null && q.matches(a)) {
      out.add(a);
    }
  }

  @Override
  public List<LinkScore> scores() {
    return read(
        "anomaly scores",
        () -> {
          List<LinkScore> out = new ArrayList<>();
          try (KeyValueIterator<LinkKey, LinkScore> it = stores.latest().all()) {
            it.forEachRemaining(kv -> out.add(kv.value));
          }
          out.sort(Comparator.comparing(LinkScore::link));
          return out;
        });
  }

  private static <T> T read(String what, Supplier<T> query) {
    try {
      return query.get();
    } catch (InvalidStateStoreException e) {
      throw new TelemetryUnavailableException("cannot read " + what + " now: " + e.getMessage(), e);
    }
  }
}
