package dev.ferry.telemetry;

import dev.ferry.telemetry.aggregate.LinkKey;
import dev.ferry.telemetry.aggregate.LinkStats;
import dev.ferry.telemetry.anomaly.Anomaly;
import dev.ferry.telemetry.anomaly.AnomalyMetricsCollector;
import dev.ferry.telemetry.anomaly.AnomalyOptions;
import dev.ferry.telemetry.anomaly.AnomalyQueries;
import dev.ferry.telemetry.anomaly.AnomalyTopology;
import dev.ferry.telemetry.anomaly.LinkScore;
import dev.ferry.telemetry.anomaly.LocalAnomalyQueries;
import dev.ferry.telemetry.attempts.AttemptMetricsCollector;
import dev.ferry.telemetry.attempts.AttemptStats;
import dev.ferry.telemetry.attempts.AttemptTopology;
import dev.ferry.telemetry.metrics.TransferMetricsCollector;
import dev.ferry.telemetry.query.ClusterQueries;
import dev.ferry.telemetry.query.LocalStoreQueries;
import dev.ferry.telemetry.query.TelemetryPeerServer;
import dev.ferry.telemetry.query.TelemetryQueries;
import dev.ferry.telemetry.query.TelemetryUnavailableException;
import dev.ferry.telemetry.streams.TransferTopology;
import io.prometheus.metrics.model.registry.MultiCollector;
import java.time.Clock;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.streams.CloseOptions;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StoreQueryParameters;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.errors.InvalidStateStoreException;
import org.apache.kafka.streams.errors.MissingSourceTopicException;
import org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.QueryableStoreType;
import org.apache.kafka.streams.state.QueryableStoreTypes;
import org.apache.kafka.streams.state.ReadOnlyKeyValueStore;
import org.apache.kafka.streams.state.ReadOnlyWindowStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The telemetry role: runs {@link TransferTopology} in Kafka Streams ({@code exactly_once_v2}) and
 * answers queries over its stores, for the REST API and for Prometheus.
 *
 * <pre>
 *   NEW ──start()──► WAITING_FOR_TOPICS ──topics exist──► STARTING ──► RUNNING ⇄ REBALANCING
 *                                                              │            │
 *                                                              └──► FAILED ◄┘   (any) ──close()──► CLOSED
 * </pre>
 *
 * <p>Topics are the control plane's to create. {@link #start()} does not block on Kafka: a
 * background thread looks for the input topics (the facts, the dead-letter topic and, if
 * configured, {@code ferry.link-stats}) every {@link TelemetryConfig#topicPollInterval()} and
 * starts Kafka Streams once they all exist, so the role tolerates starting before the control plane
 * or the broker. A source topic deleted while running makes the stream thread be replaced until it
 * is back; any other stream-thread failure stops the role in {@link Status#FAILED} (logged at
 * error), since retrying a failing record forever would help nobody. Facts consumed before a
 * failure are not lost: Kafka Streams resumes from the last committed transaction on the next
 * start.
 *
 * <p>Queries ({@link #queries()}, {@link #metricsCollector()}) read this instance's stores (with
 * {@link TelemetryConfig#applicationServer()} set, {@link #queries()} also asks the other instances
 * through their peer endpoint, which this service serves on that address; the collector always
 * exports this instance's partitions only) and throw {@link
 * dev.ferry.telemetry.query.TelemetryUnavailableException} (the collector: export nothing) until
 * the role is {@link Status#RUNNING}. Under exactly-once, a query can see updates of a transaction
 * that is not committed yet; after a crash such updates are rolled back and replayed, so a value
 * read may briefly go back before it reaches the same place again.
 *
 * <p>Thread-safe. {@link #start()} once; {@link #close()} is idempotent.
 */
public final class TelemetryService implements TelemetryRole {
  private static final Logger log = LoggerFactory.getLogger(TelemetryService.class);

  /** The lifecycle; see the class diagram. */
  public enum Status {
    NEW,
    WAITING_FOR_TOPICS,
    STARTING,
    RUNNING,
    REBALANCING,
    FAILED,
    CLOSED
  }

  private final TelemetryConfig config;
  private final LocalStoreQueries local;
  private final TelemetryQueries queries;
  private final TransferMetricsCollector collector;
  private final AnomalyTopology.Options anomalies; // null: no anomaly detection
  private final AnomalyQueries anomalyQueries;
  private final AnomalyMetricsCollector anomalyCollector;
  private final AttemptMetricsCollector attemptCollector;
  private TelemetryPeerServer peerServer; // guarded by lock
  private volatile int inputPartitions;
  private final Object lock = new Object();
  private final CountDownLatch closing = new CountDownLatch(1);

  private KafkaStreams streams; // guarded by lock until started, then read-only
  private Admin admin;
  private Thread starter;
  private volatile boolean streamsStarted;
  private volatile boolean waiting;
  private volatile boolean closed;

  /** The role without anomaly detection. */
  public TelemetryService(TelemetryConfig config) {
    this(config, AnomalyOptions.defaults().withEnabled(false), Clock.systemUTC());
  }

  /**
   * The role with anomaly detection as {@code anomalyOptions} say: when enabled, a second
   * sub-topology ({@link AnomalyTopology}) reads the closed windows the aggregation publishes on
   * the topology's {@code linkStatsTopic}, which must then be set, and writes {@code
   * ferry.anomalies}, which must exist.
   *
   * @param clock stamps anomalies' {@code detectedAt}
   * @throws IllegalArgumentException when detection is enabled without a link-stats topic
   */
  public TelemetryService(TelemetryConfig config, AnomalyOptions anomalyOptions, Clock clock) {
    if (anomalyOptions.enabled()) {
      String linkStats = config.topology().linkStatsTopic();
      if (linkStats == null) {
        throw new IllegalArgumentException(
            "anomaly detection reads the closed windows: set the topology's linkStatsTopic"
                + " (ferry.link-stats)");
      }
      this.anomalies =
          AnomalyTopology.Options.of(anomalyOptions)
              .withTopics(
                  linkStats,
                  dev.ferry.model.event.Topics.ANOMALIES,
                  config.topology().deadLetterTopic())
              .withClock(clock);
    } else {
      this.anomalies = null;
    }
    this.anomalyQueries =
        new LocalAnomalyQueries(
            new LocalAnomalyQueries.Stores() {
              @Override
              public ReadOnlyWindowStore<LinkKey, Anomaly> anomalies() {
                return anomalyStore(
                    AnomalyTopology.ANOMALIES_STORE, QueryableStoreTypes.windowStore());
              }

              @Override
              public ReadOnlyKeyValueStore<LinkKey, LinkScore> latest() {
                return anomalyStore(
                    AnomalyTopology.LATEST_STORE, QueryableStoreTypes.keyValueStore());
              }
            });
    this.anomalyCollector = new AnomalyMetricsCollector(anomalyQueries);
    this.attemptCollector = new AttemptMetricsCollector(this::attemptTotals);
    this.config = config;
    this.local =
        new LocalStoreQueries(
            new LocalStoreQueries.Stores() {
              @Override
              public ReadOnlyKeyValueStore<LinkKey, LinkStats> totals() {
                return store(TransferTopology.TOTALS_STORE, QueryableStoreTypes.keyValueStore());
              }

              @Override
              public ReadOnlyWindowStore<LinkKey, LinkStats> windows() {
                return store(TransferTopology.WINDOWS_STORE, QueryableStoreTypes.windowStore());
              }

              @Override
              public ReadOnlyKeyValueStore<LinkKey, Long> late() {
                return store(TransferTopology.LATE_STORE, QueryableStoreTypes.keyValueStore());
              }
            },
            config.topology().windowSize());
    this.queries =
        config.applicationServer() == null
            ? local
            : new ClusterQueries(
                local,
                () -> streamsStarted && !closed ? streams : null,
                config.applicationServer(),
                config.topology().inputTopic(),
                () -> inputPartitions,
                config.peerSecret(),
                Duration.ofSeconds(5));
    // each instance exports its own partitions only: Prometheus sums over instances
    this.collector = new TransferMetricsCollector(local);
  }

  /**
   * Builds Kafka Streams and starts it as soon as the topics exist; returns at once.
   *
   * @throws IllegalStateException when called twice or after {@link #close()}
   * @throws org.apache.kafka.common.config.ConfigException when the Kafka properties are invalid
   */
  @Override
  public void start() {
    synchronized (lock) {
      if (streams != null || closed) {
        throw new IllegalStateException("telemetry service already started or closed: " + status());
      }
      Topology topology = TransferTopology.build(config.topology());
      if (anomalies != null) {
        AnomalyTopology.addTo(topology, anomalies);
      }
      if (config.attemptsTopic() != null) {
        AttemptTopology.addTo(
            topology,
            AttemptTopology.Options.defaults()
                .withTopics(config.attemptsTopic(), config.topology().deadLetterTopic()));
      }
      KafkaStreams s = new KafkaStreams(topology, streamsProperties());
      s.setUncaughtExceptionHandler(
          e -> {
            if (e instanceof MissingSourceTopicException
                || e.getCause() instanceof MissingSourceTopicException) {
              log.warn(
                  "telemetry input topic missing; replacing the stream thread: {}", e.toString());
              return StreamThreadExceptionResponse.REPLACE_THREAD;
            }
            log.error(
                "telemetry stream thread failed; the telemetry role stops (status FAILED)", e);
            return StreamThreadExceptionResponse.SHUTDOWN_CLIENT;
          });
      s.setStateListener(
          (now, before) -> {
            log.info("telemetry Kafka Streams {} -> {}", before, now);
            synchronized (lock) {
              lock.notifyAll();
            }
          });
      Properties a = new Properties();
      a.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, config.bootstrapServers());
      a.put(AdminClientConfig.CLIENT_ID_CONFIG, config.applicationId() + "-topic-wait");
      config.kafkaProperties().forEach(a::put);
      a.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, 10_000);
      a.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 15_000);
      this.streams = s;
      this.admin = Admin.create(a);
      this.waiting = true;
      if (config.applicationServer() != null) {
        this.peerServer =
            new TelemetryPeerServer(config.applicationServer(), local, config.peerSecret());
      }
      this.starter = new Thread(this::startWhenTopicsExist, config.applicationId() + "-starter");
      starter.setDaemon(true);
      starter.start();
    }
  }

  private Properties streamsProperties() {
    Properties p = new Properties();
    // the role's defaults first, so that kafkaProperties can override them
    p.put(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, TelemetryConfig.DEFAULT_COMMIT_INTERVAL_MS);
    config.kafkaProperties().forEach(p::put);
    p.put(StreamsConfig.APPLICATION_ID_CONFIG, config.applicationId());
    p.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, config.bootstrapServers());
    p.put(StreamsConfig.STATE_DIR_CONFIG, config.stateDir().toAbsolutePath().toString());
    p.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.EXACTLY_ONCE_V2);
    p.put(StreamsConfig.NUM_STREAM_THREADS_CONFIG, config.streamThreads());
    if (config.applicationServer() != null) {
      p.put(StreamsConfig.APPLICATION_SERVER_CONFIG, config.applicationServer());
    }
    return p;
  }

  private Set<String> requiredTopics() {
    Set<String> topics = new HashSet<>();
    topics.add(config.topology().inputTopic());
    topics.add(config.topology().deadLetterTopic());
    if (config.attemptsTopic() != null) {
      topics.add(config.attemptsTopic());
    }
    if (config.topology().linkStatsTopic() != null) {
      topics.add(config.topology().linkStatsTopic());
    }
    if (anomalies != null) {
      topics.add(anomalies.anomaliesTopic());
    }
    return topics;
  }

  private void startWhenTopicsExist() {
    Set<String> required = requiredTopics();
    String lastProblem = null;
    try {
      while (closing.getCount() > 0) {
        String problem;
        try {
          Set<String> missing = new HashSet<>(required);
          missing.removeAll(admin.listTopics().names().get(15, TimeUnit.SECONDS));
          if (missing.isEmpty()) {
            String input = config.topology().inputTopic();
            inputPartitions =
                admin
                    .describeTopics(List.of(input))
                    .allTopicNames()
                    .get(15, TimeUnit.SECONDS)
                    .get(input)
                    .partitions()
                    .size();
            synchronized (lock) {
              if (!closed) {
                streams.start();
                streamsStarted = true;
                log.info(
                    "telemetry started: application {} on {}, state in {}",
                    config.applicationId(),
                    config.bootstrapServers(),
                    config.stateDir());
              }
              waiting = false;
              lock.notifyAll();
            }
            return;
          }
          problem = "waiting for topics " + missing + " (the control plane creates them)";
        } catch (ExecutionException | TimeoutException e) {
          problem = "cannot list topics on " + config.bootstrapServers() + " yet: " + e;
        }
        if (!problem.equals(lastProblem)) {
          log.info("telemetry not started: {}", problem);
          lastProblem = problem;
        }
        closing.await(config.topicPollInterval().toMillis(), TimeUnit.MILLISECONDS);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (RuntimeException e) {
      log.error("telemetry failed to start; the role stays down", e);
    } finally {
      waiting = false;
    }
  }

  /** Where the role is in its lifecycle. */
  public Status status() {
    if (closed) {
      return Status.CLOSED;
    }
    KafkaStreams s = streams;
    if (s == null) {
      return Status.NEW;
    }
    if (!streamsStarted) {
      return waiting ? Status.WAITING_FOR_TOPICS : Status.FAILED;
    }
    return switch (s.state()) {
      case CREATED -> Status.STARTING;
      case REBALANCING -> Status.REBALANCING;
      case RUNNING -> Status.RUNNING;
      case PENDING_SHUTDOWN, NOT_RUNNING -> Status.CLOSED;
      case PENDING_ERROR, ERROR -> Status.FAILED;
    };
  }

  /**
   * Waits until the role is {@link Status#RUNNING}.
   *
   * @return false when the timeout passed first, or the role failed or closed
   */
  public boolean awaitRunning(Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    synchronized (lock) {
      while (true) {
        Status st = status();
        if (st == Status.RUNNING) {
          return true;
        }
        long left = deadline - System.nanoTime();
        if (st == Status.FAILED || st == Status.CLOSED || left <= 0) {
          return false;
        }
        lock.wait(Math.max(1, Math.min(TimeUnit.NANOSECONDS.toMillis(left), 200)));
      }
    }
  }

  /**
   * Queries for the REST API: over this instance's stores, or, with {@link
   * TelemetryConfig#applicationServer()} set, over every instance of the application ({@link
   * ClusterQueries}). Usable before start (they throw until running).
   */
  public TelemetryQueries queries() {
    return queries;
  }

  /** Queries over this instance's own partitions only, whatever the configuration. */
  public TelemetryQueries localQueries() {
    return local;
  }

  /**
   * For tests: stops answering peers while Kafka Streams keeps running, as an instance whose query
   * port became unreachable looks to the others.
   */
  void closePeerServer() {
    synchronized (lock) {
      if (peerServer != null) {
        peerServer.close();
      }
    }
  }

  /**
   * The Prometheus collector over {@link #queries()}: register it once, e.g. into Micrometer's
   * {@code PrometheusMeterRegistry.getPrometheusRegistry()}. The same instance on every call;
   * usable before start (it exports nothing until running) and after close (likewise).
   */
  public MultiCollector metricsCollector() {
    return collector;
  }

  /**
   * Queries over the anomaly detector's stores; they throw {@link
   * dev.ferry.telemetry.query.TelemetryUnavailableException} until running, and always when
   * detection is disabled.
   */
  public AnomalyQueries anomalyQueries() {
    return anomalyQueries;
  }

  /**
   * The Prometheus collector of anomaly metrics ({@link AnomalyMetricsCollector}); exports nothing
   * while detection is disabled or not running. The same instance on every call.
   */
  public MultiCollector anomalyMetricsCollector() {
    return anomalyCollector;
  }

  /**
   * The Prometheus collector of attempt totals ({@link AttemptMetricsCollector}); exports nothing
   * without an attempts topic or while not running. The same instance on every call.
   */
  public MultiCollector attemptMetricsCollector() {
    return attemptCollector;
  }

  /** This instance's attempt totals per link (its partitions of {@code ferry.attempts}). */
  public Map<LinkKey, AttemptStats> attemptTotals() {
    if (config.attemptsTopic() == null) {
      throw new TelemetryUnavailableException("attempt aggregation is off in this process", null);
    }
    Map<LinkKey, AttemptStats> out = new TreeMap<>();
    try (KeyValueIterator<LinkKey, AttemptStats> it =
        store(
                AttemptTopology.TOTALS_STORE,
                QueryableStoreTypes.<LinkKey, AttemptStats>keyValueStore())
            .all()) {
      it.forEachRemaining(kv -> out.put(kv.key, kv.value));
    } catch (InvalidStateStoreException e) {
      throw new TelemetryUnavailableException("attempt totals: " + e.getMessage(), e);
    }
    return out;
  }

  /** Whether this service runs anomaly detection. */
  public boolean detectsAnomalies() {
    return anomalies != null;
  }

  private <T> T anomalyStore(String name, QueryableStoreType<T> type) {
    if (anomalies == null) {
      throw new InvalidStateStoreException("anomaly detection is disabled in this process");
    }
    return store(name, type);
  }

  /** The configuration this service runs with. */
  public TelemetryConfig config() {
    return config;
  }

  private <T> T store(String name, QueryableStoreType<T> type) {
    KafkaStreams s = streams;
    if (s == null || !streamsStarted || closed) {
      throw new InvalidStateStoreException("telemetry is " + status());
    }
    return s.store(StoreQueryParameters.fromNameAndType(name, type));
  }

  /**
   * Stops Kafka Streams (waiting up to {@link TelemetryConfig#closeTimeout()} for the current
   * transaction to commit) and the topic wait; idempotent. The instance leaves the consumer group,
   * so its partitions move at once. Local state stays on disk for the next start.
   */
  @Override
  public void close() {
    KafkaStreams s;
    Thread t;
    synchronized (lock) {
      if (closed) {
        return;
      }
      closed = true;
      if (peerServer != null) {
        peerServer.close();
      }
      closing.countDown();
      s = streams;
      t = starter;
      lock.notifyAll();
    }
    if (t != null) {
      t.interrupt(); // it may be waiting on the broker
      try {
        t.join(config.closeTimeout().toMillis());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    // Leave the group: a successor (or this process restarted) is assigned the partitions at once
    // instead of waiting out the session timeout (45 s) of a member that is gone.
    if (s != null
        && !s.close(
            CloseOptions.timeout(config.closeTimeout())
                .withGroupMembershipOperation(CloseOptions.GroupMembershipOperation.LEAVE_GROUP))) {
      log.warn("telemetry Kafka Streams did not stop within {}", config.closeTimeout());
    }
    if (admin != null) {
      admin.close(Duration.ZERO); // only the topic wait used it: nothing worth waiting for
    }
  }
}
