package dev.ferry.worker;

/**
 * Where the worker sends one {@link AttemptFinished} per attempt. Implementations must not block
 * the calling task thread for long and must never throw: telemetry that cannot be delivered is
 * logged and counted, it never fails a task.
 */
public interface AttemptTelemetry extends AutoCloseable {
  /** Sends nothing. */
  AttemptTelemetry NOOP = event -> {};

  void attemptFinished(AttemptFinished event);

  /** Events that could not be delivered so far. */
  default long failures() {
    return 0;
  }

  /** Delivers what it can within its own bounded time, then releases resources. */
  @Override
  default void close() {}
}
