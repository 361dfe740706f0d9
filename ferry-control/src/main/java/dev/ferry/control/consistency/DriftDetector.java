package dev.ferry.control.consistency;

import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;

/**
 * The comparison rules of the consistency checker, free of Spring and I/O: given the sides read by
 * one run, the checks with their drift, remembering since when each drift has been seen.
 *
 * <h2>The rule</h2>
 *
 * Each check compares a checked side ({@code actual}) with a reference side read <em>after</em> it
 * ({@code expected}, the upper end) and a lower end that every correct {@code actual} must have
 * reached. {@code pending = expected - lower} is what is legitimately in flight. A check is {@code
 * ok} iff {@code lower <= actual <= expected}; otherwise {@code drift} is the signed distance to
 * the nearest end ({@code actual - expected} above, {@code actual - lower} below). When nothing is
 * in flight ({@code pending == 0}, e.g. a link idle for longer than the grace) the drift is exactly
 * {@code actual - expected}; under load it is a lower bound of the error, never a false alarm.
 *
 * <ul>
 *   <li>{@code published-vs-database}: actual = outbox facts with {@code published_at}; expected =
 *       all outbox facts; lower = expected minus the unpublished facts created within the grace.
 *       One SQL statement reads all three, so the drift is exact: minus the facts stuck in the
 *       outbox for longer than the grace.
 *   <li>{@code stream-vs-database}: actual = the stream's running totals (read first); expected =
 *       all outbox facts (read after; a fact may reach the topic before the relay commits its
 *       {@code published_at}); lower = facts published before the cutoff (now - grace), which the
 *       stream must have aggregated by now. Below: facts lost or a stale store; above: facts
 *       counted twice.
 *   <li>{@code metrics-vs-stream}: actual = {@code ferry_transfers_total} / {@code
 *       ferry_transfer_bytes_total} scraped between two reads of this process's part of the stream
 *       (the partitions it owns: its {@code /metrics} exports those only; with one instance, the
 *       whole stream); lower = the first read, expected = the second (totals only grow). Above: a
 *       metric counted twice; below: a metric behind the store. While partitions move between
 *       instances (a rebalance between the two reads) a run may report a drift that the next run
 *       does not.
 *   <li>{@code prometheus-vs-stream} (when a Prometheus server is configured): actual = the
 *       server's {@code sum by (link[, outcome])} of the same two counters, queried between the
 *       scrape and the second read of the stream; expected = the second read; lower = the lesser of
 *       the first read and the facts published before the Prometheus cutoff (now - grace - the
 *       allowance for scrape interval and ingestion, {@link ConsistencyChecker#PROMETHEUS_LAG}).
 *       Above: a series counted twice (two jobs scraping one target, two processes exporting one
 *       link); below: Prometheus not scraping Ferry, or behind by more than the allowance. Facts
 *       the stream lost are not this check's to report ({@code stream-vs-database} does).
 * </ul>
 *
 * <p>Cells are the union of every side's cells, so a link missing on one side reads as zero there.
 * Not thread-safe: one run at a time ({@link ConsistencyChecker} serializes them). {@code since}
 * lives in memory and restarts with the process.
 */
public final class DriftDetector {
  public static final String PUBLISHED_VS_DATABASE = "published-vs-database";
  public static final String STREAM_VS_DATABASE = "stream-vs-database";
  public static final String METRICS_VS_STREAM = "metrics-vs-stream";
  public static final String PROMETHEUS_VS_STREAM = "prometheus-vs-stream";

  private record Key(String check, Cell cell) {}

  private final Map<Key, Instant> since = new HashMap<>();
  private final Set<Key> seen = new HashSet<>();

