package dev.ferry.app.demo;

import java.io.PrintStream;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import tools.jackson.databind.JsonNode;

/**
 * The demo's continuous workload: one copy job every {@code 60 / rate} seconds, taking the {@link
 * Route}s in turn (A→B, A→C, B→C, C→A) and each route's datasets in turn. Destinations rotate over
 * three slots per route and dataset, written with {@code overwrite: always}, so every job moves
 * real bytes and the demo's disk use stays bounded however long it runs.
 *
 * <p>{@link #submitNext()} and {@link #refresh()} are single deterministic steps (the tests call
 * them directly); {@link #start} schedules them. Each submission carries an {@code Idempotency-Key}
 * of the run and the job's number, so a retried POST never makes a second job. Thread-safe.
 */
public final class Workload implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(Workload.class);
  static final int SLOTS = 3;

  /** Terminal and non-terminal job states as the API names them. */
  enum State {
    SUBMITTED,
    PLANNING,
    RUNNING,
    SUCCEEDED,
    PARTIALLY_SUCCEEDED,
    FAILED,
    CANCELLED;

    boolean terminal() {
      return this == SUCCEEDED
          || this == PARTIALLY_SUCCEEDED
          || this == FAILED
          || this == CANCELLED;
    }
  }

  /**
   * One direction of the workload.
   *
   * @param sourcePaths paths under the source endpoint, one dataset each, taken in turn
   * @param destinationPrefix where copies go under the destination endpoint
   */
  public record Route(
      String sourceSite,
      String destinationSite,
      String sourceEndpoint,
      List<String> sourcePaths,
      String destinationEndpoint,
      String destinationPrefix) {
    public Route {
      sourcePaths = List.copyOf(sourcePaths);
    }

    public String link() {
      return sourceSite + " → " + destinationSite;
    }
  }

  /** A job this run submitted, with its last seen state. */
  public record Submitted(int number, String id, Route route, String source, Instant at) {}

  private final DemoApi api;
  private final List<Route> routes;
  private final String runId;
  private final Clock clock;
  private final PrintStream out;
  private final AtomicInteger next = new AtomicInteger();
  private final List<Submitted> submitted = new ArrayList<>();
  private final Map<String, State> states = new ConcurrentHashMap<>();
  private final Set<String> submitErrors = ConcurrentHashMap.newKeySet();
  private ScheduledExecutorService timer;

  /**
   * @param runId distinguishes this run's idempotency keys from those of earlier runs
   */
  public Workload(DemoApi api, List<Route> routes, String runId, Clock clock, PrintStream out) {
    this.api = api;
    this.routes = List.copyOf(routes);
    this.runId = runId;
    this.clock = clock;
    this.out = out;
  }

  /** Submits the next job and returns it. */
  public Submitted submitNext() {
    int n = next.getAndIncrement();
    Route route = routes.get(n % routes.size());
    int turn = n / routes.size();
    String source = route.sourcePaths().get(turn % route.sourcePaths().size());
    String dataset = source.substring(source.lastIndexOf('/') + 1);
    String destination = route.destinationPrefix() + "/slot-" + (turn % SLOTS) + "/" + dataset;
    Map<String, Object> body =
        Map.of(
            "source", Map.of("endpoint", route.sourceEndpoint(), "path", source),
            "destination", Map.of("endpoint", route.destinationEndpoint(), "path", destination),
            "mode", "copy",
            "overwrite", "always",
            "checksum", "crc32c");
    DemoApi.Response r = api.post("/api/v1/jobs", body, "demo-" + runId + "-" + n);
    JsonNode job = api.expect("POST", "/api/v1/jobs", r);
    Submitted s = new Submitted(n, job.get("id").asString(), route, source, clock.instant());
    synchronized (submitted) {
      submitted.add(s);
    }
    states.put(s.id(), State.valueOf(job.get("state").asString().toUpperCase().replace('-', '_')));
    return s;
  }

  /** Reads the state of every job of this run not yet seen terminal. */
  public void refresh() {
    for (Submitted s : jobs()) {
      State known = states.get(s.id());
      if (known != null && known.terminal()) {
        continue;
      }
      DemoApi.Response r = api.get("/api/v1/jobs/" + s.id());
      if (r.ok()) {
        states.put(
            s.id(),
            State.valueOf(r.body().get("state").asString().toUpperCase().replace('-', '_')));
      }
    }
  }

  public List<Submitted> jobs() {
    synchronized (submitted) {
      return List.copyOf(submitted);
    }
  }

  /** This run's jobs by last seen state. */
  public Map<State, Integer> counts() {
    Map<State, Integer> c = new EnumMap<>(State.class);
    for (Submitted s : jobs()) {
      c.merge(states.getOrDefault(s.id(), State.SUBMITTED), 1, Integer::sum);
    }
    return c;
  }

  /** The jobs of this run not seen terminal at the last {@link #refresh()}. */
  public List<Submitted> unfinished() {
    return jobs().stream()
        .filter(s -> !states.getOrDefault(s.id(), State.SUBMITTED).terminal())
        .toList();
  }

  /** The last seen state of {@code id}, as the API names it. */
  public String stateOf(String id) {
    State s = states.get(id);
    return s == null ? "unknown" : s.name();
  }

  /** One console line: {@code jobs: 24 submitted — 20 succeeded, 2 failed, 2 running}. */
  public String summaryLine() {
    Map<State, Integer> c = counts();
    int total = c.values().stream().mapToInt(Integer::intValue).sum();
    StringBuilder b = new StringBuilder("jobs: " + total + " submitted");
    String sep = " — ";
    for (Map.Entry<State, Integer> e : c.entrySet()) {
      b.append(sep).append(e.getValue()).append(' ').append(e.getKey().name().toLowerCase());
      sep = ", ";
    }
    return b.toString();
  }

  /**
   * Submits {@code ratePerMinute} jobs a minute (none when 0) and refreshes states every 5 s,
   * printing a summary line every {@code reportEvery}, on one daemon thread.
   */
  public void start(double ratePerMinute, Duration reportEvery, Instant scenarioStart) {
    timer =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, "demo-workload");
              t.setDaemon(true);
              return t;
            });
    if (ratePerMinute > 0) {
      long periodMs = Math.max(100, Math.round(60_000 / ratePerMinute));
      timer.scheduleAtFixedRate(this::submitQuietly, 0, periodMs, TimeUnit.MILLISECONDS);
    }
    timer.scheduleWithFixedDelay(this::refreshQuietly, 5, 5, TimeUnit.SECONDS);
    long reportMs = reportEvery.toMillis();
    timer.scheduleAtFixedRate(
        () -> {
          if (!jobs().isEmpty()) {
            out.printf(
                "[%s] %s%n",
                DemoClock.elapsed(Duration.between(scenarioStart, clock.instant())), summaryLine());
          }
        },
        reportMs,
        reportMs,
        TimeUnit.MILLISECONDS);
  }

  /** Stops submitting (jobs already submitted run on); idempotent. */
  public void stopSubmitting() {
    if (timer != null) {
      timer.shutdownNow();
      try {
        timer.awaitTermination(10, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }

  private void submitQuietly() {
    try {
      submitNext();
    } catch (RuntimeException e) {
      // The API may be briefly unavailable (shutting down, restarting): report once per reason.
      if (submitErrors.add(e.getMessage())) {
        log.warn("demo workload: cannot submit a job: {}", e.getMessage());
      }
    }
  }

  private void refreshQuietly() {
    try {
      refresh();
    } catch (RuntimeException e) {
      log.debug("demo workload: cannot refresh job states: {}", e.toString());
    }
  }

  @Override
  public void close() {
    stopSubmitting();
  }
}
