package dev.ferry.telemetry.query;

import dev.ferry.telemetry.aggregate.LinkKey;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * Read access to the aggregates: what {@code GET /api/v1/links}, the series endpoint and the
 * Prometheus collector need.
 *
 * <p>{@link LocalStoreQueries} answers from the state stores of <em>this</em> instance: complete
 * when one instance runs (the embedded and single-node case), the instance's own partitions when
 * several run. {@link ClusterQueries} answers for the whole application: it finds each partition's
 * owner through Kafka Streams' metadata, asks the other instances' {@link TelemetryPeerServer} for
 * their partial aggregates and merges them ({@code LinkStats.merge}); it throws rather than answer
 * for part of the partitions.
 *
 * <p>Implementations are thread-safe. Every result is a private copy. While the stores cannot be
 * read (start, rebalance, restore, shutdown), methods throw {@link TelemetryUnavailableException}.
 */
public interface TelemetryQueries {

  /** Every link with facts, in (tenant, source, destination) order. */
  List<LinkTotals> links();

  /** One link's totals; empty when it has no facts (here). */
  Optional<LinkTotals> link(LinkKey link);

  /**
   * The link's windows whose start is in {@code [from, to)}, in start order. Minutes without facts
   * have no window. Windows older than the window retention (24 h by default) are gone.
   */
  List<WindowPoint> series(LinkKey link, Instant from, Instant to);

  /** Per (tenant, site), the latest event time of a fact with the site at either end. */
  List<SiteFreshness> siteFreshness();

  /**
   * This instance's part only: the partitions whose stores live here, which is exactly what this
   * instance's {@code /metrics} exports (each instance exports its own partitions, so that
   * Prometheus summing over instances counts every fact once). The consistency checker compares the
   * local {@code /metrics} with this, and the cluster totals ({@code this}) with the database. An
   * implementation that already answers from the local stores returns itself.
   */
  default TelemetryQueries local() {
    return this;
  }
}
