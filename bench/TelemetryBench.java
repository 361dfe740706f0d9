import dev.ferry.embedded.EmbeddedKafkaBroker;
import dev.ferry.model.Json;
import dev.ferry.model.event.Envelope;
import dev.ferry.model.event.EventTypes;
import dev.ferry.model.event.Topics;
import dev.ferry.telemetry.TelemetryConfig;
import dev.ferry.telemetry.TelemetryService;
import dev.ferry.telemetry.query.LinkTotals;
import dev.ferry.telemetry.query.TelemetryUnavailableException;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.Random;
import java.util.UUID;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import tools.jackson.databind.JsonNode;

/**
 * Telemetry benchmark for Ferry; {@code bench/run-telemetry.sh} runs it with the runnable jar's
 * classes on the class path (single-file source launcher). Two measurements:
 *
 * <ol>
 *   <li>{@code throughput}: sustained transfer facts per second through {@code TransferTopology}
 *       under {@code exactly_once_v2}, on an in-JVM KRaft broker (the same {@code
 *       EmbeddedKafkaBroker} {@code ferry server --embedded} runs, in this JVM). N facts shaped
 *       exactly like the control plane's (the outbox envelope, every payload field) over L links and
 *       T tenants are produced first; then, per run, a fresh {@code TelemetryService} (new
 *       application id, empty state) starts and the clock runs until the sum of its link totals is
 *       N. Reported: facts / (done − RUNNING) — the sustained rate — and facts / (done − start),
 *       which includes the group join; medians over the runs.
 *   <li>{@code lag}: from a task's completion, as committed in PostgreSQL, to its transfers on
 *       {@code /metrics}, against a running {@code ferry server --embedded}. Jobs run one after
 *       another (each F files); a trigger the benchmark installs records {@code clock_timestamp()}
 *       when a task turns SUCCEEDED (inside the completing transaction, so a few hundred
 *       microseconds before its commit), and a poller scrapes {@code /metrics} every P ms and
 *       remembers when the tenant's {@code ferry_transfers_total{outcome="succeeded"}} first
 *       reached each value. Lag = first scrape showing the job's transfers − trigger time; the
 *       scrape interval bounds the resolution (reported).
 * </ol>
 *
 * <p>Markdown to stdout, progress to stderr.
 */
public final class TelemetryBench {
  private static final Pattern METRIC =
      Pattern.compile("^ferry_transfers_total\\{([^}]*)\\} ([0-9.eE+-]+)");

  public static void main(String[] args) throws Exception {
    if (args.length == 0) {
      throw new IllegalArgumentException("usage: TelemetryBench throughput|lag [--option value]…");
    }
    Map<String, String> o = new LinkedHashMap<>();
    for (int i = 1; i + 1 < args.length; i += 2) {
      o.put(args[i].replaceFirst("^--", ""), args[i + 1]);
    }
    switch (args[0]) {
      case "throughput" -> throughput(o);
      case "lag" -> lag(o);
      default -> throw new IllegalArgumentException("unknown measurement " + args[0]);
    }
    System.exit(0); // Kafka's and the broker's non-daemon threads must not keep us
  }

  // --- throughput ------------------------------------------------------------------------------

