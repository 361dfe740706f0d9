package dev.ferry.app;

import dev.ferry.app.demo.DemoApi;
import dev.ferry.app.demo.DemoSetup;
import dev.ferry.app.demo.DemoSites;
import dev.ferry.app.demo.DemoState;
import dev.ferry.app.demo.Expectations;
import dev.ferry.app.demo.SampleData;
import dev.ferry.app.demo.Scenario;
import dev.ferry.app.demo.ScenarioDriver;
import dev.ferry.app.demo.Workload;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.TypeConversionException;

/**
 * {@code ferry demo}: the embedded runtime with every role and three demo sites — SITE_A a local
 * directory, SITE_B an in-process SFTP server, SITE_C an in-process S3 server — generated sample
 * datasets, a continuous workload of copies among them (A→B, A→C, B→C, C→A), and, a few minutes in,
 * the A→B link degrading (throttled, then broken) and recovering, through a fault-injecting TCP
 * proxy in front of the SFTP server.
 *
 * <p>Everything lives under {@code --data-dir}; a second run reuses the tenant, sites, endpoints,
 * datasets, ports and host key, and re-registers an endpoint only when its server had to move to
 * another port. {@code --headless} runs for {@code --duration} (default 6 minutes), lets the jobs
 * finish, and exits 0 only when the scenario's {@link Expectations} held.
 */
@Command(
    name = "demo",
    mixinStandardHelpOptions = true,
    description = {
      "Run Ferry with three demo sites (local, SFTP, S3), a continuous workload of transfers among"
          + " them, and one link that degrades a few minutes in and later recovers.",
      "Ctrl-C stops it; running it again continues with the same data."
    })
public final class DemoCommand implements Callable<Integer> {
  /** The console line a script can wait for: everything is up and the workload is starting. */
  public static final String READY = "ferry demo: ready";

  static final Duration TELEMETRY_WINDOW = Duration.ofSeconds(10);
  static final String ANOMALY_WARM_UP = "ferry.telemetry.anomaly.warm-up-windows";
  static final Duration HEADLESS_DEFAULT_DURATION = Duration.ofMinutes(6);
  static final Duration DRAIN_TIMEOUT = Duration.ofMinutes(3);
  static final String DEGRADED_SOURCE = "SITE_A";
  static final String DEGRADED_DESTINATION = "SITE_B";

  @Mixin ServerOptions options = new ServerOptions();

  @Option(
      names = "--headless",
      description =
          "Run for --duration, wait for the jobs, check the scenario's expectations and exit: 0"
              + " when they held, 1 (listing what did not) otherwise.")
  boolean headless;

  @Option(
      names = "--duration",
      converter = DurationConverter.class,
      description =
          "How long the workload runs, e.g. 90s, 3m, 1h (default: until Ctrl-C; 6m with"
              + " --headless). The fault phases scale with it.")
  Duration duration;

  @Option(
      names = "--rate",
      description =
          "Transfer jobs submitted per minute, across the four routes (default:"
              + " ${DEFAULT-VALUE}; 0 submits none).")
  double rate = 20;

  @Option(names = "--no-faults", description = "Keep every link healthy.")
  boolean noFaults;

  @Option(
      names = "--fault-at",
      converter = DurationConverter.class,
      description =
          "When the SITE_A → SITE_B link starts to degrade (default: half of --duration, or 3m"
              + " until Ctrl-C). It must leave the anomaly detector time to learn the healthy"
              + " link first.")
  Duration faultAt;

