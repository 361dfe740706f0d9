package dev.ferry.telemetry;

import dev.ferry.telemetry.streams.TransferTopology;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import org.apache.kafka.streams.StreamsConfig;

/**
 * The telemetry role's configuration, validated when built and immutable after.
 *
 * @param bootstrapServers {@code host:port[,host:port…]} of the Kafka cluster
 * @param stateDir the directory for local state; Kafka Streams keeps {@code
 *     <stateDir>/<applicationId>/…} there (RocksDB stores and checkpoints). Must be private to one
 *     instance: two processes must not share it
 * @param applicationId the Kafka Streams application id, also the consumer group and the prefix of
 *     internal topics; {@value #DEFAULT_APPLICATION_ID} by default. Instances with the same id
 *     share the work (state by partition)
 * @param topology topics, window size and grace, retention and the window listener
 * @param streamThreads stream threads in this instance, 1 to 64
 * @param applicationServer {@code host:port} where this instance answers its peers (Kafka Streams'
 *     {@code application.server}, and the address {@link
 *     dev.ferry.telemetry.query.TelemetryPeerServer} listens on); null for a single instance. When
 *     set, {@link TelemetryService#queries()} answers for every partition of the application,
 *     asking the other instances ({@link dev.ferry.telemetry.query.ClusterQueries})
 * @param topicPollInterval how often {@link TelemetryService} looks for its input topics while they
 *     do not exist yet
 * @param closeTimeout how long {@link TelemetryService#close()} waits for Kafka Streams to stop
 * @param peerSecret the secret every instance of the application shares, sent and required as
 *     {@code Authorization: Bearer} on the peer endpoint; null for none (then bind {@code
 *     applicationServer} to an internal network only)
 * @param kafkaProperties extra Kafka Streams / client properties (security, timeouts, {@code
 *     commit.interval.ms}); cannot override the application id, bootstrap servers, state directory
 *     or processing guarantee
 * @param attemptsTopic the workers' attempt telemetry ({@code ferry.attempts}), aggregated by
 *     {@link dev.ferry.telemetry.attempts.AttemptTopology}; null for no attempt aggregation
 */
