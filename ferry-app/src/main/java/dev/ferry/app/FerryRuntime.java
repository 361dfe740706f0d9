package dev.ferry.app;

import dev.ferry.control.ControlPlaneApplication;
import dev.ferry.control.auth.LocalSecrets;
import dev.ferry.embedded.EmbeddedKafkaBroker;
import dev.ferry.embedded.EmbeddedPostgresServer;
import dev.ferry.model.event.Topics;
import dev.ferry.model.webhook.WebhookSecret;
import dev.ferry.telemetry.TelemetryConfig;
import dev.ferry.telemetry.TelemetryRole;
import dev.ferry.telemetry.TelemetryService;
import dev.ferry.telemetry.anomaly.AnomalyOptions;
import dev.ferry.telemetry.streams.TransferTopology;
import dev.ferry.worker.Worker;
import dev.ferry.worker.WorkerConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.io.IOException;
import java.io.PrintStream;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CountDownLatch;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.web.server.context.WebServerApplicationContext;
import org.springframework.context.ConfigurableApplicationContext;

/**
 * One Ferry process: the embedded PostgreSQL and Kafka when asked for, then the control plane, a
 * worker and the telemetry role as chosen. {@link #close()} stops them in reverse: the worker first
 * (finishing or releasing its leases), then the control plane (whose outbox relay drains last),
 * then the broker and the database.
 */