  @Override
  public Integer call() throws Exception {
    if (rate < 0 || Double.isNaN(rate) || rate > 600) {
      throw new IllegalArgumentException("--rate must be between 0 and 600 jobs a minute");
    }
    if (duration != null && (duration.isNegative() || duration.isZero())) {
      throw new IllegalArgumentException("--duration must be positive");
    }
    Duration runFor = duration != null ? duration : headless ? HEADLESS_DEFAULT_DURATION : null;
    Scenario scenario = noFaults ? Scenario.healthy() : Scenario.standard(runFor, faultAt);
    PrintStream out = System.out;
    Clock clock = Clock.systemUTC();
    long t0 = System.nanoTime();
    Path dataDir = options.dataDir.toAbsolutePath();
    Path demoDir = dataDir.resolve("demo");
    Files.createDirectories(demoDir);
    DemoState state = DemoState.load(demoDir.resolve("state.properties"));

    if (options.telemetryWindow == null) {
      // Short windows, so that the anomaly detector sees enough of them within minutes.
      options.telemetryWindow = TELEMETRY_WINDOW;
    }
    // The anomaly detector's shortest warm-up (8 windows with traffic, 80 s at 10-s windows), so
    // that
    // it knows the healthy link before the fault; the runtime reads ferry.telemetry.anomaly.* from
    // system properties, and one given on the command line (-D) wins.
    defaultSystemProperty(ANOMALY_WARM_UP, "8");
    // Idle cost (docs/benchmarks.md, "Demo footprint"): in one process the outbox relay is woken by
    // every commit, so its idle poll only backs that up; the sweeper finds expired leases and due
    // retries within 5 s instead of 1 s; two pooled connections are enough while idle.
    defaultSystemProperty("ferry.kafka.relay-idle", "2s");
    defaultSystemProperty("ferry.sweep-interval", "5s");
    defaultSystemProperty("spring.datasource.hikari.minimum-idle", "2");
    // Start-up (docs/benchmarks.md, "Demo footprint"): the demo's servers and sample data do not
    // need the runtime, so they start on their own thread while it starts. Until the join below
    // only that thread touches `state`; the join orders its writes before the main thread's.
    CompletableFuture<DemoSites> sitesStart = new CompletableFuture<>();
    Thread sitesStarter =
        new Thread(
            () -> {
              try {
                sitesStart.complete(startSites(demoDir, state, out));
              } catch (Throwable e) {
                sitesStart.completeExceptionally(e);
              }
            },
            "ferry-demo-sites-start");
    sitesStarter.setDaemon(true);
    sitesStarter.start();
    FerryRuntime runtime;
    try {
      runtime = FerryRuntime.start(options, true, out);
    } catch (RuntimeException e) {
      sitesStart.thenAccept(DemoSites::close);
      throw e;
    }
    quietLogs(); // after the start: Spring Boot re-reads the logging configuration as it starts
    Parts parts = new Parts(runtime);
    Runtime.getRuntime().addShutdownHook(new Thread(parts::close, "ferry-demo-shutdown"));
    try {
      try {
        parts.sites = sitesStart.join();
      } catch (CompletionException e) {
        throw e.getCause() instanceof Exception cause ? cause : e;
      }
      DemoSites sites = parts.sites;
      DemoApi root =
          new DemoApi(runtime.baseUrl(), Files.readString(dataDir.resolve("admin-token")).strip());
      String token = DemoSetup.tenantToken(root, dataDir, clock);
      DemoApi api = root.withToken(token);
      DemoSetup.sites(api);
      List<String> registered = DemoSetup.endpoints(api, DemoSetup.wanted(sites, state), state);
      if (!registered.isEmpty()) {
        out.println("Registered endpoints: " + String.join(", ", registered));
      }

      banner(out, runtime.baseUrl(), token, sites, scenario, runFor, t0);

      // Ready means the console is up and a job can be submitted; the first run's copy of the
      // sample datasets to SITE_C is the demo's own content, made after that line (it is a real
      // transfer, seconds on a first run) and before the workload, whose C → A route reads it.
      if (!"true".equals(state.get("c.seeded"))) {
        long s0 = System.nanoTime();
        out.println("Seeding SITE_C (S3) with the sample datasets; the workload starts after it …");
        DemoSetup.seedSiteC(api, state, clock, Duration.ofMinutes(3));
        out.printf(Locale.ROOT, "SITE_C seeded in %.1f s%n", (System.nanoTime() - s0) / 1e9);
      }

      Instant start = clock.instant();
      parts.driver =
          new ScenarioDriver(
              scenario,
              sites.wan(),
              DEGRADED_SOURCE + " → " + DEGRADED_DESTINATION,
              clock,
              start,
              out);
      parts.driver.start();
      parts.workload =
          new Workload(api, routes(), Long.toString(start.getEpochSecond()), clock, out);
      parts.workload.start(rate, Duration.ofSeconds(30), start);

      if (runFor == null) {
        runtime.awaitShutdown();
        return 0;
      }
      if (parts.stopped.await(runFor.toMillis(), TimeUnit.MILLISECONDS)) {
        return 130; // Ctrl-C before the end
      }
      parts.workload.stopSubmitting();
      out.println("Workload stopped after " + runFor + "; waiting for the jobs to finish …");
      List<Expectations.Result> results =
          check(api, parts.workload, scenario, clock, parts.stopped, out);
      out.println();
      out.println("Scenario expectations:");
      results.forEach(r -> out.println(r.line()));
      boolean held = results.stream().allMatch(Expectations.Result::held);
      out.println(
          held
              ? "ferry demo: every expectation held"
              : "ferry demo: "
                  + results.stream().filter(r -> !r.held()).count()
                  + " expectation(s) did not hold");
      return !headless || held ? 0 : 1;
    } finally {
      if (runFor != null) {
        parts.close();
      }
    }
  }