  static void throughput(Map<String, String> o) throws Exception {
    int facts = Integer.parseInt(o.getOrDefault("facts", "1000000"));
    int links = Integer.parseInt(o.getOrDefault("links", "300"));
    int tenants = Integer.parseInt(o.getOrDefault("tenants", "10"));
    int partitions = Integer.parseInt(o.getOrDefault("partitions", "3"));
    int repeats = Integer.parseInt(o.getOrDefault("repeats", "3"));
    int threads = Integer.parseInt(o.getOrDefault("threads", "1"));
    String commitMs = o.get("commit-interval-ms"); // null: the telemetry role's default
    String streamsProps = o.getOrDefault("streams-props", ""); // k=v,k=v: extra Kafka properties
    Path work = Path.of(o.getOrDefault("work", Files.createTempDirectory("ferry-tbench").toString()));

    log("starting the in-JVM broker in %s", work);
    try (EmbeddedKafkaBroker broker =
        EmbeddedKafkaBroker.builder()
            .dataDir(work.resolve("kafka"))
            // facts are stamped in the recent past; keep them whatever their timestamps
            .brokerProperty("log.retention.ms", "-1")
            .start()) {
      broker.createTopics(Map.of(Topics.TRANSFERS, partitions, Topics.DEAD_LETTER, 1));
      long t0 = System.nanoTime();
      produce(broker.bootstrapServers(), facts, links, tenants);
      double produceSeconds = (System.nanoTime() - t0) / 1e9;
      log("produced %,d facts in %.1f s", facts, produceSeconds);

      List<double[]> runs = new ArrayList<>();
      for (int r = 1; r <= repeats; r++) {
        runs.add(
            aggregateRun(broker.bootstrapServers(), work, r, facts, threads, commitMs, streamsProps));
      }
      double[] sustained = runs.stream().mapToDouble(x -> x[0]).toArray();
      double[] withStart = runs.stream().mapToDouble(x -> x[1]).toArray();
      double[] startup = runs.stream().mapToDouble(x -> x[2]).toArray();
      double[] streamCpu = runs.stream().mapToDouble(x -> x[3]).toArray();
      double[] processCpu = runs.stream().mapToDouble(x -> x[4]).toArray();
      double[] clientsCpu = runs.stream().mapToDouble(x -> x[5]).toArray();
      double[] brokerCpu = runs.stream().mapToDouble(x -> x[6]).toArray();
      System.out.println();
      System.out.println("## Throughput through the topology (exactly_once_v2, in-JVM broker)");
      System.out.println();
      System.out.printf(
          Locale.ROOT,
          "%,d facts, %d links over %d tenants, %d partitions, %d stream thread(s), commit interval"
              + " %s%s; produced beforehand in %.1f s.%n%n",
          facts,
          links,
          tenants,
          partitions,
          threads,
          commitMs == null ? "as configured by the role" : commitMs + " ms",
          streamsProps.isBlank() ? "" : ", extra Kafka properties " + streamsProps,
          produceSeconds);
      System.out.println(
          "| run | facts/s sustained (from RUNNING) | facts/s incl. start | start → RUNNING |"
              + " stream-thread CPU per fact | client I/O threads CPU per fact |"
              + " broker threads CPU per fact | JVM CPU per fact (all) |"
              + " facts per stream-thread CPU-second |");
      System.out.println("|---|---|---|---|---|---|---|---|---|");
      for (int i = 0; i < runs.size(); i++) {
        System.out.printf(
            Locale.ROOT,
            "| %d | %,.0f | %,.0f | %.1f s | %.1f µs | %.1f µs | %.1f µs | %.1f µs | %,.0f |%n",
            i + 1,
            sustained[i],
            withStart[i],
            startup[i],
            streamCpu[i],
            clientsCpu[i],
            brokerCpu[i],
            processCpu[i],
            1e6 / streamCpu[i]);
      }
      System.out.printf(
          Locale.ROOT,
          "| **median** | **%,.0f** (%.2f× the 100,000/s target) | %,.0f | %.1f s | %.1f µs |"
              + " %.1f µs | %.1f µs | %.1f µs | %,.0f |%n",
          median(sustained),
          median(sustained) / 100_000,
          median(withStart),
          median(startup),
          median(streamCpu),
          median(clientsCpu),
          median(brokerCpu),
          median(processCpu),
          1e6 / median(streamCpu));
    }
  }

