package dev.ferry.worker;

import dev.ferry.model.webhook.WebhookSecret;
import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.UUID;

/**
 * A worker's configuration, validated when built and immutable after.
 *
 * @param controlPlaneUrl base URL of the control plane ({@code http} or {@code https}); the
 *     callback paths of {@code WorkerProtocol} are appended to it
 * @param kafkaBootstrapServers {@code host:port[,host:port…]}
 * @param site the site this worker executes tasks for, matched against a task's <em>destination
 *     site</em> (the copy runs where the data lands, so the atomic publish is local); null for
 *     every site, as in the embedded single-JVM mode
 * @param workerId this worker's identity in claims and leases; unique per process
 * @param webhookSecret the secret that signs callbacks
 * @param concurrency tasks executed in parallel, 1 to 1024
 * @param heartbeatInterval time between heartbeats of a running task; well below the lease time
 * @param shutdownTimeout how long {@link Worker#close()} waits for running tasks before
 *     interrupting them and releasing their leases
 * @param clock source of webhook timestamps, durations and lease expiry checks
 * @param kafkaProperties extra consumer properties (security, timeouts); cannot override the group,
 *     deserializers, manual commits or {@code read_committed}
 */
public record WorkerConfig(
    URI controlPlaneUrl,
    String kafkaBootstrapServers,
    String site,
    String workerId,
    WebhookSecret webhookSecret,
    int concurrency,
    Duration heartbeatInterval,
    Duration shutdownTimeout,
    Clock clock,
    Map<String, String> kafkaProperties) {

  public static final int DEFAULT_CONCURRENCY = 4;
  public static final Duration DEFAULT_HEARTBEAT_INTERVAL = Duration.ofSeconds(5);
  public static final Duration DEFAULT_SHUTDOWN_TIMEOUT = Duration.ofSeconds(10);

  /**
   * @throws IllegalArgumentException naming the field and the value when one is invalid
   */
  public WorkerConfig {
    Objects.requireNonNull(controlPlaneUrl, "controlPlaneUrl is required");
    String scheme =
        controlPlaneUrl.getScheme() == null
            ? ""
            : controlPlaneUrl.getScheme().toLowerCase(Locale.ROOT);
    if (!(scheme.equals("http") || scheme.equals("https")) || controlPlaneUrl.getHost() == null) {
      throw new IllegalArgumentException(
          "controlPlaneUrl must be an absolute http(s) URL, got " + controlPlaneUrl);
    }
    if (controlPlaneUrl.getRawQuery() != null || controlPlaneUrl.getRawFragment() != null) {
      throw new IllegalArgumentException(
          "controlPlaneUrl must not have a query or fragment, got " + controlPlaneUrl);
    }
    if (kafkaBootstrapServers == null || kafkaBootstrapServers.isBlank()) {
      throw new IllegalArgumentException("kafkaBootstrapServers is required");
    }
    if (site != null && site.isBlank()) {
      throw new IllegalArgumentException("site must be null (all sites) or non-blank");
    }
    if (workerId == null || workerId.isBlank()) {
      throw new IllegalArgumentException("workerId is required");
    }
    Objects.requireNonNull(webhookSecret, "webhookSecret is required");
    if (concurrency < 1 || concurrency > 1024) {
      throw new IllegalArgumentException("concurrency must be 1 to 1024, got " + concurrency);
    }
    requirePositive("heartbeatInterval", heartbeatInterval);
    requirePositive("shutdownTimeout", shutdownTimeout);
    Objects.requireNonNull(clock, "clock is required");
    kafkaProperties = Map.copyOf(kafkaProperties == null ? Map.of() : kafkaProperties);
  }

  private static void requirePositive(String name, Duration value) {
    Objects.requireNonNull(value, name + " is required");
    if (value.isNegative() || value.isZero()) {
      throw new IllegalArgumentException(name + " must be positive, got " + value);
    }
  }

  /** The Kafka consumer group: {@code ferry-worker-<site>}, or {@code ferry-worker-all}. */
  public String consumerGroup() {
    return "ferry-worker-" + (site == null ? "all" : site);
  }

  /** True when this worker executes tasks whose destination is {@code destinationSite}. */
  public boolean executesFor(String destinationSite) {
    return site == null || site.equals(destinationSite);
  }

  public static Builder builder() {
    return new Builder();
  }

  /** Builder with the defaults; {@link #build()} validates. Not thread-safe. */
  public static final class Builder {
    private URI controlPlaneUrl;
    private String kafkaBootstrapServers;
    private String site;
    private String workerId;
    private WebhookSecret webhookSecret;
    private int concurrency = DEFAULT_CONCURRENCY;
    private Duration heartbeatInterval = DEFAULT_HEARTBEAT_INTERVAL;
    private Duration shutdownTimeout = DEFAULT_SHUTDOWN_TIMEOUT;
    private Clock clock = Clock.systemUTC();
    private final Map<String, String> kafkaProperties = new LinkedHashMap<>();

    private Builder() {}

    public Builder controlPlaneUrl(URI controlPlaneUrl) {
      this.controlPlaneUrl = controlPlaneUrl;
      return this;
    }

    public Builder controlPlaneUrl(String controlPlaneUrl) {
      return controlPlaneUrl(URI.create(controlPlaneUrl));
    }

    public Builder kafkaBootstrapServers(String kafkaBootstrapServers) {
      this.kafkaBootstrapServers = kafkaBootstrapServers;
      return this;
    }

    /** Null (the default) for all sites. */
    public Builder site(String site) {
      this.site = site;
      return this;
    }

    /** Defaults to {@code worker-<site or all>-<random>}. */
    public Builder workerId(String workerId) {
      this.workerId = workerId;
      return this;
    }

    public Builder webhookSecret(WebhookSecret webhookSecret) {
      this.webhookSecret = webhookSecret;
      return this;
    }

    public Builder concurrency(int concurrency) {
      this.concurrency = concurrency;
      return this;
    }

    public Builder heartbeatInterval(Duration heartbeatInterval) {
      this.heartbeatInterval = heartbeatInterval;
      return this;
    }

    public Builder shutdownTimeout(Duration shutdownTimeout) {
      this.shutdownTimeout = shutdownTimeout;
      return this;
    }

    public Builder clock(Clock clock) {
      this.clock = clock;
      return this;
    }

    public Builder kafkaProperty(String name, String value) {
      kafkaProperties.put(name, value);
      return this;
    }

    public WorkerConfig build() {
      String id = workerId;
      if (id == null) {
        id =
            "worker-"
                + (site == null ? "all" : site)
                + "-"
                + UUID.randomUUID().toString().substring(0, 8);
      }
      return new WorkerConfig(
          controlPlaneUrl,
          kafkaBootstrapServers,
          site,
          id,
          webhookSecret,
          concurrency,
          heartbeatInterval,
          shutdownTimeout,
          clock,
          kafkaProperties);
    }
  }
}
