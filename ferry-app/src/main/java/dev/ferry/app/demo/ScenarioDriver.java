package dev.ferry.app.demo;

import java.io.PrintStream;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Applies a {@link Scenario} to a {@link FaultProxy} as the clock advances, printing a line when a
 * phase starts. {@link #tick()} is one deterministic step against the injected clock (the tests
 * call it with a settable clock); {@link #start()} calls it every second on a daemon thread.
 */
public final class ScenarioDriver implements AutoCloseable {
  private final Scenario scenario;
  private final FaultProxy proxy;
  private final String link;
  private final Clock clock;
  private final Instant start;
  private final PrintStream out;
  private Scenario.Phase current;
  private ScheduledExecutorService timer;

  /**
   * @param link how the console names the link, e.g. {@code "SITE_A → SITE_B"}
   * @param start the scenario's time zero
   */
  public ScenarioDriver(
      Scenario scenario,
      FaultProxy proxy,
      String link,
      Clock clock,
      Instant start,
      PrintStream out) {
    this.scenario = scenario;
    this.proxy = proxy;
    this.link = link;
    this.clock = clock;
    this.start = start;
    this.out = out;
  }

  /** Applies the phase that holds now, announcing it when it changed. */
  public synchronized Scenario.Phase tick() {
    Duration elapsed = Duration.between(start, clock.instant());
    Scenario.Phase phase = scenario.at(elapsed);
    if (!phase.equals(current)) {
      proxy.setCondition(phase.condition());
      if (current != null || !(phase.condition() instanceof LinkCondition.Healthy)) {
        out.printf(
            "[%s] link %s %s: %s%n",
            DemoClock.elapsed(elapsed), link, phase.name(), phase.condition().describe());
      }
      current = phase;
    }
    return phase;
  }

  /** The phase applied last, or null before the first {@link #tick()}. */
  public synchronized Scenario.Phase current() {
    return current;
  }

  public void start() {
    tick();
    timer =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, "demo-scenario");
              t.setDaemon(true);
              return t;
            });
    timer.scheduleWithFixedDelay(this::tick, 1, 1, TimeUnit.SECONDS);
  }

  @Override
  public void close() {
    if (timer != null) {
      timer.shutdownNow();
    }
  }
}