  /** Produces realistic facts: the outbox's envelope and payload, keyed by link. */
  static void produce(String bootstrap, int facts, int links, int tenants) {
    Properties p = new Properties();
    p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    p.put(ProducerConfig.LINGER_MS_CONFIG, 20);
    p.put(ProducerConfig.BATCH_SIZE_CONFIG, 512 * 1024);
    p.put(ProducerConfig.ACKS_CONFIG, "all");
    Random random = new Random(42);
    String[] tenantIds = new String[tenants];
    for (int i = 0; i < tenants; i++) {
      tenantIds[i] = new UUID(0x7d1b3c9e00004000L, 0x8000000000000000L + i).toString();
    }
    String[] sites = new String[Math.max(3, (int) Math.ceil(Math.sqrt(links)) + 1)];
    for (int i = 0; i < sites.length; i++) {
      sites[i] = "SITE_" + i;
    }
    // facts cover the last ten minutes of event time, mostly in order with a little jitter
    Instant end = Instant.now();
    long spanMillis = Duration.ofMinutes(10).toMillis();
    try (KafkaProducer<String, byte[]> producer =
        new KafkaProducer<>(p, new StringSerializer(), new ByteArraySerializer())) {
      String[] jobs = new String[links];
      for (int i = 0; i < links; i++) {
        jobs[i] = UUID.randomUUID().toString();
      }
      for (int i = 0; i < facts; i++) {
        int link = random.nextInt(links);
        String tenant = tenantIds[link % tenants];
        String src = sites[link % sites.length];
        String dst = sites[(link / sites.length + 1 + link % sites.length) % sites.length];
        if (dst.equals(src)) {
          dst = sites[(link + 1) % sites.length];
        }
        Instant time =
            end.minusMillis(spanMillis - spanMillis * i / facts + random.nextInt(2_000));
        boolean failed = random.nextInt(50) == 0;
        Map<String, Object> data = new LinkedHashMap<>();
        data.put("tenant", tenant);
        data.put("jobId", jobs[link]);
        data.put("taskId", UUID.randomUUID().toString());
        data.put("attempt", 1);
        data.put("sourceSite", src);
        data.put("destinationSite", dst);
        data.put("file", "/data/set-" + link + "/part-" + i + ".parquet");
        data.put("outcome", failed ? "failed" : "succeeded");
        long bytes = failed ? 0 : 1024L + random.nextInt(64 << 20);
        data.put("bytes", bytes);
        data.put("checksum", failed ? null : Long.toHexString(random.nextLong()));
        data.put("taskDurationMillis", 50L + random.nextInt(20_000));
        if (failed) {
          data.put("errorClass", random.nextBoolean() ? "io" : "timeout");
          data.put("retryable", true);
        }
        Envelope e =
            new Envelope(
                UUID.randomUUID().toString(),
                "/ferry/control",
                EventTypes.TRANSFER_COMPLETED,
                Envelope.SPEC_VERSION,
                time,
                tenant,
                jobs[link],
                EventTypes.schemaV1(EventTypes.TRANSFER_COMPLETED),
                Json.mapper().valueToTree(data));
        producer.send(
            new ProducerRecord<>(
                Topics.TRANSFERS, Topics.linkKey(src, dst), Json.mapper().writeValueAsBytes(e)));
      }
      producer.flush();
    }
  }

  /** One run: a fresh application; returns {sustained/s, incl. start/s, seconds to RUNNING}. */
  static double[] aggregateRun(
      String bootstrap,
      Path work,
      int run,
      int facts,
      int threads,
      String commitMs,
      String streamsProps)
      throws Exception {
    Path state = work.resolve("state-" + run);
    TelemetryConfig.Builder b =
        TelemetryConfig.builder()
            .bootstrapServers(bootstrap)
            .stateDir(state)
            .applicationId("ferry-telemetry-bench-" + run + "-" + System.nanoTime())
            .streamThreads(threads);
    if (commitMs != null) {
      b.kafkaProperty("commit.interval.ms", commitMs);
    }
    for (String kv : streamsProps.split(",")) {
      if (!kv.isBlank()) {
        String[] parts = kv.split("=", 2);
        b.kafkaProperty(parts[0].trim(), parts[1].trim());
      }
    }
    TelemetryConfig config = b.build();
    System.gc();
    long start = System.nanoTime();
    try (TelemetryService service = new TelemetryService(config)) {
      service.start();
      if (!service.awaitRunning(Duration.ofMinutes(2))) {
        throw new IllegalStateException("telemetry not RUNNING within 2 min: " + service.status());
      }
      long running = System.nanoTime();
      Map<String, Long> cpu0 = threadCpuNanos();
      long streamCpu0 = cpu0.getOrDefault("stream", 0L);
      long processCpu0 = processCpuNanos();
      long counted = 0;
      long deadline = running + TimeUnit.MINUTES.toNanos(10);
      while (counted < facts) {
        if (System.nanoTime() > deadline) {
          throw new IllegalStateException("only " + counted + " of " + facts + " after 10 min");
        }
        // the progress probe reads every link's totals: not too often, it costs CPU too
        Thread.sleep(250);
        try {
          counted = 0;
          for (LinkTotals t : service.queries().links()) {
            counted += t.stats().transfers();
          }
        } catch (TelemetryUnavailableException e) {
          counted = 0; // a rebalance: ask again
        }
      }
      long done = System.nanoTime();
      Map<String, Long> cpu1 = threadCpuNanos();
      double streamCpuMicrosPerFact = (cpu1.getOrDefault("stream", 0L) - streamCpu0) / 1e3 / facts;
      StringBuilder groups = new StringBuilder();
      for (String g : List.of("stream", "clients", "broker", "other")) {
        groups.append(
            String.format(
                Locale.ROOT,
                " %s %.1f µs",
                g,
                (cpu1.getOrDefault(g, 0L) - cpu0.getOrDefault(g, 0L)) / 1e3 / facts));
      }
      log("run %d: CPU per fact by thread group:%s", run, groups);
      double wallMicrosPerFact = (done - running) / 1e3 / facts;
      double loadAverage =
          java.lang.management.ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage();
      log(
          "run %d: wall %.1f µs per fact; load average now %.1f",
          run, wallMicrosPerFact, loadAverage);
      double processCpuMicrosPerFact = (processCpuNanos() - processCpu0) / 1e3 / facts;
      double sustained = facts / ((done - running) / 1e9);
      double all = facts / ((done - start) / 1e9);
      double startup = (running - start) / 1e9;
      log(
          "run %d: %,d facts, %,.0f/s from RUNNING, %,.0f/s incl. %.1f s start; CPU per fact:"
              + " stream thread(s) %.1f µs, whole JVM (broker too) %.1f µs",
          run,
          counted,
          sustained,
          all,
          startup,
          streamCpuMicrosPerFact,
          processCpuMicrosPerFact);
      return new double[] {
        sustained,
        all,
        startup,
        streamCpuMicrosPerFact,
        processCpuMicrosPerFact,
        (cpu1.getOrDefault("clients", 0L) - cpu0.getOrDefault("clients", 0L)) / 1e3 / facts,
        (cpu1.getOrDefault("broker", 0L) - cpu0.getOrDefault("broker", 0L)) / 1e3 / facts
      };
    } finally {
      deleteTree(state);
    }
  }

