import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.function.ToDoubleFunction;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Control-plane load generator for Ferry: job submissions through the REST API against a running
 * {@code ferry server --embedded}. Run with the JDK's single-file source launcher; it needs only
 * the JDK and the {@code psql} client (for the server-side timestamps of the dispatch measurement).
 * {@code bench/run-control-plane.sh} starts the server and calls it; see that script and {@code
 * docs/benchmarks.md}.
 *
 * <p>Four measurements, each repeated {@code --repeats} times in rotation, medians reported, with
 * the CPU each one cost per job (server threads by group, PostgreSQL, this generator, and other
 * processes) read from {@code /proc}:
 *
 * <ol>
 *   <li><b>throughput</b>: closed loop, C clients each submitting back to back until N submissions
 *       are done; submissions/s = N / wall time, latency per request.
 *   <li><b>baseline</b>: the same clients reading one job, the floor under every API call.
 *   <li><b>fixed rate</b>: open loop at R requests/s for S seconds; every request has an intended
 *       start time (start + i/R) and its latency is measured from that time, so a stalled server
 *       cannot hide its stall by slowing the generator down (no coordinated omission).
 *   <li><b>dispatch</b>: J jobs of one small file, one after another (the next is submitted when
 *       the previous has settled); for each, submit → first task RUNNING, taken from a trigger the
 *       benchmark installs on the throwaway database (see {@link #installClaimTrigger}), and broken
 *       down into stages from the server's own timestamps.
 * </ol>
 *
 * <p>Jobs of the throughput and rate runs list an empty directory: they go SUBMITTED → PLANNING →
 * SUCCEEDED without tasks, so a run measures the control plane and not file copying. Every job of a
 * run carries the run's label in its destination path, which is how the database queries find them.
 *
 * <p>Markdown goes to stdout, progress to stderr.
 */
public final class SubmitBench {
  // --- options ---------------------------------------------------------------------------------
  private String url;
  private String rootToken;
  private Path fsDir;
  private int pgPort;
  private long serverPid = -1;
  private List<Integer> clients = List.of(16, 32);
  private int requests = 2000;
  private int warmup = 6000;
  private int rate = 200;
  private int rateSeconds = 20;
  private int dispatchJobs = 200;
  private int repeats = 3;
  private boolean idempotencyKeys = true;
  private int drainTimeoutSeconds = 180;
  private String jfr; // when set: record JFR on the server from after warm-up to the end

  private HttpClient http;
  private String token; // tenant admin token
  private String database = "?"; // the embedded PostgreSQL's version and durability settings
  private final String runId = Long.toString(System.currentTimeMillis() % 1_000_000_000L, 36);

  public static void main(String[] args) throws Exception {
    SubmitBench b = new SubmitBench();
    b.parse(args);
    b.run();
  }

  private void parse(String[] args) {
    Map<String, String> o = new HashMap<>();
    for (int i = 0; i < args.length; i++) {
      if (!args[i].startsWith("--") || i + 1 >= args.length) {
        throw new IllegalArgumentException("expected --name value pairs, got " + args[i]);
      }
      o.put(args[i].substring(2), args[++i]);
    }
    url = required(o, "url").replaceAll("/+$", "");
    rootToken = required(o, "root-token");
    fsDir = Path.of(required(o, "fs")).toAbsolutePath();
    pgPort = Integer.parseInt(required(o, "pg-port"));
    serverPid = Long.parseLong(o.getOrDefault("server-pid", "-1"));
    if (o.containsKey("clients")) {
      clients =
          Arrays.stream(o.get("clients").trim().split("[ ,]+")).map(Integer::parseInt).toList();
    }
    requests = Integer.parseInt(o.getOrDefault("requests", "" + requests));
    warmup = Integer.parseInt(o.getOrDefault("warmup", "" + warmup));
    rate = Integer.parseInt(o.getOrDefault("rate", "" + rate));
    rateSeconds = Integer.parseInt(o.getOrDefault("rate-seconds", "" + rateSeconds));
    dispatchJobs = Integer.parseInt(o.getOrDefault("dispatch-jobs", "" + dispatchJobs));
    repeats = Integer.parseInt(o.getOrDefault("repeats", "" + repeats));
    idempotencyKeys = Boolean.parseBoolean(o.getOrDefault("idempotency-keys", "true"));
    drainTimeoutSeconds =
        Integer.parseInt(o.getOrDefault("drain-timeout", "" + drainTimeoutSeconds));
    jfr = o.get("jfr");
  }

  private static String required(Map<String, String> o, String name) {
    String v = o.get(name);
    if (v == null || v.isBlank()) {
      throw new IllegalArgumentException("--" + name + " is required");
    }
    return v;
  }

  // --- the run ---------------------------------------------------------------------------------

  private void run() throws Exception {
    http =
        HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5))
            .build();
    setUp();
    installClaimTrigger();
    String[] db =
        psql("SELECT split_part(version(), ' ', 2), current_setting('fsync'),"
                + " current_setting('synchronous_commit'), current_setting('shared_buffers')")
            .get(0)
            .split("\t");
    database =
        "PostgreSQL "
            + db[0]
            + " (embedded), fsync="
            + db[1]
            + ", synchronous_commit="
            + db[2]
            + ", shared_buffers="
            + db[3];
    log("%s", database);

    warmUp();

    if (jfr != null) {
      jcmd("JFR.start", "name=bench", "settings=profile", "filename=" + jfr);
    }
    Map<String, List<Map<String, Double>>> byKind = new LinkedHashMap<>();
    for (int r = 1; r <= repeats; r++) {
      for (int c : clients) {
        String kind = "throughput, " + c + " clients";
        log("[%d/%d] %s: %d submissions", r, repeats, kind, requests);
        CpuMeter cpu = new CpuMeter();
        Map<String, Double> m = closedLoop(label("t" + c + "-" + r), c, requests);
        m.putAll(drain(label("t" + c + "-" + r)));
        m.putAll(cpu.perJob(requests));
        byKind.computeIfAbsent(kind, k -> new ArrayList<>()).add(m);
        log("    %s", brief(m));
      }
      int c = clients.get(clients.size() - 1);
      String kind = "baseline: GET /api/v1/jobs/{id}, " + c + " clients";
      log("[%d/%d] %s: %d requests", r, repeats, kind, requests);
      CpuMeter getCpu = new CpuMeter();
      Map<String, Double> g = closedLoopGet(c, requests);
      g.putAll(getCpu.perJob(requests));
      byKind.computeIfAbsent(kind, k -> new ArrayList<>()).add(g);
      log("    %s", brief(g));

      kind = "fixed rate " + rate + "/s";
      log("[%d/%d] %s for %d s", r, repeats, kind, rateSeconds);
      CpuMeter cpu = new CpuMeter();
      Map<String, Double> m = openLoop(label("r-" + r), rate, rateSeconds);
      m.putAll(drain(label("r-" + r)));
      m.putAll(cpu.perJob(rate * rateSeconds));
      byKind.computeIfAbsent(kind, k -> new ArrayList<>()).add(m);
      log("    %s", brief(m));

      kind = "dispatch";
      log("[%d/%d] dispatch: %d sequential one-file jobs", r, repeats, dispatchJobs);
      m = dispatchRun(label("d-" + r), dispatchJobs);
      byKind.computeIfAbsent(kind, k -> new ArrayList<>()).add(m);
      log("    %s", brief(m));
    }
    if (jfr != null) {
      jcmd("JFR.stop", "name=bench");
      log("JFR recording of the server: %s", jfr);
    }
    report(byKind);
  }

  private void jcmd(String... args) throws IOException, InterruptedException {
    List<String> cmd = new ArrayList<>(List.of("jcmd", Long.toString(serverPid)));
    cmd.addAll(List.of(args));
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (p.waitFor() != 0) {
      log("jcmd %s failed: %s", String.join(" ", args), out);
    }
  }

  /**
   * Warms the server up until the JIT has settled: rounds of {@code requests} submissions (each
   * drained) until at least {@code warmup} submissions are done and the JIT compiler threads used
   * less than 10 % of the server's CPU in the last round, or 10 rounds or 150 s have passed (the
   * run log shows every round, so a warm-up cut short is visible); then a few dispatch jobs for the
   * worker's path. On 2 cores a cold server is several times slower than a warm one, and whether
   * throughput still rises is a poor signal on a noisy machine; the compilers' share is a direct
   * one.
   */
  private void warmUp() throws Exception {
    int c = clients.get(clients.size() - 1);
    int round = Math.max(500, requests);
    log(
        "warm-up: rounds of %d submissions with %d clients (at least %d in all, until the JIT"
            + " uses < 10 %% of the server's CPU)",
        round, c, warmup);
    int done = 0;
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(150);
    for (int i = 1; i <= 10 && System.nanoTime() < deadline; i++) {
      CpuMeter cpu = new CpuMeter();
      Map<String, Double> m = closedLoop(label("warmup-" + i), c, round);
      m.putAll(drain(label("warmup-" + i)));
      m.putAll(cpu.perJob(round));
      done += round;
      log("    round %d: %s", i, brief(m));
      double jit = m.getOrDefault("cpu:JIT compilers", 0.0);
      double server = m.getOrDefault("serverCpuMs", 0.0);
      if (done >= warmup && (server <= 0 || jit < 0.10 * server)) {
        break;
      }
    }
    int dispatch = Math.min(50, Math.max(10, dispatchJobs / 4));
    log("warm-up: %d dispatch jobs", dispatch);
    dispatchRun(label("warmup-d"), dispatch);
  }

  /** Run labels go into destination paths; the run id keeps them apart across invocations. */
  private String label(String name) {
    return "bench-" + runId + "/" + name;
  }

  private static String brief(Map<String, Double> m) {
    StringBuilder s = new StringBuilder();
    for (String k :
        List.of(
            "rps",
            "p50",
            "p99",
            "max",
            "errors",
            "pipelineRate",
            "dispatchP50",
            "dispatchP99",
            "serverCpuMs",
            "pgCpuMs",
            "clientCpuMs",
            "cpu:JIT compilers",
            "othersPct",
            "wallSeconds")) {
      if (m.containsKey(k)) {
        s.append(k.equals("cpu:JIT compilers") ? "jitCpuMs" : k)
            .append('=')
            .append(fmt(m.get(k)))
            .append(' ');
      }
    }
    return s.toString();
  }

  // --- setup -----------------------------------------------------------------------------------

  private void setUp() throws Exception {
    Files.createDirectories(fsDir.resolve("a/empty"));
    Files.createDirectories(fsDir.resolve("a/one"));
    Files.createDirectories(fsDir.resolve("b"));
    byte[] kib = new byte[1024];
    new java.util.Random(42).nextBytes(kib);
    Files.write(fsDir.resolve("a/one/file.bin"), kib);

    Resp t = post("/api/v1/tenants", rootToken, "{\"name\":\"bench-" + runId + "\"}", null);
    expect(t, 201, "create tenant");
    token = group(t.body, "\"token\"\\s*:\\s*\"(ferry_[A-Za-z0-9]+)\"");
    for (String site : List.of("SITE_A", "SITE_B")) {
      expect(post("/api/v1/sites", token, "{\"name\":\"" + site + "\"}", null), 201, "create site");
    }
    expect(
        post(
            "/api/v1/endpoints",
            token,
            "{\"name\":\"a\",\"site\":\"SITE_A\",\"uri\":\"" + fsDir.resolve("a").toUri() + "\"}",
            null),
        201,
        "create endpoint a");
    expect(
        post(
            "/api/v1/endpoints",
            token,
            "{\"name\":\"b\",\"site\":\"SITE_B\",\"uri\":\"" + fsDir.resolve("b").toUri() + "\"}",
            null),
        201,
        "create endpoint b");
    log("tenant bench-%s with sites SITE_A, SITE_B and endpoints a, b under %s", runId, fsDir);
  }

  private static String jobBody(String sourcePath, String destPath) {
    return "{\"source\":{\"endpoint\":\"a\",\"path\":\""
        + sourcePath
        + "\"},\"destination\":{\"endpoint\":\"b\",\"path\":\""
        + destPath
        + "\"}}";
  }

  // --- 1. closed loop --------------------------------------------------------------------------

  private Map<String, Double> closedLoop(String label, int concurrency, int n) throws Exception {
    long[] latency = new long[n];
    AtomicInteger next = new AtomicInteger();
    AtomicInteger errors = new AtomicInteger();
    CountDownLatch done = new CountDownLatch(concurrency);
    long t0 = System.nanoTime();
    for (int c = 0; c < concurrency; c++) {
      Thread th =
          new Thread(
              () -> {
                try {
                  int i;
                  while ((i = next.getAndIncrement()) < n) {
                    long s = System.nanoTime();
                    Resp r = submit(label, i, "empty");
                    latency[i] = System.nanoTime() - s;
                    if (r.status != 201) {
                      error(errors, r);
                    }
                  }
                } finally {
                  done.countDown();
                }
              },
              "client-" + c);
      th.setDaemon(true);
      th.start();
    }
    done.await();
    double seconds = (System.nanoTime() - t0) / 1e9;
    Map<String, Double> m = latencies(latency);
    m.put("rps", n / seconds);
    m.put("seconds", seconds);
    m.put("errors", (double) errors.get());
    return m;
  }

  /**
   * The floor under every API call: the same clients reading one job ({@code GET
   * /api/v1/jobs/{id}}: HTTP, bearer-token lookup, one query, JSON) instead of submitting.
   */
  private Map<String, Double> closedLoopGet(int concurrency, int n) throws Exception {
    if (sampleJobId == null) {
      Resp r = submit(label("get-target"), 0, "empty");
      expect(r, 201, "submit the job the baseline reads");
      sampleJobId = group(r.body, "\"id\"\\s*:\\s*\"([0-9a-f-]{36})\"");
      drain(label("get-target"));
    }
    long[] latency = new long[n];
    AtomicInteger next = new AtomicInteger();
    AtomicInteger errors = new AtomicInteger();
    CountDownLatch done = new CountDownLatch(concurrency);
    long t0 = System.nanoTime();
    for (int c = 0; c < concurrency; c++) {
      Thread th =
          new Thread(
              () -> {
                try {
                  int i;
                  while ((i = next.getAndIncrement()) < n) {
                    long s = System.nanoTime();
                    Resp r = get("/api/v1/jobs/" + sampleJobId, token);
                    latency[i] = System.nanoTime() - s;
                    if (r.status != 200) {
                      error(errors, r);
                    }
                  }
                } finally {
                  done.countDown();
                }
              },
              "reader-" + c);
      th.setDaemon(true);
      th.start();
    }
    done.await();
    double seconds = (System.nanoTime() - t0) / 1e9;
    Map<String, Double> m = latencies(latency);
    m.put("rps", n / seconds);
    m.put("errors", (double) errors.get());
    return m;
  }

  private String sampleJobId;

  // --- 2. open loop ----------------------------------------------------------------------------

  private Map<String, Double> openLoop(String label, int perSecond, int seconds) throws Exception {
    int n = perSecond * seconds;
    long period = 1_000_000_000L / perSecond;
    long[] latency = new long[n];
    AtomicInteger errors = new AtomicInteger();
    AtomicLong lastEnd = new AtomicLong();
    ExecutorService pool = Executors.newFixedThreadPool(128, daemon("rate"));
    CountDownLatch done = new CountDownLatch(n);
    long start = System.nanoTime() + 20_000_000L;
    long maxLag = 0;
    for (int i = 0; i < n; i++) {
      long intended = start + i * period;
      long wait;
      while ((wait = intended - System.nanoTime()) > 0) {
        LockSupport.parkNanos(wait);
      }
      maxLag = Math.max(maxLag, System.nanoTime() - intended);
      int k = i;
      pool.execute(
          () -> {
            try {
              Resp r = submit(label, k, "empty");
              long end = System.nanoTime();
              latency[k] = end - intended; // from the intended start: queueing counts
              lastEnd.accumulateAndGet(end, Math::max);
              if (r.status != 201) {
                error(errors, r);
              }
            } finally {
              done.countDown();
            }
          });
    }
    done.await();
    pool.shutdown();
    Map<String, Double> m = latencies(latency);
    m.put("rps", n / ((lastEnd.get() - start) / 1e9));
    m.put("errors", (double) errors.get());
    m.put("generatorLagMs", maxLag / 1e6);
    return m;
  }

  private Resp submit(String label, int i, String sourcePath) {
    return post(
        "/api/v1/jobs",
        token,
        jobBody(sourcePath, label + "/" + i),
        idempotencyKeys ? runId + "-" + label + "-" + i : null);
  }

  private static void error(AtomicInteger errors, Resp r) {
    if (errors.incrementAndGet() <= 3) {
      log(
          "    unexpected answer %d: %s",
          r.status, r.body.length() > 300 ? r.body.substring(0, 300) : r.body);
    }
  }

  /**
   * Waits until every job is settled (the planner has caught up with the submissions) and returns,
   * for the run's jobs, the rate at which the whole pipeline settled them: jobs / (last finished −
   * first created).
   */
  private Map<String, Double> drain(String label) throws Exception {
    long started = System.nanoTime();
    long deadline = started + TimeUnit.SECONDS.toNanos(drainTimeoutSeconds);
    long open;
    while ((open =
            Long.parseLong(
                psql("SELECT count(*) FROM jobs WHERE state IN ('SUBMITTED','PLANNING','RUNNING')")
                    .get(0)))
        > 0) {
      if (System.nanoTime() > deadline) {
        log("    %d jobs still open after %d s; going on", open, drainTimeoutSeconds);
        break;
      }
      Thread.sleep(250);
    }
    List<String> row =
        psql(
            "SELECT count(*), count(*) FILTER (WHERE state <> 'SUCCEEDED'),"
                + " extract(epoch FROM max(finished_at) - min(created_at))"
                + " FROM jobs WHERE dest_path LIKE '"
                + label
                + "/%'");
    String[] f = row.get(0).split("\t");
    Map<String, Double> m = new HashMap<>();
    m.put("jobs", Double.parseDouble(f[0]));
    m.put("notSucceeded", Double.parseDouble(f[1]));
    m.put("drainSeconds", (System.nanoTime() - started) / 1e9);
    if (!f[2].isEmpty()) {
      m.put("pipelineRate", Double.parseDouble(f[0]) / Double.parseDouble(f[2]));
    }
    return m;
  }

  // --- 3. dispatch -----------------------------------------------------------------------------

  /**
   * Records the moment each task goes DISPATCHED → RUNNING (the worker's claim), with the database
   * clock, in a table of its own. Installed by the benchmark into its throwaway database only; the
   * trigger fires once per claim and costs one small insert.
   */
  private void installClaimTrigger() throws Exception {
    psql(
        "CREATE TABLE IF NOT EXISTS bench_claims (task_id uuid NOT NULL, job_id uuid NOT NULL,"
            + " attempt int NOT NULL, at timestamptz NOT NULL);"
            + " CREATE INDEX IF NOT EXISTS bench_claims_job ON bench_claims (job_id);"
            + " CREATE OR REPLACE FUNCTION bench_record_claim() RETURNS trigger LANGUAGE plpgsql AS"
            + " $$ BEGIN INSERT INTO bench_claims VALUES (NEW.id, NEW.job_id, NEW.attempt,"
            + " clock_timestamp()); RETURN NULL; END $$;"
            + " CREATE OR REPLACE TRIGGER bench_record_claim AFTER UPDATE OF state ON tasks"
            + " FOR EACH ROW WHEN (OLD.state = 'DISPATCHED' AND NEW.state = 'RUNNING')"
            + " EXECUTE FUNCTION bench_record_claim();");
  }

  private static final List<String> SETTLED =
      List.of("SUCCEEDED", "FAILED", "PARTIALLY_SUCCEEDED", "CANCELLED");
  private static final Pattern STATE = Pattern.compile("\"state\"\\s*:\\s*\"([A-Z_]+)\"");

  private Map<String, Double> dispatchRun(String label, int n) throws Exception {
    Map<String, Long> sentMicros = new HashMap<>();
    int errors = 0;
    CpuMeter cpu = new CpuMeter();
    for (int i = 0; i < n; i++) {
      long sent = micros(Instant.now());
      Resp r = submit(label, i, "one");
      if (r.status != 201) {
        errors++;
        log("    unexpected answer %d: %s", r.status, r.body);
        continue;
      }
      String id = group(r.body, "\"id\"\\s*:\\s*\"([0-9a-f-]{36})\"");
      sentMicros.put(id, sent);
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
      while (true) {
        Thread.sleep(10);
        Resp g = get("/api/v1/jobs/" + id, token);
        Matcher s = STATE.matcher(g.body);
        if (s.find() && SETTLED.contains(s.group(1))) {
          break;
        }
        if (System.nanoTime() > deadline) {
          log("    job %s not settled after 30 s (%s); going on", id, g.body);
          errors++;
          break;
        }
      }
    }
    Map<String, Double> cpuPerJob = cpu.perJob(n);
    // One row per job, times in epoch microseconds: created, job.submitted published, PLANNING,
    // tasks dispatched, task.dispatched published, first claim, finished.
    List<String> rows =
        psql(
            "WITH j AS (SELECT id, created_at, finished_at FROM jobs WHERE dest_path LIKE '"
                + label
                + "/%'),"
                + " o AS (SELECT payload::jsonb->>'subject' AS subject,"
                + "   payload::jsonb->>'type' AS type, published_at FROM outbox"
                + "   WHERE created_at >= (SELECT min(created_at) FROM j)"
                + "   AND topic IN ('ferry.jobs', 'ferry.tasks'))"
                + " SELECT j.id,"
                + " (extract(epoch FROM j.created_at) * 1e6)::bigint,"
                + " (SELECT (extract(epoch FROM min(o.published_at)) * 1e6)::bigint FROM o"
                + "   WHERE o.subject = j.id::text AND o.type = 'dev.ferry.job.submitted'),"
                + " (SELECT (extract(epoch FROM min(e.at)) * 1e6)::bigint FROM job_events e"
                + "   WHERE e.job_id = j.id AND e.type = 'state:PLANNING'),"
                + " (SELECT (extract(epoch FROM min(t.dispatched_at)) * 1e6)::bigint FROM tasks t"
                + "   WHERE t.job_id = j.id),"
                + " (SELECT (extract(epoch FROM min(o.published_at)) * 1e6)::bigint FROM o"
                + "   JOIN tasks t ON o.subject = t.id::text"
                + "   WHERE t.job_id = j.id AND o.type = 'dev.ferry.task.dispatched'),"
                + " (SELECT (extract(epoch FROM min(c.at)) * 1e6)::bigint FROM bench_claims c"
                + "   WHERE c.job_id = j.id),"
                + " (extract(epoch FROM j.finished_at) * 1e6)::bigint"
                + " FROM j");
    List<long[]> jobs = new ArrayList<>();
    for (String row : rows) {
      String[] f = row.split("\t", -1);
      Long sent = sentMicros.get(f[0]);
      if (sent == null || Arrays.stream(f).anyMatch(String::isEmpty)) {
        errors++;
        continue;
      }
      long[] t = new long[8];
      t[0] = sent;
      for (int k = 1; k < 8; k++) {
        t[k] = Long.parseLong(f[k]);
      }
      jobs.add(t);
    }
    Map<String, Double> m = new HashMap<>();
    m.put("errors", (double) errors);
    m.put("jobs", (double) jobs.size());
    // total: client's send → claim; server: job row created → claim
    putPercentiles(m, "dispatch", jobs, t -> t[6] - t[0]);
    putPercentiles(m, "serverDispatch", jobs, t -> t[6] - t[1]);
    putPercentiles(m, "endToEnd", jobs, t -> t[7] - t[0]);
    // stages (medians)
    putPercentiles(m, "sApi", jobs, t -> t[1] - t[0]);
    putPercentiles(m, "sRelayJob", jobs, t -> t[2] - t[1]);
    putPercentiles(m, "sPlannerPickup", jobs, t -> t[3] - t[2]);
    putPercentiles(m, "sPlanning", jobs, t -> t[4] - t[3]);
    putPercentiles(m, "sRelayTask", jobs, t -> t[5] - t[4]);
    putPercentiles(m, "sWorkerClaim", jobs, t -> t[6] - t[5]);
    m.putAll(cpuPerJob);
    return m;
  }

  private static void putPercentiles(
      Map<String, Double> m, String name, List<long[]> jobs, ToDoubleFunction<long[]> micros) {
    double[] v = jobs.stream().mapToDouble(micros).map(x -> x / 1000.0).sorted().toArray();
    if (v.length == 0) {
      return;
    }
    m.put(name + "P50", percentile(v, 50));
    m.put(name + "P99", percentile(v, 99));
    m.put(name + "Max", v[v.length - 1]);
  }

  private static long micros(Instant i) {
    return ChronoUnit.MICROS.between(Instant.EPOCH, i);
  }

  // --- statistics ------------------------------------------------------------------------------

  /** Nearest-rank percentile of sorted values. */
  private static double percentile(double[] sorted, double p) {
    int rank = (int) Math.ceil(p / 100.0 * sorted.length);
    return sorted[Math.max(0, Math.min(sorted.length - 1, rank - 1))];
  }

  private static Map<String, Double> latencies(long[] nanos) {
    double[] ms = Arrays.stream(nanos).mapToDouble(x -> x / 1e6).sorted().toArray();
    Map<String, Double> m = new HashMap<>();
    m.put("p50", percentile(ms, 50));
    m.put("p99", percentile(ms, 99));
    m.put("max", ms[ms.length - 1]);
    return m;
  }

  private static double median(List<Map<String, Double>> runs, String key) {
    double[] v =
        runs.stream()
            .filter(r -> r.containsKey(key))
            .mapToDouble(r -> r.get(key))
            .sorted()
            .toArray();
    if (v.length == 0) {
      return Double.NaN;
    }
    return v.length % 2 == 1 ? v[v.length / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
  }

  private static String runs(List<Map<String, Double>> runs, String key) {
    StringBuilder s = new StringBuilder();
    for (Map<String, Double> r : runs) {
      s.append(s.length() == 0 ? "" : " / ").append(r.containsKey(key) ? fmt(r.get(key)) : "–");
    }
    return s.toString();
  }

  private static String fmt(double v) {
    if (Double.isNaN(v)) {
      return "–";
    }
    if (Math.abs(v) >= 100 || v == Math.rint(v)) {
      return String.format(Locale.ROOT, "%.0f", v);
    }
    if (Math.abs(v) >= 10) {
      return String.format(Locale.ROOT, "%.1f", v);
    }
    return String.format(Locale.ROOT, "%.2f", v);
  }

  // --- report ----------------------------------------------------------------------------------

  private void report(Map<String, List<Map<String, Double>>> byKind) {
    StringBuilder md = new StringBuilder();
    md.append("- database: ").append(database).append("\n");
    md.append("\n## Results (median of ")
        .append(repeats)
        .append(" runs; the runs themselves in brackets)\n\n");
    md.append("Submissions: `POST /api/v1/jobs`")
        .append(idempotencyKeys ? " with a fresh `Idempotency-Key` each" : "")
        .append(", source an empty directory. ")
        .append(requests)
        .append(" submissions per throughput run; fixed rate for ")
        .append(rateSeconds)
        .append(" s; ")
        .append(dispatchJobs)
        .append(" sequential one-file (1 KiB) jobs per dispatch run.\n\n");
    md.append(
        "| measurement | requests/s | p50 ms | p99 ms | max ms | errors |"
            + " jobs settled/s (pipeline) | server CPU ms/req | PostgreSQL CPU ms/req |"
            + " generator CPU ms/req |\n");
    md.append("|---|---|---|---|---|---|---|---|---|---|\n");
    for (var e : byKind.entrySet()) {
      if (e.getKey().equals("dispatch")) {
        continue;
      }
      List<Map<String, Double>> r = e.getValue();
      md.append("| ").append(e.getKey());
      for (String k :
          List.of(
              "rps",
              "p50",
              "p99",
              "max",
              "errors",
              "pipelineRate",
              "serverCpuMs",
              "pgCpuMs",
              "clientCpuMs")) {
        md.append(" | **").append(fmt(median(r, k))).append("** (").append(runs(r, k)).append(")");
      }
      md.append(" |\n");
    }
    List<Map<String, Double>> d = byKind.get("dispatch");
    if (d != null) {
      md.append("\nDispatch (submit → first task RUNNING), ms:\n\n");
      md.append("| interval | p50 | p99 | max |\n|---|---|---|---|\n");
      for (String[] row :
          new String[][] {
            {"dispatch", "**client send → task RUNNING** (the target's measure)"},
            {"serverDispatch", "job row created → task RUNNING"},
            {"endToEnd", "client send → job SUCCEEDED (1 KiB copied)"},
            {"sApi", "stage: client send → job row created (HTTP, auth, validation)"},
            {"sRelayJob", "stage: job created → `job.submitted` published (commit, outbox relay)"},
            {"sPlannerPickup", "stage: published → planner moves job to PLANNING (Kafka consume)"},
            {"sPlanning", "stage: PLANNING → task inserted DISPATCHED (list source, group)"},
            {"sRelayTask", "stage: task inserted → `task.dispatched` published (commit, relay)"},
            {"sWorkerClaim", "stage: published → worker's claim sets RUNNING (consume, HTTP claim)"}
          }) {
        md.append("| ").append(row[1]);
        for (String s : List.of("P50", "P99", "Max")) {
          md.append(" | **")
              .append(fmt(median(d, row[0] + s)))
              .append("** (")
              .append(runs(d, row[0] + s))
              .append(")");
        }
        md.append(" |\n");
      }
      md.append("\nDispatch runs: jobs measured ")
          .append(runs(d, "jobs"))
          .append(", errors ")
          .append(runs(d, "errors"))
          .append("; server CPU ms per job ")
          .append(runs(d, "serverCpuMs"))
          .append(", PostgreSQL CPU ms per job ")
          .append(runs(d, "pgCpuMs"))
          .append(".\n");
    }
    md.append("\n## Where the CPU goes (median CPU ms per job, from /proc; run + drain)\n\n");
    md.append("| component |");
    for (String k : byKind.keySet()) {
      md.append(" ").append(k).append(" |");
    }
    md.append("\n|---|");
    byKind.keySet().forEach(k -> md.append("---|"));
    md.append("\n");
    for (String cat : CATEGORY_ORDER) {
      md.append("| ").append(cat).append(" |");
      for (var runsOfKind : byKind.values()) {
        md.append(" ").append(fmt(median(runsOfKind, "cpu:" + cat))).append(" |");
      }
      md.append("\n");
    }
    md.append("| **server JVM + PostgreSQL** (median of the runs' totals) |");
    for (var runsOfKind : byKind.values()) {
      double v =
          median(
              runsOfKind.stream()
                  .map(
                      r ->
                          Map.of(
                              "x",
                              r.getOrDefault("serverCpuMs", 0.0) + r.getOrDefault("pgCpuMs", 0.0)))
                  .toList(),
              "x");
      md.append(" **").append(fmt(v)).append("** |");
    }
    for (String[] row :
        new String[][] {
          {"pgCommits", "PostgreSQL commits per job"},
          {"pgInserted", "PostgreSQL rows inserted per job"},
          {"pgUpdated", "PostgreSQL rows updated per job"}
        }) {
      md.append("\n| ").append(row[1]).append(" |");
      for (var runsOfKind : byKind.values()) {
        md.append(" ").append(fmt(median(runsOfKind, row[0]))).append(" |");
      }
    }
    md.append("\n| machine busy, % of all cores |");
    for (var runsOfKind : byKind.values()) {
      md.append(" ").append(fmt(median(runsOfKind, "machineBusyPct"))).append(" |");
    }
    md.append("\n| other processes, % of all cores |");
    for (var runsOfKind : byKind.values()) {
      md.append(" ").append(fmt(median(runsOfKind, "othersPct"))).append(" |");
    }
    md.append(
        "\n\nEach component row is the median of that component over the runs, so the rows need"
            + " not add up to the total. PostgreSQL counters come from pg_stat_database, which"
            + " backends update about once a second, so they are approximate.");
    md.append(
        "\n\n"
            + "Throughput and rate runs are timed from the first submission until every job has"
            + " settled (the planner's backlog included); dispatch runs include the generator's"
            + " status polls (one `GET /api/v1/jobs/{id}` per 10 ms while a job runs).\n");
    md.append("\n## Targets\n\n| target | measured (median) | ratio | met |\n|---|---|---|---|\n");
    double best = Double.NaN;
    String bestKind = "";
    for (var e : byKind.entrySet()) {
      if (e.getKey().startsWith("throughput")) {
        double v = median(e.getValue(), "rps");
        if (Double.isNaN(best) || v > best) {
          best = v;
          bestKind = e.getKey();
        }
      }
    }
    if (!Double.isNaN(best)) {
      target(
          md,
          "≥ 1,000 submissions/s",
          fmt(best) + "/s (" + bestKind + ")",
          best / 1000.0,
          best >= 1000);
    }
    List<Map<String, Double>> fixed = byKind.get("fixed rate " + rate + "/s");
    if (fixed != null) {
      double p99 = median(fixed, "p99");
      double achieved = median(fixed, "rps");
      target(
          md,
          "p99 < 50 ms at " + rate + " requests/s",
          fmt(p99) + " ms (achieved " + fmt(achieved) + "/s)",
          p99 / 50.0,
          p99 < 50 && median(fixed, "errors") == 0);
    }
    if (d != null) {
      double p50 = median(d, "dispatchP50");
      target(md, "dispatch p50 < 50 ms", fmt(p50) + " ms", p50 / 50.0, p50 < 50);
    }
    md.append(
        "\nratio = measured / target (for throughput ≥ 1 is good; for latencies ≤ 1 is good)\n");
    md.append(
        "\n"
            + "## Run log\n\n"
            + "Per run: rps = submissions/s, p50/p99/max in ms, CPU in ms per job, othersPct ="
            + " share of all cores used by other processes, wallSeconds = run + drain.\n\n"
            + "```\n");
    synchronized (LOG) {
      LOG.forEach(l -> md.append(l).append('\n'));
    }
    md.append("```\n");
    md.append("\n<details><summary>Every value of every run</summary>\n\n```\n");
    for (var e : byKind.entrySet()) {
      int i = 0;
      for (Map<String, Double> r : e.getValue()) {
        md.append(e.getKey()).append(" #").append(++i).append(':');
        new java.util.TreeMap<>(r)
            .forEach((k, v) -> md.append(' ').append(k).append('=').append(fmt(v)));
        md.append('\n');
      }
    }
    md.append("```\n\n</details>\n");
    System.out.print(md);
    System.out.flush();
  }

  private static void target(
      StringBuilder md, String t, String measured, double ratio, boolean ok) {
    md.append("| ")
        .append(t)
        .append(" | ")
        .append(measured)
        .append(" | ")
        .append(fmt(ratio))
        .append(" | ")
        .append(ok ? "yes" : "**no**")
        .append(" |\n");
  }

  // --- CPU accounting --------------------------------------------------------------------------

  /** Server thread-name prefixes (Linux truncates names to 15 characters) → where the CPU went. */
  private static final String[][] CATEGORIES = {
    {"http-nio-", "API (Tomcat request threads)"},
    {"ferry-planner", "planner"},
    {"ferry-outbox-re", "outbox relay + Kafka producer I/O"},
    {"kafka-producer-", "outbox relay + Kafka producer I/O"},
    {"ferry-telemetry", "telemetry (Kafka Streams)"},
    {"ferry-consisten", "telemetry (Kafka Streams)"},
    {"rocksdb:", "telemetry (Kafka Streams)"},
    {"ferry-worker-", "worker"},
    {"heartbeat-", "worker"},
    {"HttpClient-", "worker"},
    {"kafka-coordinat", "Kafka consumer clients"},
    {"C1 CompilerThre", "JIT compilers"},
    {"C2 CompilerThre", "JIT compilers"},
    {"GC Thread", "GC + VM"},
    {"G1 ", "GC + VM"},
    {"VM ", "GC + VM"},
    {"data-plane-kafk", "Kafka broker"},
    {"group-coordinat", "Kafka broker"},
    {"kafka-", "Kafka broker"},
    {"ExpirationReape", "Kafka broker"},
    {"quorum-controll", "Kafka broker"},
    {"executor-", "Kafka broker"},
    {"broker-", "Kafka broker"},
    {"controller-", "Kafka broker"},
    {"share-", "Kafka broker"},
    {"raft-", "Kafka broker"},
    {"TxnMarkerSende", "Kafka broker"},
    {"transaction-", "Kafka broker"},
    {"LogDirFailureHa", "Kafka broker"},
    {"AddPartitionsTo", "Kafka broker"},
    {"PersisterState", "Kafka broker"},
    {"persister-state", "Kafka broker"},
    {"SensorExpiryThr", "Kafka broker"},
  };

  static final List<String> CATEGORY_ORDER =
      List.of(
          "API (Tomcat request threads)",
          "planner",
          "outbox relay + Kafka producer I/O",
          "Kafka broker",
          "telemetry (Kafka Streams)",
          "Kafka consumer clients",
          "worker",
          "JIT compilers",
          "GC + VM",
          "other server threads",
          "PostgreSQL",
          "load generator",
          "other processes (noise)");

  private static String category(String threadName) {
    for (String[] c : CATEGORIES) {
      if (threadName.startsWith(c[0])) {
        return c[1];
      }
    }
    return "other server threads";
  }

  /**
   * CPU time used between construction and {@link #perJob}: the server JVM by thread category
   * (control plane, worker and embedded Kafka share that process), the embedded PostgreSQL
   * (postmaster and its children, found through {@code /proc}), this generator, and everything else
   * on the machine (other users' builds: the noise). Linux only.
   */
  private final class CpuMeter {
    private final long wall = System.nanoTime();
    private final Map<String, Double> server = serverThreadsCpuMs();
    private final double pg = postgresCpuMs();
    private final double client = clientCpuMs();
    private final double machine = machineBusyMs();
    private final long[] db = pgStats();

    /** CPU ms per job by category ("cpu:" keys), plus the share of the machine others used. */
    Map<String, Double> perJob(int n) {
      double seconds = (System.nanoTime() - wall) / 1e9;
      Map<String, Double> m = new HashMap<>();
      double ours = 0;
      Map<String, Double> now = serverThreadsCpuMs();
      double serverTotal = 0;
      for (var e : now.entrySet()) {
        double d = e.getValue() - server.getOrDefault(e.getKey(), 0.0);
        m.merge("cpu:" + category(e.getKey()), d / n, Double::sum);
        serverTotal += d;
      }
      ours += serverTotal;
      m.put("serverCpuMs", serverTotal / n);
      double pgNow = postgresCpuMs();
      if (pg >= 0 && pgNow >= 0) {
        m.put("cpu:PostgreSQL", (pgNow - pg) / n);
        m.put("pgCpuMs", (pgNow - pg) / n);
        ours += pgNow - pg;
      }
      double c = clientCpuMs() - client;
      m.put("cpu:load generator", c / n);
      m.put("clientCpuMs", c / n);
      ours += c;
      double machineMs = machineBusyMs() - machine;
      double others = Math.max(0, machineMs - ours);
      m.put("cpu:other processes (noise)", others / n);
      int cores = Runtime.getRuntime().availableProcessors();
      m.put("othersPct", 100 * others / (seconds * 1000 * cores));
      m.put("machineBusyPct", 100 * machineMs / (seconds * 1000 * cores));
      long[] dbNow = pgStats();
      if (db != null && dbNow != null) {
        m.put("pgCommits", (double) (dbNow[0] - db[0]) / n);
        m.put("pgInserted", (double) (dbNow[1] - db[1]) / n);
        m.put("pgUpdated", (double) (dbNow[2] - db[2]) / n);
      }
      m.put("wallSeconds", seconds);
      return m;
    }
  }

  /** Committed transactions, rows inserted and rows updated in the server's database. */
  private long[] pgStats() {
    try {
      String[] f =
          psql("SELECT xact_commit, tup_inserted, tup_updated FROM pg_stat_database"
                  + " WHERE datname = 'postgres'")
              .get(0)
              .split("\t");
      return new long[] {Long.parseLong(f[0]), Long.parseLong(f[1]), Long.parseLong(f[2])};
    } catch (Exception e) {
      return null;
    }
  }

  private static double clientCpuMs() {
    return ((com.sun.management.OperatingSystemMXBean)
                java.lang.management.ManagementFactory.getOperatingSystemMXBean())
            .getProcessCpuTime()
        / 1e6;
  }

  /** CPU ms per live server thread, keyed by thread name with digits collapsed. */
  private Map<String, Double> serverThreadsCpuMs() {
    Map<String, Double> m = new HashMap<>();
    if (serverPid <= 0) {
      return m;
    }
    try (var tasks = Files.list(Path.of("/proc", Long.toString(serverPid), "task"))) {
      for (Path t : (Iterable<Path>) tasks::iterator) {
        try {
          String stat = Files.readString(t.resolve("stat"));
          String name = stat.substring(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
          // keep thread identity: the same thread must be compared with itself
          m.put(name + "#" + t.getFileName(), ticksMs(stat, false));
        } catch (IOException | RuntimeException e) {
          // the thread ended
        }
      }
    } catch (IOException e) {
      // the server is gone
    }
    return m;
  }

  /** Postmaster (its command line names our port) plus every process whose parent it is. */
  private double postgresCpuMs() {
    long postmaster = -1;
    List<long[]> all = new ArrayList<>(); // pid, ppid
    try (var dirs = Files.list(Path.of("/proc"))) {
      for (Path p : (Iterable<Path>) dirs::iterator) {
        String name = p.getFileName().toString();
        if (!name.chars().allMatch(Character::isDigit)) {
          continue;
        }
        try {
          String stat = Files.readString(p.resolve("stat"));
          String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
          all.add(new long[] {Long.parseLong(name), Long.parseLong(f[1])});
          if (postmaster < 0 && stat.contains("(postgres)")) {
            String cmd =
                new String(Files.readAllBytes(p.resolve("cmdline")), StandardCharsets.UTF_8);
            if (cmd.contains("-p\0" + pgPort + "\0")) {
              postmaster = Long.parseLong(name);
            }
          }
        } catch (IOException | RuntimeException e) {
          // the process went away
        }
      }
    } catch (IOException e) {
      return -1;
    }
    if (postmaster < 0) {
      return -1;
    }
    double ms = procCpuMs(postmaster, true); // cutime/cstime: children that have exited
    for (long[] pp : all) {
      if (pp[1] == postmaster) {
        ms += Math.max(0, procCpuMs(pp[0], false));
      }
    }
    return ms;
  }

  private static double procCpuMs(long pid, boolean withChildren) {
    try {
      return ticksMs(Files.readString(Path.of("/proc", Long.toString(pid), "stat")), withChildren);
    } catch (IOException | RuntimeException e) {
      return -1;
    }
  }

  /** utime + stime (+ cutime + cstime) from a /proc stat line, in ms; 100 clock ticks/s assumed. */
  private static double ticksMs(String stat, boolean withChildren) {
    String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
    // after "pid (comm) ": state=0 ppid=1 ... utime=11 stime=12 cutime=13 cstime=14
    long ticks = Long.parseLong(f[11]) + Long.parseLong(f[12]);
    if (withChildren) {
      ticks += Long.parseLong(f[13]) + Long.parseLong(f[14]);
    }
    return ticks * 10.0;
  }

  /** Busy time of all CPUs (user + nice + system + irq + softirq + steal) from /proc/stat, ms. */
  private static double machineBusyMs() {
    try {
      String[] f = Files.readAllLines(Path.of("/proc/stat")).get(0).trim().split("\\s+");
      long busy = 0;
      for (int i : new int[] {1, 2, 3, 6, 7, 8}) {
        busy += Long.parseLong(f[i]);
      }
      return busy * 10.0;
    } catch (IOException | RuntimeException e) {
      return -1;
    }
  }

  // --- HTTP and psql ---------------------------------------------------------------------------

  private record Resp(int status, String body) {}

  private Resp post(String path, String bearer, String json, String idempotencyKey) {
    HttpRequest.Builder b =
        HttpRequest.newBuilder(URI.create(url + path))
            .timeout(Duration.ofSeconds(30))
            .header("Authorization", "Bearer " + bearer)
            .header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString(json));
    if (idempotencyKey != null) {
      b.header("Idempotency-Key", idempotencyKey);
    }
    return send(b.build());
  }

  private Resp get(String path, String bearer) {
    return send(
        HttpRequest.newBuilder(URI.create(url + path))
            .timeout(Duration.ofSeconds(30))
            .header("Authorization", "Bearer " + bearer)
            .GET()
            .build());
  }

  private Resp send(HttpRequest req) {
    try {
      HttpResponse<String> r = http.send(req, HttpResponse.BodyHandlers.ofString());
      return new Resp(r.statusCode(), r.body());
    } catch (IOException e) {
      return new Resp(-1, e.toString());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return new Resp(-1, e.toString());
    }
  }

  private static void expect(Resp r, int status, String what) {
    if (r.status != status) {
      throw new IllegalStateException(
          what + ": expected " + status + ", got " + r.status + " " + r.body);
    }
  }

  private static String group(String text, String regex) {
    Matcher m = Pattern.compile(regex).matcher(text);
    if (!m.find()) {
      throw new IllegalStateException("no match for " + regex + " in " + text);
    }
    return m.group(1);
  }

  private List<String> psql(String sql) throws IOException, InterruptedException {
    Process p =
        new ProcessBuilder(
                "psql",
                "-X",
                "-q",
                "-At",
                "-F",
                "\t",
                "-v",
                "ON_ERROR_STOP=1",
                "-h",
                "127.0.0.1",
                "-p",
                Integer.toString(pgPort),
                "-U",
                "postgres",
                "-d",
                "postgres",
                "-c",
                sql)
            .redirectErrorStream(true)
            .start();
    String out;
    try (InputStream in = p.getInputStream()) {
      out = new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
    if (p.waitFor() != 0) {
      throw new IllegalStateException("psql failed: " + out + "\nSQL: " + sql);
    }
    return out.isEmpty() ? List.of() : List.of(out.split("\n"));
  }

  private static java.util.concurrent.ThreadFactory daemon(String prefix) {
    AtomicInteger n = new AtomicInteger();
    return r -> {
      Thread t = new Thread(r, prefix + "-" + n.incrementAndGet());
      t.setDaemon(true);
      return t;
    };
  }

  private static final List<String> LOG = java.util.Collections.synchronizedList(new ArrayList<>());

  private static void log(String format, Object... args) {
    String line = String.format(Locale.ROOT, format, args);
    LOG.add(line);
    System.err.println(line);
    System.err.flush();
  }
}
