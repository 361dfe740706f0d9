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
 *     deserializers, manual commits or {@code read_committed}. Those that are producer settings too
 *     (security, client DNS lookup…) also configure the attempt-telemetry producer
 * @param fileConcurrency files of one batch task copied at once, 1 to 256: small files are
 *     dominated by per-file latency (stat, create, fsync, rename), which overlaps well
 * @param linkConcurrency tasks of one link ({@code SRC->DST}) running at once in this worker, by
 *     link; in adaptive mode the most the adaptive limit may reach
 * @param defaultLinkConcurrency the same for links not in {@code linkConcurrency}; by default
 *     {@code concurrency}, i.e. no limit beyond the worker's own
 * @param adaptiveConcurrency whether each link's limit adapts to its success ratio and throughput
 *     ({@link AdaptiveConcurrency}) instead of staying at its configured value
 * @param adaptiveSettings the adaptive algorithm's settings; used only when {@code
 *     adaptiveConcurrency}
 * @param linkBandwidth bytes per second all tasks of a link may move together, by link; links not
 *     in it are not throttled
 * @param attemptTelemetry whether a started worker produces one {@code dev.ferry.attempt.finished}
 *     event per attempt to {@code ferry.attempts}
 * @param defaultLinkBandwidth bytes per second for links not in {@code linkBandwidth}; 0 (the
 *     default) leaves them unthrottled
 * @param temporaryFileAge temporary objects in the destination directories older than this are
 *     debris and removed ({@link TemporaryFileSweeper}); must exceed the time a kept resumable
 *     write may wait for its next attempt (lease, backoff, dispatch), default 1 hour
 * @param temporaryFileSweepInterval how often one directory is swept at most, and how often the
 *     remembered directories are swept again; default 10 minutes
 * @param rangesPerFile chunks of one large file copied at once where the destination allows it, 1
 *     to 64 ({@link CopyOptions#ranges()}); default {@link CopyOptions#DEFAULT_RANGES}
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
    Map<String, String> kafkaProperties,
    int fileConcurrency,
    Map<String, Integer> linkConcurrency,
    int defaultLinkConcurrency,
    boolean adaptiveConcurrency,
    AdaptiveConcurrency.Settings adaptiveSettings,
    Map<String, Long> linkBandwidth,
    boolean attemptTelemetry,
    long defaultLinkBandwidth,
    Duration temporaryFileAge,
    Duration temporaryFileSweepInterval,
    int rangesPerFile) {

  public static final int DEFAULT_CONCURRENCY = 4;
  public static final int DEFAULT_FILE_CONCURRENCY = 8;
  public static final Duration DEFAULT_HEARTBEAT_INTERVAL = Duration.ofSeconds(5);
  public static final Duration DEFAULT_SHUTDOWN_TIMEOUT = Duration.ofSeconds(10);
  public static final Duration DEFAULT_TEMPORARY_FILE_AGE = Duration.ofHours(1);
  public static final Duration DEFAULT_TEMPORARY_FILE_SWEEP_INTERVAL = Duration.ofMinutes(10);

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
    if (rangesPerFile < 1 || rangesPerFile > 64) {
      throw new IllegalArgumentException("rangesPerFile must be 1 to 64, got " + rangesPerFile);
    }
    if (fileConcurrency < 1 || fileConcurrency > 256) {
      throw new IllegalArgumentException(
          "fileConcurrency must be 1 to 256, got " + fileConcurrency);
    }
    linkConcurrency = links("linkConcurrency", linkConcurrency, 1);
    if (defaultLinkConcurrency < 1) {
      throw new IllegalArgumentException(
          "defaultLinkConcurrency must be at least 1, got " + defaultLinkConcurrency);
    }
    Objects.requireNonNull(adaptiveSettings, "adaptiveSettings is required");
    linkBandwidth = links("linkBandwidth", linkBandwidth, 1);
    if (defaultLinkBandwidth < 0) {
      throw new IllegalArgumentException(
          "defaultLinkBandwidth must be 0 (unthrottled) or positive, got " + defaultLinkBandwidth);
    }
    requirePositive("temporaryFileAge", temporaryFileAge);
    requirePositive("temporaryFileSweepInterval", temporaryFileSweepInterval);
  }

  private static <N extends Number> Map<String, N> links(
      String name, Map<String, N> values, long min) {
    if (values == null) {
      return Map.of();
    }
    for (Map.Entry<String, N> e : values.entrySet()) {
      String link = e.getKey();
      int arrow = link == null ? -1 : link.indexOf("->");
      if (arrow < 1
          || arrow + 2 >= link.length()
          || link.indexOf("->", arrow + 2) >= 0
          || link.chars().anyMatch(Character::isWhitespace)) {
        throw new IllegalArgumentException(
            name + ": a link is written SRC->DST, got '" + link + "'");
      }
      if (e.getValue() == null || e.getValue().longValue() < min) {
        throw new IllegalArgumentException(
            name + " of " + link + " must be at least " + min + ", got " + e.getValue());
      }
    }
    return Map.copyOf(values);
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
    private int fileConcurrency = DEFAULT_FILE_CONCURRENCY;
    private int rangesPerFile = CopyOptions.DEFAULT_RANGES;
    private final Map<String, Integer> linkConcurrency = new LinkedHashMap<>();
    private Integer defaultLinkConcurrency; // null: concurrency
    private boolean adaptiveConcurrency;
    private AdaptiveConcurrency.Settings adaptiveSettings = AdaptiveConcurrency.Settings.DEFAULTS;
    private final Map<String, Long> linkBandwidth = new LinkedHashMap<>();
    private boolean attemptTelemetry = true;
    private long defaultLinkBandwidth;
    private Duration temporaryFileAge = DEFAULT_TEMPORARY_FILE_AGE;
    private Duration temporaryFileSweepInterval = DEFAULT_TEMPORARY_FILE_SWEEP_INTERVAL;

    private Builder() {}

    /** Age from which a temporary object in a destination directory is removed; default 1 h. */
    public Builder temporaryFileAge(Duration age) {
      this.temporaryFileAge = age;
      return this;
    }

    /** How often a destination directory is swept at most; default 10 min. */
    public Builder temporaryFileSweepInterval(Duration interval) {
      this.temporaryFileSweepInterval = interval;
      return this;
    }

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

    /** Files of one batch task copied at once; default {@value #DEFAULT_FILE_CONCURRENCY}. */
    /**
     * Chunks of one large file copied at once where the destination allows it ({@link
     * CopyOptions#ranges()}); 1 keeps every file's chunks in order.
     */
    public Builder rangesPerFile(int rangesPerFile) {
      this.rangesPerFile = rangesPerFile;
      return this;
    }

    public Builder fileConcurrency(int fileConcurrency) {
      this.fileConcurrency = fileConcurrency;
      return this;
    }

    /** Concurrency limits by link ({@code SRC->DST}); adds to those given before. */
    public Builder linkConcurrency(Map<String, Integer> limits) {
      linkConcurrency.putAll(limits);
      return this;
    }

    /** The limit of links without one of their own; default: {@code concurrency}. */
    public Builder defaultLinkConcurrency(int limit) {
      this.defaultLinkConcurrency = limit;
      return this;
    }

    /** Adaptive per-link limits (off by default). */
    public Builder adaptiveConcurrency(boolean adaptive) {
      this.adaptiveConcurrency = adaptive;
      return this;
    }

    public Builder adaptiveSettings(AdaptiveConcurrency.Settings settings) {
      this.adaptiveSettings = settings;
      return this;
    }

    /** Bandwidth limits in bytes per second by link ({@code SRC->DST}); adds to those before. */
    public Builder linkBandwidth(Map<String, Long> bytesPerSecond) {
      linkBandwidth.putAll(bytesPerSecond);
      return this;
    }

    /**
     * Bytes per second for each link without a bandwidth of its own; 0 (the default): unthrottled.
     */
    public Builder defaultLinkBandwidth(long bytesPerSecond) {
      this.defaultLinkBandwidth = bytesPerSecond;
      return this;
    }

    /** Whether a started worker produces attempt telemetry to Kafka (on by default). */
    public Builder attemptTelemetry(boolean attemptTelemetry) {
      this.attemptTelemetry = attemptTelemetry;
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
          kafkaProperties,
          fileConcurrency,
          linkConcurrency,
          defaultLinkConcurrency == null ? concurrency : defaultLinkConcurrency,
          adaptiveConcurrency,
          adaptiveSettings,
          linkBandwidth,
          attemptTelemetry,
          defaultLinkBandwidth,
          temporaryFileAge,
          temporaryFileSweepInterval,
          rangesPerFile);
    }
  }
}