  /**
   * CPU time of the live Kafka Streams processing threads of this JVM ({@code …-StreamThread-N}),
   * without their producers' I/O threads ({@code kafka-producer-network-thread | …StreamThread-N-
   * producer}), which {@link #threadCpuNanos} counts under "clients".
   */
  static long streamThreadsCpuNanos() {
    return threadCpuNanos().getOrDefault("stream", 0L);
  }

  /**
   * CPU time per group of live threads: "stream" (Kafka Streams' processing threads), "clients"
   * (Kafka client I/O threads: the stream threads' producers and consumers, the admin client),
   * "broker" (the in-JVM broker's threads), "other" (the benchmark's main thread, GC, JIT, the rest
   * that is a Java thread). Threads that ended in between are missed, so the groups are a lower
   * bound; process CPU is the whole.
   */
  static Map<String, Long> threadCpuNanos() {
    java.lang.management.ThreadMXBean mx = java.lang.management.ManagementFactory.getThreadMXBean();
    Map<String, Long> sums = new LinkedHashMap<>();
    for (java.lang.management.ThreadInfo t : mx.getThreadInfo(mx.getAllThreadIds())) {
      if (t == null) {
        continue;
      }
      String name = t.getThreadName();
      String group;
      if (name.matches(".*StreamThread-\\d+")) {
        group = "stream";
      } else if (name.startsWith("kafka-producer-network-thread")
          || name.startsWith("kafka-coordinator-heartbeat-thread")
          || name.startsWith("kafka-admin-client-thread")
          || name.startsWith("consumer_background_thread")) {
        group = "clients";
      } else if (name.startsWith("data-plane-")
          || name.startsWith("kafka-")
          || name.startsWith("group-coordinator")
          || name.startsWith("share-coordinator")
          || name.startsWith("quorum-controller")
          || name.startsWith("broker-")
          || name.startsWith("controller-")
          || name.startsWith("TxnMarkerSenderThread")
          || name.startsWith("AddPartitionsToTxnSenderThread")
          || name.startsWith("transaction-")
          || name.startsWith("ExpirationReaper")
          || name.startsWith("log-")
          || name.startsWith("raft-")
          || name.startsWith("LogDirFailureHandler")
          || name.startsWith("ReplicaFetcher")) {
        group = "broker";
      } else {
        group = "other";
      }
      sums.merge(group, Math.max(0, mx.getThreadCpuTime(t.getThreadId())), Long::sum);
    }
    return sums;
  }

