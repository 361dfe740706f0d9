package dev.ferry.control.consistency;

import dev.ferry.telemetry.aggregate.LinkKey;
import dev.ferry.telemetry.aggregate.LinkStats;
import dev.ferry.telemetry.aggregate.Outcome;
import dev.ferry.telemetry.metrics.TransferMetricsCollector;
import dev.ferry.telemetry.query.LinkTotals;
import io.prometheus.metrics.model.snapshots.CounterSnapshot;
import io.prometheus.metrics.model.snapshots.CounterSnapshot.CounterDataPointSnapshot;
import io.prometheus.metrics.model.snapshots.Labels;
import io.prometheus.metrics.model.snapshots.MetricSnapshot;
import io.prometheus.metrics.model.snapshots.MetricSnapshots;
import java.util.Collections;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * One side's numbers per {@link Cell}: an immutable map where a missing cell reads as zero.
 * Thread-safe (immutable).
 */
public final class Tally {
  public static final Tally EMPTY = new Tally(Map.of());

  private final Map<Cell, Long> values;

  private Tally(Map<Cell, Long> values) {
    this.values = Collections.unmodifiableMap(values);
  }

  /** The value of {@code cell}, zero when this side has none. */
  public long get(Cell cell) {
    return values.getOrDefault(cell, 0L);
  }

  public long get(LinkKey link, Measure measure) {
    return get(new Cell(link, measure));
  }

  /** The cells this side has a value for (zero values included when the side reported them). */
  public Set<Cell> cells() {
    return values.keySet();
  }

  public static Builder builder() {
    return new Builder();
  }

  /** The stream side: running totals of every link, late facts included. */
  public static Tally ofStream(Iterable<LinkTotals> links) {
    Builder b = builder();
    for (LinkTotals t : links) {
      LinkStats s = t.stats();
      for (Outcome o : Outcome.values()) {
        b.add(t.link(), Measure.of(o), s.count(o));
      }
      b.add(t.link(), Measure.BYTES, s.bytes());
    }
    return b.build();
  }

  /**
   * The metrics side: {@code ferry_transfers_total} and {@code ferry_transfer_bytes_total} in a
   * scrape. Empty when the scrape has no {@code ferry_transfers} family, which is what the
   * collector answers while the stores cannot be read, or when no collector is registered.
   */
  public static Optional<Tally> ofMetrics(MetricSnapshots scrape) {
    Builder b = builder();
    boolean transfers = false;
    for (MetricSnapshot m : scrape) {
      String name = m.getMetadata().getPrometheusName();
      if (!(m instanceof CounterSnapshot c)) {
        continue;
      }
      if (name.equals(TransferMetricsCollector.TRANSFERS)) {
        transfers = true;
        for (CounterDataPointSnapshot p : c.getDataPoints()) {
          Labels l = p.getLabels();
          b.add(link(l), Measure.of(Outcome.parse(l.get("outcome"))), Math.round(p.getValue()));
        }
      } else if (name.equals(TransferMetricsCollector.BYTES)) {
        for (CounterDataPointSnapshot p : c.getDataPoints()) {
          b.add(link(p.getLabels()), Measure.BYTES, Math.round(p.getValue()));
        }
      }
    }
    return transfers ? Optional.of(b.build()) : Optional.empty();
  }

  private static LinkKey link(Labels l) {
    return new LinkKey(l.get("tenant"), l.get("src_site"), l.get("dst_site"));
  }

  @Override
  public String toString() {
    return values.toString();
  }

  /** Adds up values per cell. Not thread-safe. */
  public static final class Builder {
    private final Map<Cell, Long> values = new HashMap<>();

    private Builder() {}

    public Builder add(LinkKey link, Measure measure, long value) {
      values.merge(new Cell(link, measure), value, Long::sum);
      return this;
    }

    public Tally build() {
      return new Tally(new HashMap<>(values));
    }
  }
}