  /** The three sites' servers and their sample datasets (written once, kept across runs). */
  private static DemoSites startSites(Path demoDir, DemoState state, PrintStream out)
      throws Exception {
    DemoSites sites = DemoSites.start(demoDir, state, out);
    try {
      Path aData = Files.createDirectories(sites.siteA().resolve("datasets"));
      Path bData = Files.createDirectories(sites.siteB().resolve("datasets"));
      SampleData.writeOnce(aData, SampleData.photos());
      SampleData.writeOnce(aData, SampleData.genomes());
      SampleData.writeOnce(bData, SampleData.logs());
      return sites;
    } catch (Exception | Error e) {
      sites.close();
      throw e;
    }
  }

  /** What {@link #call} started, closed once, in order, from the end of the run or Ctrl-C. */
  private static final class Parts {
    final FerryRuntime runtime;
    final CountDownLatch stopped = new CountDownLatch(1);
    volatile DemoSites sites;
    volatile ScenarioDriver driver;
    volatile Workload workload;
    private boolean closed;

    Parts(FerryRuntime runtime) {
      this.runtime = runtime;
    }

    synchronized void close() {
      if (closed) {
        return;
      }
      closed = true;
      stopped.countDown();
      if (workload != null) {
        workload.close();
      }
      if (driver != null) {
        driver.close();
      }
      // The worker finishes or releases its tasks while the servers are still up.
      runtime.close();
      if (sites != null) {
        sites.close();
      }
      if (writesClassArchiveAtExit()) {
        System.out.println(
            "ferry demo: stopped; the JVM now writes its class-data archive so that the next"
                + " start is faster (once after each build; this can take a minute) …");
      }
    }
  }

  /**
   * Whether this JVM dumps a class-data-sharing archive when it exits: the {@code ./ferry} launcher
   * asks for one on the first {@code ferry demo} after a build (-XX:ArchiveClassesAtExit), which
   * makes that exit take seconds to a minute after everything has stopped.
   */
  static boolean writesClassArchiveAtExit() {
    try {
      return java.lang.management.ManagementFactory.getRuntimeMXBean().getInputArguments().stream()
          .anyMatch(a -> a.startsWith("-XX:ArchiveClassesAtExit"));
    } catch (RuntimeException | LinkageError e) { // no java.management: just no notice
      return false;
    }
  }

  static List<Workload.Route> routes() {
    return List.of(
        new Workload.Route(
            "SITE_A",
            "SITE_B",
            DemoSetup.A_LOCAL,
            List.of("datasets/photos", "datasets/genomes"),
            DemoSetup.B_SFTP_WAN,
            "inbox/from-a"),
        new Workload.Route(
            "SITE_A",
            "SITE_C",
            DemoSetup.A_LOCAL,
            List.of("datasets/genomes", "datasets/photos"),
            DemoSetup.C_S3,
            "inbox/from-a"),
        new Workload.Route(
            "SITE_B",
            "SITE_C",
            DemoSetup.B_SFTP,
            List.of("datasets/logs"),
            DemoSetup.C_S3,
            "inbox/from-b"),
        new Workload.Route(
            "SITE_C",
            "SITE_A",
            DemoSetup.C_S3,
            List.of("datasets/photos", "datasets/genomes"),
            DemoSetup.A_LOCAL,
            "inbox/from-c"));
  }