  static long processCpuNanos() {
    return ((com.sun.management.OperatingSystemMXBean)
            java.lang.management.ManagementFactory.getOperatingSystemMXBean())
        .getProcessCpuTime();
  }

  // --- lag -------------------------------------------------------------------------------------

  static void lag(Map<String, String> o) throws Exception {
    String url = o.get("url");
    String rootToken = o.get("root-token");
    int pgPort = Integer.parseInt(o.get("pg-port"));
    Path fs = Path.of(o.get("fs"));
    int jobs = Integer.parseInt(o.getOrDefault("jobs", "200"));
    int filesPerJob = Integer.parseInt(o.getOrDefault("files-per-job", "1"));
    int warmup = Integer.parseInt(o.getOrDefault("warmup", "10"));
    int pollMillis = Integer.parseInt(o.getOrDefault("poll-ms", "20"));
    HttpClient http = HttpClient.newHttpClient();

    String tenantName = "tbench-" + Long.toHexString(System.nanoTime());
    JsonNode tenant = send(http, url, rootToken, "POST", "/api/v1/tenants", Map.of("name", tenantName));
    String token = tenant.get("adminToken").get("token").asString();
    String tenantId = tenant.get("tenant").get("id").asString();
    Path src = Files.createDirectories(fs.resolve("src"));
    Path dst = Files.createDirectories(fs.resolve("dst"));
    send(http, url, token, "POST", "/api/v1/sites", Map.of("name", "SITE_A"));
    send(http, url, token, "POST", "/api/v1/sites", Map.of("name", "SITE_B"));
    send(http, url, token, "POST", "/api/v1/endpoints",
        Map.of("name", "a", "site", "SITE_A", "uri", src.toUri().toString()));
    send(http, url, token, "POST", "/api/v1/endpoints",
        Map.of("name", "b", "site", "SITE_B", "uri", dst.toUri().toString()));
    byte[] data = new byte[4096];
    new Random(1).nextBytes(data);
    for (int j = 0; j < warmup + jobs; j++) {
      for (int f = 0; f < filesPerJob; f++) {
        Path file = src.resolve("job-" + j + "/f-" + f + ".dat");
        Files.createDirectories(file.getParent());
        Files.write(file, data);
      }
    }

    try (Connection db =
        DriverManager.getConnection(
            "jdbc:postgresql://127.0.0.1:" + pgPort + "/postgres", "postgres", "")) {
      try (Statement s = db.createStatement()) {
        s.execute(
            "CREATE TABLE IF NOT EXISTS bench_completions (task_id uuid NOT NULL, job_id uuid NOT"
                + " NULL, at timestamptz NOT NULL);"
                + " CREATE OR REPLACE FUNCTION bench_record_completion() RETURNS trigger LANGUAGE"
                + " plpgsql AS $$ BEGIN INSERT INTO bench_completions VALUES (NEW.id, NEW.job_id,"
                + " clock_timestamp()); RETURN NULL; END $$;"
                + " CREATE OR REPLACE TRIGGER bench_record_completion AFTER UPDATE OF state ON tasks"
                + " FOR EACH ROW WHEN (OLD.state <> 'SUCCEEDED' AND NEW.state = 'SUCCEEDED')"
                + " EXECUTE FUNCTION bench_record_completion();");
      }

      // The poller: the first wall-clock time each counter value was seen on /metrics.
      ConcurrentSkipListMap<Long, Instant> firstSeen = new ConcurrentSkipListMap<>();
      Thread poller =
          new Thread(
                  () -> {
                    HttpRequest get = HttpRequest.newBuilder(URI.create(url + "/metrics")).build();
                    while (!Thread.currentThread().isInterrupted()) {
                      try {
                        String body = http.send(get, HttpResponse.BodyHandlers.ofString()).body();
                        Instant at = Instant.now();
                        long v = succeeded(body, tenantId);
                        firstSeen.putIfAbsent(v, at);
                        Thread.sleep(pollMillis);
                      } catch (InterruptedException e) {
                        return;
                      } catch (IOException e) {
                        // the server is busy or restarting: try again
                      }
                    }
                  },
                  "metrics-poller");
      poller.setDaemon(true);
      poller.start();

      List<Double> lagsMillis = new ArrayList<>();
      long expected = 0;
      for (int j = 0; j < warmup + jobs; j++) {
        JsonNode job =
            send(http, url, token, "POST", "/api/v1/jobs",
                Map.of(
                    "source", Map.of("endpoint", "a", "path", "job-" + j),
                    "destination", Map.of("endpoint", "b", "path", "copy-" + j),
                    "checksum", "crc32c"));
        String id = job.get("id").asString();
        expected += filesPerJob;
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        long want = expected;
        while (firstSeen.ceilingKey(want) == null) {
          if (System.nanoTime() > deadline) {
            throw new IllegalStateException(
                "job " + id + ": " + want + " transfers not on /metrics within 60 s");
          }
          Thread.sleep(5);
        }
        Instant visible = firstSeen.ceilingEntry(want).getValue();
        Instant committed = null;
        try (Statement s = db.createStatement();
            ResultSet rs =
                s.executeQuery(
                    "SELECT max(at) FROM bench_completions WHERE job_id = '" + id + "'")) {
          if (rs.next() && rs.getTimestamp(1) != null) {
            committed = rs.getTimestamp(1).toInstant();
          }
        }
        if (committed == null) {
          throw new IllegalStateException("job " + id + ": no task completion recorded");
        }
        if (j >= warmup) {
          lagsMillis.add(Duration.between(committed, visible).toNanos() / 1e6);
        }
      }
      poller.interrupt();
      double[] l = lagsMillis.stream().mapToDouble(Double::doubleValue).sorted().toArray();
      System.out.println();
      System.out.println("## Lag from task completion (committed) to /metrics");
      System.out.println();
      System.out.printf(
          Locale.ROOT,
          "%d jobs of %d file(s) after %d warm-up jobs, one after another; /metrics scraped every"
              + " %d ms (+ the scrape's own time), so values carry up to that much extra.%n%n",
          jobs,
          filesPerJob,
          warmup,
          pollMillis);
      System.out.println("| p50 | p90 | p99 | max | mean |");
      System.out.println("|---|---|---|---|---|");
      System.out.printf(
          Locale.ROOT,
          "| %.0f ms | %.0f ms | **%.0f ms** (%.2f× the 2 s target) | %.0f ms | %.0f ms |%n",
          pct(l, 50),
          pct(l, 90),
          pct(l, 99),
          pct(l, 99) / 2000,
          l[l.length - 1],
          Arrays.stream(l).average().orElse(0));
    }
  }

