package dev.ferry.telemetry.streams;

/**
 * Receives each link's windows ({@link TransferTopology.Options#windowSize()}) as they close: the
 * seam for anomaly detection and the consistency checker, which want final window aggregates rather
 * than raw facts.
 *
 * <p>Contract:
 *
 * <ul>
 *   <li>Called on a Kafka Streams thread, inside processing: it must be quick and must not block
 *       (hand the window to a queue for anything slow, such as I/O). Several stream threads may
 *       call it concurrently for different partitions.
 *   <li>At least once: the record of which windows were emitted is committed with Kafka Streams'
 *       transaction, but this call is a side effect outside it, so after a crash or a rebalance a
 *       window may be delivered again (with the same content). Receivers deduplicate by (link,
 *       start) if they must.
 *   <li>For one link, windows arrive in start order. A window's time without facts has no window: a
 *       receiver that needs a regular series fills the gaps.
 *   <li>A window closes when stream time (the largest event time seen on its partition) passes
 *       {@code end + grace}; on a partition that receives nothing, windows wait.
 *   <li>An exception thrown here is logged and swallowed: a faulty receiver must not stop the
 *       aggregation.
 * </ul>
 */
@FunctionalInterface
public interface WindowListener {

  /** Does nothing. */
  WindowListener NOOP = window -> {};

  void onWindowClosed(ClosedWindow window);
}
