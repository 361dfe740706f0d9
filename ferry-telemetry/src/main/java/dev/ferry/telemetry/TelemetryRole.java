package dev.ferry.telemetry;

/**
 * The telemetry role's seam: what {@code ferry server --roles telemetry} starts and stops.
 *
 * <p>Not built yet: the Kafka Streams aggregation, Prometheus export, consistency checker and
 * anomaly detector arrive with the telemetry issue. Until then the role is {@link #notBuilt()},
 * which only says so in the log. The transfer facts it will consume are already published to {@code
 * ferry.transfers} from the control plane's outbox.
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