  static long succeeded(String metrics, String tenantId) {
    double sum = 0;
    for (String line : metrics.split("\n")) {
      Matcher m = METRIC.matcher(line);
      if (m.find()
          && m.group(1).contains("tenant=\"" + tenantId + "\"")
          && m.group(1).contains("outcome=\"succeeded\"")) {
        sum += Double.parseDouble(m.group(2));
      }
    }
    return (long) sum;
  }

  static JsonNode send(HttpClient http, String base, String token, String method, String path, Object body)
      throws IOException, InterruptedException {
    HttpRequest.Builder b =
        HttpRequest.newBuilder(URI.create(base + path))
            .header("Authorization", "Bearer " + token)
            .header("Content-Type", "application/json")
            .method(
                method,
                body == null
                    ? HttpRequest.BodyPublishers.noBody()
                    : HttpRequest.BodyPublishers.ofString(Json.mapper().writeValueAsString(body)));
    HttpResponse<String> r = http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    if (r.statusCode() >= 300) {
      throw new IllegalStateException(method + " " + path + " → " + r.statusCode() + ": " + r.body());
    }
    return Json.mapper().readTree(r.body());
  }

  // --- helpers ---------------------------------------------------------------------------------

  static double median(double[] v) {
    double[] s = v.clone();
    Arrays.sort(s);
    return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
  }

  /** Nearest-rank percentile of sorted values. */
  static double pct(double[] sorted, double p) {
    int rank = (int) Math.ceil(p / 100 * sorted.length);
    return sorted[Math.max(0, Math.min(sorted.length - 1, rank - 1))];
  }

  static void deleteTree(Path dir) throws IOException {
    if (!Files.exists(dir)) {
      return;
    }
    try (Stream<Path> s = Files.walk(dir)) {
      for (Path p : s.sorted((a, b) -> b.getNameCount() - a.getNameCount()).toList()) {
        Files.deleteIfExists(p);
      }
    }
  }

  static void log(String fmt, Object... args) {
    System.err.println("bench: " + String.format(Locale.ROOT, fmt, args));
  }
}