  /**
   * What one run read, in this order: stream, metrics, stream again, then the database.
   *
   * @param database every outbox fact
   * @param published outbox facts with {@code published_at}
   * @param unpublishedInGrace outbox facts without {@code published_at}, created at or after the
   *     cutoff
   * @param publishedBeforeCutoff outbox facts published before the cutoff
   * @param streamBefore the stream's totals read before the scrape; {@code null} when unavailable
   * @param metrics the scraped values; {@code null} when unavailable
   * @param streamAfter the stream's totals read after the scrape (and the Prometheus query); {@code
   *     null} when unavailable
   * @param prometheus what the Prometheus server answered; {@code null} when none is configured or
   *     it could not be asked
   * @param publishedBeforePrometheusCutoff outbox facts published before the Prometheus cutoff;
   *     {@code null} when {@code prometheus} is
   * @param localBefore this process's part of the stream (the partitions it owns, which is what its
   *     {@code /metrics} exports) read just before the scrape; the whole stream when one instance
   *     runs. {@code null} when unavailable
   * @param localAfter the same, read just after the scrape
   */
  public record Sides(
      Tally database,
      Tally published,
      Tally unpublishedInGrace,
      Tally publishedBeforeCutoff,
      Tally streamBefore,
      Tally metrics,
      Tally streamAfter,
      Tally prometheus,
      Tally publishedBeforePrometheusCutoff,
      Tally localBefore,
      Tally localAfter) {

    /** Sides of a single instance: its part of the stream is the whole stream. */
    public Sides(
        Tally database,
        Tally published,
        Tally unpublishedInGrace,
        Tally publishedBeforeCutoff,
        Tally streamBefore,
        Tally metrics,
        Tally streamAfter,
        Tally prometheus,
        Tally publishedBeforePrometheusCutoff) {
      this(
          database,
          published,
          unpublishedInGrace,
          publishedBeforeCutoff,
          streamBefore,
          metrics,
          streamAfter,
          prometheus,
          publishedBeforePrometheusCutoff,
          streamBefore,
          streamAfter);
    }

    /** Sides without a Prometheus server. */
    public Sides(
        Tally database,
        Tally published,
        Tally unpublishedInGrace,
        Tally publishedBeforeCutoff,
        Tally streamBefore,
        Tally metrics,
        Tally streamAfter) {
      this(
          database,
          published,
          unpublishedInGrace,
          publishedBeforeCutoff,
          streamBefore,
          metrics,
          streamAfter,
          null,
          null);
    }

    public Sides {
      if ((prometheus == null) != (publishedBeforePrometheusCutoff == null)) {
        throw new IllegalArgumentException("prometheus needs publishedBeforePrometheusCutoff");
      }
      Objects.requireNonNull(database, "database");
      Objects.requireNonNull(published, "published");
      Objects.requireNonNull(unpublishedInGrace, "unpublishedInGrace");
      Objects.requireNonNull(publishedBeforeCutoff, "publishedBeforeCutoff");
      if ((streamBefore == null) != (streamAfter == null)) {
        throw new IllegalArgumentException("stream read before and after the scrape, or neither");
      }
      if ((localBefore == null) != (localAfter == null)) {
        throw new IllegalArgumentException(
            "local stream read before and after the scrape, or neither");
      }
    }
  }

  /** The checks of one run at {@code now}, in (check, link, measure) order. */
  public List<ConsistencyCheck> compare(Sides s, Instant now) {
    TreeSet<Cell> cells = new TreeSet<>();
    for (Tally t :
        new Tally[] {
          s.database(),
          s.published(),
          s.streamBefore(),
          s.metrics(),
          s.streamAfter(),
          s.prometheus(),
          s.localAfter()
        }) {
      if (t != null) {
        cells.addAll(t.cells());
      }
    }
    List<ConsistencyCheck> out = new ArrayList<>();
    for (Cell c : cells) {
      long db = s.database().get(c);
      out.add(
          check(
              PUBLISHED_VS_DATABASE,
              c,
              s.published().get(c),
              db - s.unpublishedInGrace().get(c),
              db,
              now));
    }
    if (s.streamAfter() != null) {
      for (Cell c : cells) {
        out.add(
            check(
                STREAM_VS_DATABASE,
                c,
                s.streamAfter().get(c),
                s.publishedBeforeCutoff().get(c),
                s.database().get(c),
                now));
      }
      if (s.metrics() != null && s.localAfter() != null) {
        for (Cell c : cells) {
          out.add(
              check(
                  METRICS_VS_STREAM,
                  c,
                  s.metrics().get(c),
                  s.localBefore().get(c),
                  s.localAfter().get(c),
                  now));
        }
      }
      if (s.prometheus() != null) {
        for (Cell c : cells) {
          out.add(
              check(
                  PROMETHEUS_VS_STREAM,
                  c,
                  s.prometheus().get(c),
                  Math.min(s.streamBefore().get(c), s.publishedBeforePrometheusCutoff().get(c)),
                  s.streamAfter().get(c),
                  now));
        }
      }
    }
    // Forget drifts of checks that did not run, so a side coming back starts a fresh `since`.
    since.keySet().retainAll(seen);
    seen.clear();
    return out;
  }

  private ConsistencyCheck check(
      String check, Cell cell, long actual, long lower, long expected, Instant now) {
    // A lower end above the upper one means the sides were read out of order; widen, never alarm.
    long low = Math.min(lower, expected);
    long drift = actual > expected ? actual - expected : actual < low ? actual - low : 0;
    Key key = new Key(check, cell);
    seen.add(key);
    Instant first = null;
    if (drift != 0) {
      first = since.computeIfAbsent(key, k -> now);
    } else {
      since.remove(key);
    }
    Measure m = cell.measure();
    return new ConsistencyCheck(
        check,
        cell.link().tenant(),
        cell.link().sourceSite(),
        cell.link().destinationSite(),
        m.outcome() == null ? null : m.outcome().label(),
        m == Measure.BYTES ? "bytes" : "transfers",
        expected,
        expected - low,
        actual,
        drift,
        drift == 0 ? ConsistencyCheck.OK : ConsistencyCheck.DRIFT,
        first);
  }
}
