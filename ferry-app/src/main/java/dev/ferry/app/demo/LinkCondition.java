package dev.ferry.app.demo;

/**
 * The state of the network path a {@link FaultProxy} stands for. A closed set: the demo's scenario
 * moves one link through {@link Healthy} → {@link Throttled} → {@link Broken} → {@link Healthy}.
 */
public sealed interface LinkCondition {
  /** One line for the console, e.g. {@code "bandwidth capped at 128 KiB/s"}. */
  String describe();

  /** Bytes pass as fast as both ends allow. */
  record Healthy() implements LinkCondition {
    @Override
    public String describe() {
      return "healthy";
    }
  }

  /**
   * Each direction is capped at {@code bytesPerSecond}: transfers still succeed, slowly.
   *
   * @param bytesPerSecond positive
   */
  record Throttled(long bytesPerSecond) implements LinkCondition {
    public Throttled {
      if (bytesPerSecond <= 0) {
        throw new IllegalArgumentException("bytesPerSecond must be positive: " + bytesPerSecond);
      }
    }

    @Override
    public String describe() {
      return "bandwidth capped at " + (bytesPerSecond / 1024) + " KiB/s";
    }
  }

  /** Open connections are reset and new ones are reset as soon as they are accepted. */
  record Broken() implements LinkCondition {
    @Override
    public String describe() {
      return "connections reset, new ones refused";
    }
  }
}
