package dev.ferry.telemetry.anomaly;

import java.util.List;

/**
 * What the REST API and the metrics ask of anomaly detection. Separate from {@link
 * dev.ferry.telemetry.query.TelemetryQueries}: a process may aggregate without detecting.
 *
 * <p>Implementations answer from the stores of the telemetry role in this process, for the
 * partitions it owns (cross-instance queries are not built); while those cannot be read they throw
 * {@link dev.ferry.telemetry.query.TelemetryUnavailableException}. Thread-safe.
 */
public interface AnomalyQueries {

  /** The anomalies that match, newest window first, at most {@code query.limit()}. */
  List<Anomaly> anomalies(AnomalyQuery query);

  /** Every link's latest verdict, ordered by link. */
  List<LinkScore> scores();
}