  private void banner(
      PrintStream out,
      String base,
      String token,
      DemoSites sites,
      Scenario scenario,
      Duration runFor,
      long t0) {
    out.println();
    out.println("Ferry demo — three sites, a workload among them, one link that will degrade");
    out.println("  SITE_A  local directory  " + sites.siteA());
    out.println(
        "  SITE_B  SFTP server      127.0.0.1:"
            + sites.sftp().port()
            + " (from SITE_A through a fault-injecting proxy on :"
            + sites.wan().port()
            + ")");
    out.println("  SITE_C  S3 server        " + sites.s3().endpoint() + " bucket " + "ferry-demo");
    out.printf(
        Locale.ROOT,
        "  Workload %s jobs/min over A→B, A→C, B→C, C→A%s%n",
        rate == Math.rint(rate) ? Long.toString((long) rate) : Double.toString(rate),
        runFor == null ? " until Ctrl-C" : " for " + runFor.toString().substring(2).toLowerCase());
    if (scenario.hasFaults()) {
      StringBuilder b = new StringBuilder("  Faults   SITE_A → SITE_B:");
      for (Scenario.Phase p : scenario.phases()) {
        b.append(' ').append(p.name()).append(" at +").append(p.startsAt().toSeconds()).append('s');
      }
      out.println(b);
    } else {
      out.println("  Faults   none (--no-faults)");
    }
    out.println();
    out.println("  Console      " + base + "/");
    out.println("  Admin token  " + token);
    out.println();
    out.println("Try, in another terminal:");
    out.println("  export FERRY_URL=" + base + " FERRY_TOKEN=" + token);
    out.println("  ./ferry links");
    out.println("  ./ferry jobs ls");
    out.println("  ./ferry anomalies");
    out.println();
    out.printf(Locale.ROOT, "%s in %.1f s%n", READY, (System.nanoTime() - t0) / 1e9);
  }

  /** Sets a system property unless the command line (-D) already did. */
  private static void defaultSystemProperty(String key, String value) {
    if (System.getProperty(key) == null) {
      System.setProperty(key, value);
    }
  }

  /**
   * The demo's console is for its own lines (phases, job counts): per-task lines of the worker and
   * the session chatter of the in-process servers go to WARN. Only in {@code ferry demo}; the
   * server keeps the configured levels.
   */
  private static void quietLogs() {
    if (org.slf4j.LoggerFactory.getILoggerFactory()
        instanceof ch.qos.logback.classic.LoggerContext ctx) {
      for (String name :
          List.of(
              "dev.ferry.worker", "org.gaul", "org.eclipse.jetty", "dev.ferry.app.FerryRuntime")) {
        ctx.getLogger(name).setLevel(ch.qos.logback.classic.Level.WARN);
      }
      // Resets during the failing phase are the point of the demo, not news.
      ctx.getLogger("org.apache.sshd").setLevel(ch.qos.logback.classic.Level.ERROR);
    }
  }

  /** Waits for the jobs, then evaluates every expectation. */
  private static List<Expectations.Result> check(
      DemoApi api,
      Workload workload,
      Scenario scenario,
      Clock clock,
      CountDownLatch stopped,
      PrintStream out)
      throws InterruptedException {
    Instant deadline = clock.instant().plus(DRAIN_TIMEOUT);
    workload.refresh();
    while (!workload.unfinished().isEmpty() && clock.instant().isBefore(deadline)) {
      if (stopped.await(2, TimeUnit.SECONDS)) {
        break;
      }
      workload.refresh();
    }
    out.println("  " + workload.summaryLine());
    java.util.ArrayList<Expectations.Result> results = new java.util.ArrayList<>();
    results.add(Expectations.everyJobTerminal(workload));
    results.add(Expectations.consistency(api, clock, stopped));
    List<String[]> links =
        List.of(
            new String[] {"SITE_A", "SITE_B"},
            new String[] {"SITE_A", "SITE_C"},
            new String[] {"SITE_B", "SITE_C"},
            new String[] {"SITE_C", "SITE_A"});
    for (String[] l : links) {
      boolean degraded = l[0].equals(DEGRADED_SOURCE) && l[1].equals(DEGRADED_DESTINATION);
      DemoApi.Response r =
          api.get("/api/v1/anomalies?src=" + DemoApi.query(l[0]) + "&dst=" + DemoApi.query(l[1]));
      String name = l[0] + " → " + l[1];
      if (degraded && scenario.hasFaults()) {
        results.add(Expectations.flagged(name, r));
      } else {
        results.add(Expectations.notFlagged(name, r));
      }
    }
    return results;
  }

  /** {@code 90s}, {@code 3m}, {@code 1h}, {@code 1m30s} or ISO-8601 ({@code PT3M}). */
  static final class DurationConverter implements ITypeConverter<Duration> {
    @Override
    public Duration convert(String value) {
      String v = value.strip().toUpperCase(Locale.ROOT);
      try {
        if (v.startsWith("P")) {
          return Duration.parse(v);
        }
        if (v.matches("\\d+")) {
          return Duration.ofSeconds(Long.parseLong(v));
        }
        return Duration.parse("PT" + v);
      } catch (RuntimeException e) {
        throw new TypeConversionException(
            "'" + value + "' is not a duration (try 90s, 3m, 1h or 1m30s)");
      }
    }
  }
}