public record TelemetryConfig(
    String bootstrapServers,
    Path stateDir,
    String applicationId,
    TransferTopology.Options topology,
    int streamThreads,
    String applicationServer,
    Duration topicPollInterval,
    Duration closeTimeout,
    String peerSecret,
    Map<String, String> kafkaProperties,
    String attemptsTopic) {

  public static final String DEFAULT_APPLICATION_ID = "ferry-telemetry";

  /**
   * The role's Kafka Streams {@code commit.interval.ms} unless {@link #kafkaProperties} sets one:
   * 500 ms, not the 100 ms Kafka Streams uses under {@code exactly_once_v2}. Each commit ends a
   * transaction (broker round trips, transaction markers on every partition written) and serializes
   * every accumulator that changed since the last one (the write-behind stores; a {@code LinkStats}
   * with its two sketches costs ~15 µs to encode). At 100 ms that fixed cost was about a fifth of
   * the stream thread's time in the telemetry benchmark; at 500 ms it is a few per cent
   * (docs/benchmarks.md, "Telemetry"). The price is freshness: queries and {@code /metrics} read
   * the stores as of the last commit, so they lag by up to this much more; the benchmark's
   * completion-to-{@code /metrics} lag stays well under its 2 s target.
   */
  public static final int DEFAULT_COMMIT_INTERVAL_MS = 500;

  private static final Set<String> RESERVED =
      Set.of(
          StreamsConfig.APPLICATION_ID_CONFIG,
          StreamsConfig.BOOTSTRAP_SERVERS_CONFIG,
          StreamsConfig.STATE_DIR_CONFIG,
          StreamsConfig.PROCESSING_GUARANTEE_CONFIG,
          StreamsConfig.NUM_STREAM_THREADS_CONFIG,
          StreamsConfig.APPLICATION_SERVER_CONFIG);

  /**
   * @throws IllegalArgumentException naming the field and the value when one is invalid
   */
  public TelemetryConfig {
    if (bootstrapServers == null || bootstrapServers.isBlank()) {
      throw new IllegalArgumentException("bootstrapServers is required");
    }
    Objects.requireNonNull(stateDir, "stateDir is required");
    if (applicationId == null || !applicationId.matches("[A-Za-z0-9._-]+")) {
      throw new IllegalArgumentException(
          "applicationId must be letters, digits, '.', '_' or '-', got " + applicationId);
    }
    Objects.requireNonNull(topology, "topology is required");
    if (streamThreads < 1 || streamThreads > 64) {
      throw new IllegalArgumentException("streamThreads must be 1 to 64, got " + streamThreads);
    }
    if (applicationServer != null && !applicationServer.matches("[^:\\s]+:\\d{1,5}")) {
      throw new IllegalArgumentException(
          "applicationServer must be host:port or null, got " + applicationServer);
    }
    requirePositive("topicPollInterval", topicPollInterval);
    requirePositive("closeTimeout", closeTimeout);
    if (peerSecret != null && peerSecret.length() < 16) {
      throw new IllegalArgumentException("peerSecret must be at least 16 characters or null");
    }
    kafkaProperties = Map.copyOf(kafkaProperties == null ? Map.of() : kafkaProperties);
    for (String key : kafkaProperties.keySet()) {
      if (RESERVED.contains(key)) {
        throw new IllegalArgumentException(
            "kafkaProperties must not set " + key + "; use the dedicated setting");
      }
    }
  }

  private static void requirePositive(String name, Duration d) {
    if (d == null || d.isNegative() || d.isZero()) {
      throw new IllegalArgumentException(name + " must be positive, got " + d);
    }
  }

  public static Builder builder() {
    return new Builder();
  }

  /** Collects settings; {@link #build()} validates them. Not thread-safe. */
  public static final class Builder {
    private String bootstrapServers;
    private Path stateDir;
    private String applicationId = DEFAULT_APPLICATION_ID;
    private TransferTopology.Options topology = TransferTopology.Options.defaults();
    private Duration windowSize;
    private Duration grace;
    private int streamThreads = 1;
    private String applicationServer;
    private Duration topicPollInterval = Duration.ofSeconds(2);
    private Duration closeTimeout = Duration.ofSeconds(30);
    private String peerSecret;
    private String attemptsTopic;
    private final Map<String, String> kafkaProperties = new LinkedHashMap<>();

    private Builder() {}

    public Builder bootstrapServers(String bootstrapServers) {
      this.bootstrapServers = bootstrapServers;
      return this;
    }

    public Builder stateDir(Path stateDir) {
      this.stateDir = stateDir;
      return this;
    }

    public Builder applicationId(String applicationId) {
      this.applicationId = applicationId;
      return this;
    }

    public Builder topology(TransferTopology.Options topology) {
      this.topology = topology;
      return this;
    }

    /**
     * The tumbling window size and grace ({@link TransferTopology.Options#windowSize()}, {@link
     * TransferTopology.Options#grace()}); applied on top of {@link #topology}, whichever is called
     * first. Null keeps the topology's value.
     */
    public Builder window(Duration size, Duration grace) {
      this.windowSize = size;
      this.grace = grace;
      return this;
    }

    public Builder streamThreads(int streamThreads) {
      this.streamThreads = streamThreads;
      return this;
    }

    public Builder applicationServer(String hostAndPort) {
      this.applicationServer = hostAndPort;
      return this;
    }

    public Builder topicPollInterval(Duration interval) {
      this.topicPollInterval = interval;
      return this;
    }

    public Builder closeTimeout(Duration timeout) {
      this.closeTimeout = timeout;
      return this;
    }

    public Builder peerSecret(String secret) {
      this.peerSecret = secret;
      return this;
    }

    /** Aggregates attempt telemetry from this topic ({@code ferry.attempts}); null: none. */
    public Builder attemptsTopic(String topic) {
      this.attemptsTopic = topic;
      return this;
    }

    public Builder kafkaProperty(String key, String value) {
      this.kafkaProperties.put(key, value);
      return this;
    }

    /**
     * @throws IllegalArgumentException naming the field and the value when one is invalid
     */
    public TelemetryConfig build() {
      TransferTopology.Options t = topology;
      if (t != null && (windowSize != null || grace != null)) {
        t =
            t.withWindow(
                windowSize != null ? windowSize : t.windowSize(),
                grace != null ? grace : t.grace());
      }
      return new TelemetryConfig(
          bootstrapServers,
          stateDir,
          applicationId,
          t,
          streamThreads,
          applicationServer,
          topicPollInterval,
          closeTimeout,
          peerSecret,
          kafkaProperties,
          attemptsTopic);
    }
  }
}
