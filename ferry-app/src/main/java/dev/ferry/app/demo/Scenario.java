package dev.ferry.app.demo;

import java.time.Duration;
import java.util.List;

/**
 * The demo's fault timeline for its one degraded link: which {@link LinkCondition} holds how long
 * after the demo started. Pure: {@link #at(Duration)} is a function of elapsed time, so the phases
 * are tested without waiting and a {@link ScenarioDriver} only applies them.
 *
 * <p>The standard scenario is healthy, then throttled (the link is slow but works), then broken
 * (transfers fail and exhaust their retries), then healthy again. The healthy start must be long
 * enough for the anomaly detector to learn what normal looks like, so it takes the largest share.
 *
 * @param phases in order of {@link Phase#startsAt()}, the first starting at zero
 */
public record Scenario(List<Phase> phases) {
  /** The cap while degraded: a few seconds per demo dataset instead of a fraction of one. */
  public static final long DEGRADED_BYTES_PER_SECOND = 128 * 1024;

  /** One stretch of the timeline. */
  public record Phase(String name, Duration startsAt, LinkCondition condition) {}

  public Scenario {
    phases = List.copyOf(phases);
    if (phases.isEmpty() || !phases.get(0).startsAt().isZero()) {
      throw new IllegalArgumentException("a scenario starts with a phase at zero: " + phases);
    }
    for (int i = 1; i < phases.size(); i++) {
      if (phases.get(i).startsAt().compareTo(phases.get(i - 1).startsAt()) <= 0) {
        throw new IllegalArgumentException("phases must start in order: " + phases);
      }
    }
  }

  /** No faults ({@code --no-faults}): healthy throughout. */
  public static Scenario healthy() {
    return new Scenario(List.of(new Phase("healthy", Duration.ZERO, new LinkCondition.Healthy())));
  }

  /**
   * The standard timeline: healthy until {@code faultAt}, then degraded, failing and recovered.
   *
   * <p>With a {@code total} (a run of fixed length), {@code faultAt} defaults to half of it and the
   * rest is split 40 % degraded, 25 % failing, 35 % recovered, so even a three-minute CI run goes
   * through every phase and ends healthy. Without one (until Ctrl-C), {@code faultAt} defaults to 3
   * minutes and the link degrades for 2 minutes, fails for 1, then stays healthy.
   *
   * <p>The healthy start must outlast the anomaly detector's warm-up (a number of telemetry windows
   * with traffic on the link) or there is no normal to deviate from.
   *
   * @param total the run's length, or null for a run until stopped
   * @param faultAt when the link degrades, or null for the default
   * @throws IllegalArgumentException when {@code faultAt} is not within {@code total}
   */
  public static Scenario standard(Duration total, Duration faultAt) {
    Duration degrade;
    Duration fail;
    Duration recover;
    if (total == null) {
      degrade = faultAt != null ? faultAt : Duration.ofMinutes(3);
      fail = degrade.plusMinutes(2);
      recover = degrade.plusMinutes(3);
    } else {
      degrade = faultAt != null ? faultAt : total.dividedBy(2);
      if (degrade.isNegative() || degrade.isZero() || degrade.compareTo(total) >= 0) {
        throw new IllegalArgumentException(
            "the fault must start within the run (" + total + "), not at " + degrade);
      }
      Duration rest = total.minus(degrade);
      fail = degrade.plus(rest.multipliedBy(40).dividedBy(100));
      recover = degrade.plus(rest.multipliedBy(65).dividedBy(100));
    }
    return new Scenario(
        List.of(
            new Phase("healthy", Duration.ZERO, new LinkCondition.Healthy()),
            new Phase("degraded", degrade, new LinkCondition.Throttled(DEGRADED_BYTES_PER_SECOND)),
            new Phase("failing", fail, new LinkCondition.Broken()),
            new Phase("recovered", recover, new LinkCondition.Healthy())));
  }

  /** The phase that holds {@code elapsed} after the start (the first one before it). */
  public Phase at(Duration elapsed) {
    Phase current = phases.get(0);
    for (Phase p : phases) {
      if (p.startsAt().compareTo(elapsed) <= 0) {
        current = p;
      }
    }
    return current;
  }

  /** Whether any phase is not healthy. */
  public boolean hasFaults() {
    return phases.stream().anyMatch(p -> !(p.condition() instanceof LinkCondition.Healthy));
  }
}
