package dev.ferry.telemetry;

/**
 * The telemetry role's seam: what {@code ferry server --roles telemetry} starts and stops.
 *
 * <p>{@link TelemetryService} is the role: Kafka Streams aggregation of {@code ferry.transfers} and
 * the Prometheus export. The consistency checker and the anomaly detector are not built yet. {@link
 * #notBuilt()} remains for a runtime that does not run the role.
 */
public interface TelemetryRole extends AutoCloseable {

  /** Starts consuming; returns once running. */
  void start();

  /** Stops and releases everything; idempotent. */
  @Override
  void close();

  /** The role as it is today: nothing runs, and the log says so once. */
  static TelemetryRole notBuilt() {
    return new TelemetryRole() {
      @Override
      public void start() {
        org.slf4j.LoggerFactory.getLogger(TelemetryRole.class)
            .info(
                "telemetry role: aggregation, /metrics link series and anomaly detection are not"
                    + " built yet; transfer facts accumulate on ferry.transfers");
      }

      @Override
      public void close() {}
    };
  }
}
