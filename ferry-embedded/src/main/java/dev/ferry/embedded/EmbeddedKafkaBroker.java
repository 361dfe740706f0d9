package dev.ferry.embedded;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import kafka.server.KafkaConfig;
import kafka.server.KafkaRaftServer;
import kafka.tools.StorageTool;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.utils.Time;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A single-node Kafka cluster (KRaft, {@code process.roles=broker,controller}) running inside this
 * JVM, listening on 127.0.0.1 only, plaintext, no authentication.
 *
 * <p><b>Persistent mode</b> ({@link #start(Path)} with a directory): log segments and the metadata
 * log live in {@code dataDir/kafka-logs}; the ports last used in {@code
 * dataDir/embedded-kafka.properties}. The storage is formatted ({@code kafka-storage format
 * --standalone}) only on the first start. A later start on the same directory keeps topics,
 * records, committed consumer offsets and transaction state. Both ports are reused when free; if
 * another process holds one, a new free port is chosen and recorded (for the controller port, the
 * single voter updates its own endpoint in the KRaft voter set on start), so {@link
 * #bootstrapServers()} may differ between runs only in that case. {@code dataDir/server.properties}
 * is rewritten on each start for inspection only.
 *
 * <p><b>Temporary mode</b> ({@link #startTemporary()} or a {@code null} directory): a fresh
 * directory under {@code java.io.tmpdir}, deleted on {@link #close()}.
 *
 * <p>Configuration suits one node: replication factor and min ISR 1 for the internal topics ({@code
 * __consumer_offsets}, {@code __transaction_state}, {@code __share_group_state}), one partition
 * each, {@code group.initial.rebalance.delay.ms=0}, {@code auto.create.topics.enable=false}. Topics
 * are created by callers with an {@link Admin} (or {@link #createTopics(Map)}). Default retention
 * (7 days) applies: records whose timestamps are older than that are deleted soon after they are
 * written, so stamp test records with a current time or set {@code retention.ms=-1} on the topic.
 *
 * <p>Instances are thread-safe; the caller owns the instance and must {@link #close()} it. Kafka
 * logs through SLF4J (loggers {@code kafka}, {@code org.apache.kafka}, {@code state.change.logger})
 * and is chatty at INFO. Like a standalone broker, Kafka halts the JVM on a fatal metadata fault.
 */
public final class EmbeddedKafkaBroker implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(EmbeddedKafkaBroker.class);

  static final String STATE_FILE = "embedded-kafka.properties";
  static final String LOG_DIR = "kafka-logs";
  private static final int NODE_ID = 1;

  private final KafkaRaftServer server;
  private final Path dataDir;
  private final boolean temporary;
  private final String clusterId;
  private final int port;
  private final int controllerPort;
  private final AtomicBoolean closed = new AtomicBoolean();

  private EmbeddedKafkaBroker(
      KafkaRaftServer server,
      Path dataDir,
      boolean temporary,
      String clusterId,
      int port,
      int controllerPort) {
    this.server = server;
    this.dataDir = dataDir;
    this.temporary = temporary;
    this.clusterId = clusterId;
    this.port = port;
    this.controllerPort = controllerPort;
  }

  /**
   * Starts a broker whose data lives under {@code dataDir} (created if missing), or a temporary one
   * if {@code dataDir} is {@code null}. Blocks until the broker is unfenced and serving.
   *
   * @throws EmbeddedServerException if it does not start within 60 s
   */
  public static EmbeddedKafkaBroker start(Path dataDir) {
    return builder().dataDir(dataDir).start();
  }

  /** Starts a broker in a fresh temporary directory that {@link #close()} deletes. */
  public static EmbeddedKafkaBroker startTemporary() {
    return builder().start();
  }

  public static Builder builder() {
    return new Builder();
  }

  /** {@code 127.0.0.1:<port>}, for {@code bootstrap.servers}. */
  public String bootstrapServers() {
    return "127.0.0.1:" + port;
  }

  public int port() {
    return port;
  }

  public int controllerPort() {
    return controllerPort;
  }

  public String clusterId() {
    return clusterId;
  }

  /** The directory this broker keeps its data and state file in (the temporary one if so). */
  public Path dataDir() {
    return dataDir;
  }

  public boolean isTemporary() {
    return temporary;
  }

  /**
   * Creates each topic with the given partition count and replication factor 1, skipping topics
   * that already exist (whatever their partition count). Blocks until the controller has accepted
   * them; a producer may still see a brief {@code UNKNOWN_TOPIC_OR_PARTITION} while the broker
   * applies the metadata, which clients retry transparently.
   *
   * @throws EmbeddedServerException if the broker is closed, rejects a topic or does not answer
   *     within 30 s
   */
  public void createTopics(Map<String, Integer> partitionsByTopic) {
    if (closed.get()) {
      throw new EmbeddedServerException(
          "embedded Kafka "
              + bootstrapServers()
              + " in "
              + dataDir
              + " is closed; cannot create "
              + partitionsByTopic.keySet());
    }
    List<NewTopic> topics =
        partitionsByTopic.entrySet().stream()
            .map(e -> new NewTopic(e.getKey(), e.getValue(), (short) 1))
            .toList();
    try (Admin admin =
        Admin.create(
            Map.of(
                AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG,
                bootstrapServers(),
                AdminClientConfig.CLIENT_ID_CONFIG,
                "ferry-embedded-admin"))) {
      for (var entry : admin.createTopics(topics).values().entrySet()) {
        try {
          entry.getValue().get(30, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
          if (!(e.getCause() instanceof TopicExistsException)) {
            throw new EmbeddedServerException(
                "embedded Kafka "
                    + bootstrapServers()
                    + " could not create topic "
                    + entry.getKey()
                    + ": "
                    + e.getCause(),
                e.getCause());
          }
        } catch (TimeoutException e) {
          throw new EmbeddedServerException(
              "embedded Kafka "
                  + bootstrapServers()
                  + " did not create topic "
                  + entry.getKey()
                  + " within 30s",
              e);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new EmbeddedServerException(
              "interrupted while creating topic " + entry.getKey() + " on " + bootstrapServers(),
              e);
        }
      }
    }
  }

  /**
   * Shuts the broker and controller down and waits for them (controlled shutdown: logs are flushed
   * and closed cleanly, so the next start needs no recovery; without close, the next start recovers
   * the logs, which takes longer). In temporary mode, then deletes the directory. Idempotent.
   * Failures are logged, not thrown.
   */
  @Override
  public void close() {
    if (!closed.compareAndSet(false, true)) {
      return;
    }
    long t0 = System.nanoTime();
    try {
      server.shutdown();
      server.awaitShutdown();
    } catch (RuntimeException e) {
      log.warn("embedded Kafka {} in {} did not stop cleanly", bootstrapServers(), dataDir, e);
    }
    if (temporary) {
      try {
        DataDirs.deleteRecursively(dataDir);
      } catch (IOException e) {
        log.warn("could not delete temporary Kafka directory {}", dataDir, e);
      }
    }
    log.info(
        "embedded Kafka {} stopped in {} ms",
        bootstrapServers(),
        (System.nanoTime() - t0) / 1_000_000);
  }

  @Override
  public String toString() {
    return "EmbeddedKafkaBroker["
        + bootstrapServers()
        + ", cluster "
        + clusterId
        + ", "
        + dataDir
        + "]";
  }

  /**
   * Options for {@link EmbeddedKafkaBroker}. Not thread-safe; use from one thread and discard after
   * {@link #start()}.
   */
  public static final class Builder {
    private Path dataDir;
    private Duration startupTimeout = Duration.ofSeconds(60);
    private final Map<String, String> overrides = new LinkedHashMap<>();

    private Builder() {}

    /** Where the data lives; {@code null} (the default) means a temporary directory. */
    public Builder dataDir(Path dataDir) {
      this.dataDir = dataDir;
      return this;
    }

    /** How long the broker may take to become ready; default 60 s. */
    public Builder startupTimeout(Duration startupTimeout) {
      if (startupTimeout.isNegative() || startupTimeout.isZero()) {
        throw new IllegalArgumentException("startupTimeout must be positive: " + startupTimeout);
      }
      this.startupTimeout = startupTimeout;
      return this;
    }

    /**
     * A broker setting applied after this class's defaults, e.g. {@code log.retention.ms}. The
     * settings that define identity and layout ({@code node.id}, {@code process.roles}, listeners,
     * {@code log.dirs}, quorum) are rejected: changing them would orphan the data directory.
     */
    public Builder brokerProperty(String key, String value) {
      Objects.requireNonNull(key);
      Objects.requireNonNull(value);
      if (Set.of(
              "node.id",
              "process.roles",
              "listeners",
              "advertised.listeners",
              "controller.listener.names",
              "listener.security.protocol.map",
              "inter.broker.listener.name",
              "controller.quorum.bootstrap.servers",
              "controller.quorum.voters",
              "log.dirs",
              "log.dir",
              "metadata.log.dir")
          .contains(key)) {
        throw new IllegalArgumentException(key + " is managed by EmbeddedKafkaBroker");
      }
      overrides.put(key, value);
      return this;
    }

    /**
     * Formats the storage if this is the first start, then starts the broker and blocks until it
     * serves clients.
     *
     * @throws EmbeddedServerException if formatting fails or the broker does not become ready in
     *     time; the message names the directory and ports
     */
    public EmbeddedKafkaBroker start() {
      boolean temporary = dataDir == null;
      Path root =
          temporary
              ? DataDirs.createTempDir("ferry-kafka-")
              : DataDirs.createDirectories(dataDir.toAbsolutePath());
      long t0 = System.nanoTime();
      try {
        return start(root, temporary, t0);
      } catch (RuntimeException e) {
        if (temporary) {
          try {
            DataDirs.deleteRecursively(root);
          } catch (IOException suppressed) {
            e.addSuppressed(suppressed);
          }
        }
        throw e;
      }
    }

    private EmbeddedKafkaBroker start(Path root, boolean temporary, long t0) {
      Path logDir = root.resolve(LOG_DIR);
      Path stateFile = root.resolve(STATE_FILE);
      Path metaProperties = logDir.resolve("meta.properties");
      boolean formatted = Files.exists(metaProperties);
      Properties state = DataDirs.readProperties(stateFile);
      // Once formatted, meta.properties is the authority on the cluster id.
      String clusterId =
          formatted
              ? DataDirs.readProperties(metaProperties).getProperty("cluster.id")
              : Uuid.randomUuid().toString();
      if (clusterId == null) {
        throw new EmbeddedServerException(
            "embedded Kafka storage in " + logDir + " has no cluster.id in " + metaProperties);
      }
      // A taken controller port may be replaced too: with KRaft's dynamic quorum (KIP-853) the
      // single voter, being its own leader, rewrites its endpoint in the voter set on start.
      int controllerPort =
          DataDirs.recordedPortIfFree(state, "controller.port", Set.of(), "Kafka in " + root);
      int port =
          DataDirs.recordedPortIfFree(
              state, "broker.port", Set.of(controllerPort), "Kafka in " + root);

      state.setProperty("cluster.id", clusterId);
      state.setProperty("node.id", Integer.toString(NODE_ID));
      state.setProperty("controller.port", Integer.toString(controllerPort));
      state.setProperty("broker.port", Integer.toString(port));
      DataDirs.writeProperties(stateFile, state, "embedded Kafka state; ports may change");

      Map<String, String> config = brokerConfig(logDir, port, controllerPort);
      Properties serverProperties = new Properties();
      serverProperties.putAll(config);
      Path serverPropertiesFile = root.resolve("server.properties");
      DataDirs.writeProperties(
          serverPropertiesFile,
          serverProperties,
          "generated by EmbeddedKafkaBroker on each start; edits are overwritten");

      long formatMillis = 0;
      if (!formatted) {
        long f0 = System.nanoTime();
        format(root, serverPropertiesFile, clusterId);
        formatMillis = (System.nanoTime() - f0) / 1_000_000;
      }

      KafkaConfig kafkaConfig;
      try {
        kafkaConfig = new KafkaConfig(config, false);
      } catch (RuntimeException e) {
        throw new EmbeddedServerException(
            "embedded Kafka in " + root + " has an invalid configuration: " + e.getMessage(), e);
      }
      KafkaRaftServer server = new KafkaRaftServer(kafkaConfig, Time.SYSTEM);
      try {
        server.startup();
      } catch (RuntimeException e) {
        try {
          server.shutdown();
          server.awaitShutdown();
        } catch (RuntimeException suppressed) {
          e.addSuppressed(suppressed);
        }
        throw new EmbeddedServerException(
            "embedded Kafka did not start within "
                + startupTimeout.toSeconds()
                + "s in "
                + root
                + " (client port "
                + port
                + ", controller port "
                + controllerPort
                + "): "
                + e,
            e);
      }
      log.info(
          "embedded Kafka started on 127.0.0.1:{} (controller {}) in {} ms ({}{})",
          port,
          controllerPort,
          (System.nanoTime() - t0) / 1_000_000,
          formatted ? "" : "formatted in " + formatMillis + " ms, ",
          temporary ? "temporary " + root : root);
      return new EmbeddedKafkaBroker(server, root, temporary, clusterId, port, controllerPort);
    }

    private Map<String, String> brokerConfig(Path logDir, int port, int controllerPort) {
      Map<String, String> c = new LinkedHashMap<>();
      c.put("process.roles", "broker,controller");
      c.put("node.id", Integer.toString(NODE_ID));
      c.put("controller.quorum.bootstrap.servers", "127.0.0.1:" + controllerPort);
      c.put(
          "listeners",
          "PLAINTEXT://127.0.0.1:" + port + ",CONTROLLER://127.0.0.1:" + controllerPort);
      c.put(
          "advertised.listeners",
          "PLAINTEXT://127.0.0.1:" + port + ",CONTROLLER://127.0.0.1:" + controllerPort);
      c.put("listener.security.protocol.map", "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT");
      c.put("controller.listener.names", "CONTROLLER");
      c.put("inter.broker.listener.name", "PLAINTEXT");
      c.put("log.dirs", logDir.toString());
      c.put("metadata.log.dir", logDir.toString());

      c.put("auto.create.topics.enable", "false");
      c.put("num.partitions", "1");
      c.put("default.replication.factor", "1");
      c.put("min.insync.replicas", "1");
      c.put("offsets.topic.replication.factor", "1");
      c.put("offsets.topic.num.partitions", "1");
      c.put("transaction.state.log.replication.factor", "1");
      c.put("transaction.state.log.min.isr", "1");
      c.put("transaction.state.log.num.partitions", "1");
      c.put("share.coordinator.state.topic.replication.factor", "1");
      c.put("share.coordinator.state.topic.min.isr", "1");
      c.put("share.coordinator.state.topic.num.partitions", "1");
      c.put("group.initial.rebalance.delay.ms", "0");

      // A small machine and one client at a time: fewer threads, and the log cleaner's dedupe
      // buffer (128 MiB by default, allocated up front) sized for test volumes.
      c.put("num.network.threads", "2");
      c.put("num.io.threads", "4");
      c.put("background.threads", "4");
      c.put("log.cleaner.dedupe.buffer.size", Integer.toString(4 * 1024 * 1024));
      // Idle cost (docs/benchmarks.md, "Demo footprint"): an idle KRaft controller appends a no-op
      // record to the metadata log every metadata.max.idle.interval.ms (500 ms by default) so that
      // other nodes can tell they are caught up; with one node there is no one to tell, and each
      // append wakes the raft, controller and metadata-loader threads and syncs the log.
      c.put("metadata.max.idle.interval.ms", "5000");
      // Startup blocks in KafkaRaftServer.startup(); this bounds it.
      c.put("server.max.startup.time.ms", Long.toString(startupTimeout.toMillis()));
      c.putAll(overrides);
      return c;
    }

    private static void format(Path root, Path serverProperties, String clusterId) {
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      int rc;
      try (PrintStream print = new PrintStream(out, true, StandardCharsets.UTF_8)) {
        rc =
            StorageTool.execute(
                new String[] {
                  "format",
                  "--config",
                  serverProperties.toString(),
                  "--cluster-id",
                  clusterId,
                  "--standalone"
                },
                print);
      } catch (Exception e) { // Scala code may throw checked exceptions undeclared

        throw new EmbeddedServerException(
            "embedded Kafka could not format storage in "
                + root
                + " for cluster "
                + clusterId
                + ": "
                + e.getMessage()
                + " "
                + out.toString(StandardCharsets.UTF_8).strip(),
            e);
      }
      String output = out.toString(StandardCharsets.UTF_8).strip();
      if (rc != 0) {
        throw new EmbeddedServerException(
            "embedded Kafka could not format storage in "
                + root
                + " for cluster "
                + clusterId
                + " (exit code "
                + rc
                + "): "
                + output);
      }
      log.debug("formatted Kafka storage in {}: {}", root, output);
    }
  }
}