public final class FerryRuntime implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(FerryRuntime.class);

  private final CountDownLatch stopped = new CountDownLatch(1);
  private EmbeddedPostgresServer postgres;
  private EmbeddedKafkaBroker kafka;
  private ConfigurableApplicationContext control;
  private Worker worker;
  private TelemetryRole telemetry;
  private RoleHttpServer roleHttp;
  private String baseUrl;
  private String adminTokenLocation;
  private String kafkaBootstrap;
  private volatile boolean closed;

  private FerryRuntime() {}

  /** Starts everything {@code options} asks for and installs a shutdown hook that closes it. */
  public static FerryRuntime start(ServerOptions options, boolean embedded, PrintStream out) {
    Set<Roles> roles = Roles.parse(options.roles);
    options.validate();
    FerryRuntime rt = new FerryRuntime();
    Runtime.getRuntime().addShutdownHook(new Thread(rt::close, "ferry-shutdown"));
    try {
      rt.startAll(options, embedded, roles, out);
    } catch (RuntimeException e) {
      rt.close();
      throw e;
    }
    return rt;
  }

  private void startAll(ServerOptions o, boolean embedded, Set<Roles> roles, PrintStream out) {
    long t0 = System.nanoTime();
    Map<String, Object> props = new HashMap<>();
    props.put("ferry.data-dir", o.dataDir.toAbsolutePath().toString());
    props.put("server.port", o.port());
    kafkaBootstrap =
        System.getenv().getOrDefault("FERRY_KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:9092");
    if (embedded) {
      out.println(
          "Starting embedded PostgreSQL and Kafka under " + o.dataDir.toAbsolutePath() + " …");
      startEmbedded(o.dataDir);
      kafkaBootstrap = kafka.bootstrapServers();
      props.put("spring.datasource.url", postgres.jdbcUrl("postgres"));
      props.put("spring.datasource.username", postgres.username());
      props.put("spring.datasource.password", postgres.password());
      props.put("ferry.kafka.partitions", 3);
    }
    props.put("ferry.kafka.bootstrap-servers", kafkaBootstrap);
    if (o.prometheusUrl != null) {
      props.put("ferry.consistency.prometheus-url", o.prometheusUrl);
    }
    TelemetryService telemetryService = null;
    if (roles.contains(Roles.TELEMETRY)) {
      // Anomaly detection reads the closed windows from ferry.link-stats; settings from system
      // properties ferry.telemetry.anomaly.* (see AnomalyOptions.fromProperties)
      AnomalyOptions anomalies = AnomalyOptions.fromProperties(systemProperties());
      TelemetryConfig.Builder telemetryConfig = TelemetryConfig.builder();
      if (embedded) {
        // Idle cost (docs/benchmarks.md, "Demo footprint"): an idle stream thread wakes every
        // poll.ms (100 ms by default) to run punctuators and check for commits; this topology has
        // no wall-clock punctuators and a record ends the wait at once, so in the single-process
        // embedded mode a longer wait costs no latency.
        telemetryConfig.kafkaProperty("poll.ms", "1000");
      }
      telemetryService =
          new TelemetryService(
              telemetryConfig
                  .bootstrapServers(kafkaBootstrap)
                  .stateDir(o.dataDir.toAbsolutePath().resolve("telemetry"))
                  .topology(
                      TransferTopology.Options.defaults().withLinkStatsTopic(Topics.LINK_STATS))
                  .window(o.telemetryWindow(), o.telemetryGrace())
                  .applicationServer(o.telemetryPeerAddress)
                  .peerSecret(blankToNull(System.getenv("FERRY_TELEMETRY_PEER_SECRET")))
                  .attemptsTopic(Topics.ATTEMPTS)
                  .build(),
              anomalies,
              java.time.Clock.systemUTC());
      telemetryService.start(); // returns at once; waits for its topics in the background
      telemetry = telemetryService;
    }
    WebhookSecret workerSecret = null;
    if (roles.contains(Roles.CONTROL)) {
      TelemetryService queries = telemetryService;
      control =
          new SpringApplicationBuilder(ControlPlaneApplication.class)
              .properties(props)
              .registerShutdownHook(false)
              .initializers(
                  ctx -> {
                    if (queries != null) {
                      // /api/v1/links reads this process's telemetry stores
                      ctx.getBeanFactory().registerSingleton("telemetryQueries", queries.queries());
                      if (queries.detectsAnomalies()) {
                        // /api/v1/anomalies reads the anomaly detector's stores
                        ctx.getBeanFactory()
                            .registerSingleton("anomalyQueries", queries.anomalyQueries());
                      }
                    }
                  })
              .run();
      if (telemetryService != null) {
        // /metrics shows the per-link series from the telemetry stores
        PrometheusRegistry registry =
            control.getBean(PrometheusMeterRegistry.class).getPrometheusRegistry();
        registry.register(telemetryService.metricsCollector());
        registry.register(telemetryService.anomalyMetricsCollector());
        registry.register(telemetryService.attemptMetricsCollector());
      }
      int port = ((WebServerApplicationContext) control).getWebServer().getPort();
      baseUrl = "http://127.0.0.1:" + port;
      LocalSecrets secrets = control.getBean(LocalSecrets.class);
      adminTokenLocation = secrets.adminTokenLocation();
      workerSecret = secrets.workerSecrets().get(0);
    }
    if (roles.contains(Roles.WORKER)) {
      String url = o.controlUrl != null ? o.controlUrl : baseUrl;
      if (url == null) {
        throw new IllegalArgumentException("a worker without the control role needs --control-url");
      }
      if (workerSecret == null) {
        workerSecret = workerSecretFromEnvironment(o.dataDir);
      }
      WorkerConfig.Builder config =
          WorkerConfig.builder()
              .controlPlaneUrl(url)
              .kafkaBootstrapServers(kafkaBootstrap)
              .site(o.site)
              .workerId(workerId())
              .webhookSecret(workerSecret)
              .concurrency(o.workerConcurrency)
              .adaptiveConcurrency(o.linkConcurrencyMode == LinkOptions.Mode.ADAPTIVE);
      if (o.linkConcurrency != null) {
        config.defaultLinkConcurrency(o.linkConcurrency);
      }
      if (o.linkBandwidth != null) {
        config.defaultLinkBandwidth(o.linkBandwidth);
      }
      for (LinkOptions.PerLink link : o.links) { // a later --link for the same link wins
        if (link.concurrency() != null) {
          config.linkConcurrency(Map.of(link.link(), link.concurrency()));
        }
        if (link.bandwidth() != null) {
          config.linkBandwidth(Map.of(link.link(), link.bandwidth()));
        }
      }
      worker = new Worker(config.build());
      worker.start();
    }
    if (control == null) {
      // No control plane here: serve health and metrics ourselves, for probes and scrapes.
      Map<String, java.util.function.BooleanSupplier> ready = new java.util.LinkedHashMap<>();
      PrometheusRegistry registry = new PrometheusRegistry();
      if (worker != null) {
        Worker w = worker;
        ready.put("worker", w::isConsuming);
      }
      if (telemetryService != null) {
        TelemetryService t = telemetryService;
        ready.put("telemetry", () -> t.status() == TelemetryService.Status.RUNNING);
        registry.register(t.metricsCollector());
        registry.register(t.anomalyMetricsCollector());
        registry.register(t.attemptMetricsCollector());
      }
      roleHttp = new RoleHttpServer(o.port(), ready, registry);
      baseUrl = "http://127.0.0.1:" + roleHttp.port();
    }
    long ms = (System.nanoTime() - t0) / 1_000_000;
    out.println();
    out.println(
        "Ferry is running ("
            + String.join(",", roles.stream().map(r -> r.name().toLowerCase()).toList())
            + ") — started in "
            + ms
            + " ms");
    if (baseUrl != null) {
      out.println(
          "  API          " + baseUrl + "/api/v1   (OpenAPI: " + baseUrl + "/api/v1/openapi.yaml)");
      out.println("  Health       " + baseUrl + "/actuator/health");
      out.println("  Metrics      " + baseUrl + "/metrics");
      out.println("  Admin token  " + adminTokenLocation);
    }
    out.println("  Kafka        " + kafkaBootstrap);
    if (postgres != null) {
      out.println("  PostgreSQL   " + postgres.jdbcUrl("postgres"));
    }
    out.println("Press Ctrl-C to stop.");
  }

  /**
   * Starts PostgreSQL and the Kafka broker side by side: they do not depend on each other, and each
   * spends much of its start waiting (initdb and the postmaster are child processes; the broker
   * waits on its KRaft quorum and log recovery), so the start costs about the longer of the two
   * rather than their sum. Both are assigned to fields as soon as they run, so that {@link
   * #close()} stops whichever started when the other failed.
   */
  private void startEmbedded(Path dataDir) {
    CompletableFuture<EmbeddedKafkaBroker> broker = new CompletableFuture<>();
    Thread kafkaStarter =
        new Thread(
            () -> {
              try {
                broker.complete(EmbeddedKafkaBroker.start(dataDir.resolve("kafka")));
              } catch (Throwable e) {
                broker.completeExceptionally(e);
              }
            },
            "ferry-start-kafka");
    kafkaStarter.setDaemon(true);
    kafkaStarter.start();
    RuntimeException failure = null;
    try {
      postgres = EmbeddedPostgresServer.start(dataDir.resolve("postgres"));
    } catch (RuntimeException e) {
      failure = e;
    }
    try {
      kafka = broker.join();
    } catch (CompletionException e) {
      RuntimeException cause =
          e.getCause() instanceof RuntimeException r ? r : new IllegalStateException(e.getCause());
      if (failure == null) {
        failure = cause;
      } else {
        failure.addSuppressed(cause);
      }
    }
    if (failure != null) {
      throw failure;
    }
  }

  private static Map<String, String> systemProperties() {
    Map<String, String> m = new HashMap<>();
    System.getProperties().stringPropertyNames().forEach(k -> m.put(k, System.getProperty(k)));
    return m;
  }

  private static String blankToNull(String s) {
    return s == null || s.isBlank() ? null : s.strip();
  }

  private static WebhookSecret workerSecretFromEnvironment(Path dataDir) {
    String env = System.getenv("FERRY_WORKER_SECRET");
    if (env != null && !env.isBlank()) {
      return WebhookSecret.parse(env);
    }
    Path file = dataDir.resolve("worker-secret");
    try {
      return WebhookSecret.parse(Files.readString(file));
    } catch (IOException e) {
      throw new IllegalArgumentException(
          "a worker needs the control plane's worker secret: set FERRY_WORKER_SECRET or provide "
              + file);
    }
  }

  private static String workerId() {
    String host;
    try {
      host = InetAddress.getLocalHost().getHostName();
    } catch (IOException e) {
      host = "localhost";
    }
    return host + "-" + ProcessHandle.current().pid();
  }

  public String baseUrl() {
    return baseUrl;
  }

  /** The Kafka bootstrap servers this process uses (the embedded broker's, with --embedded). */
  public String kafkaBootstrap() {
    return kafkaBootstrap;
  }

  public ConfigurableApplicationContext control() {
    return control;
  }

  /** Blocks until {@link #close()} has finished (for example from the shutdown hook). */
  public void awaitShutdown() throws InterruptedException {
    stopped.await();
  }

  @Override
  public synchronized void close() {
    if (closed) {
      return;
    }
    closed = true;
    try {
      quietly("role HTTP server", roleHttp);
      quietly("worker", worker);
      quietly("telemetry", telemetry);
      if (control != null) {
        try {
          control.close();
        } catch (RuntimeException e) {
          log.warn("stopping the control plane: {}", e.toString());
        }
      }
      quietly("Kafka", kafka);
      quietly("PostgreSQL", postgres);
    } finally {
      stopped.countDown();
    }
  }

  private static void quietly(String what, AutoCloseable c) {
    if (c == null) {
      return;
    }
    try {
      c.close();
    } catch (Exception e) {
      log.warn("stopping {}: {}", what, e.toString());
    }
  }
}
