package dev.ferry.control;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * Control-plane settings under {@code ferry.*}, validated at start and immutable after.
 *
 * @param dataDir where generated secrets (admin token, master key, worker secret) are kept
 * @param adminToken root token; when blank one is generated into {@code <dataDir>/admin-token}
 * @param masterKey base64 AES-256 key for endpoint credentials; when blank, {@code
 *     <dataDir>/master.key}
 * @param workerSecrets Standard Webhooks secrets accepted on worker callbacks (two while rotating);
 *     when empty, {@code <dataDir>/worker-secret}
 * @param kafka Kafka settings
 * @param leaseDuration how long a claim or heartbeat keeps a task leased
 * @param dispatchTimeout how long a dispatched task may wait for a claim before re-dispatch
 * @param maxAttempts attempts per task before it fails for good
 * @param retryBase first retry delay ceiling (full jitter below it)
 * @param retryMax retry delay ceiling
 * @param sweepInterval how often the sweeper looks for expired leases and due retries
 * @param maxRequestBytes largest accepted API request body
 * @param batchMaxFiles most files in one batch task (batches are sized to the job below that; see
 *     {@code TaskDispatcher.group})
 * @param batchMaxBytes most bytes in one batch task; larger files get a task each
 */
@ConfigurationProperties("ferry")
public record FerryProperties(
    @DefaultValue("${user.home}/.ferry") Path dataDir,
    @DefaultValue("") String adminToken,
    @DefaultValue("") String masterKey,
    @DefaultValue List<String> workerSecrets,
    @DefaultValue Kafka kafka,
    @DefaultValue("30s") Duration leaseDuration,
    @DefaultValue("60s") Duration dispatchTimeout,
    @DefaultValue("5") int maxAttempts,
    @DefaultValue("1s") Duration retryBase,
    @DefaultValue("5m") Duration retryMax,
    @DefaultValue("1s") Duration sweepInterval,
    @DefaultValue("1048576") long maxRequestBytes,
    @DefaultValue("2000") int batchMaxFiles,
    @DefaultValue("67108864") long batchMaxBytes) {

  public FerryProperties {
    if (maxAttempts < 1) {
      throw new IllegalArgumentException("ferry.max-attempts must be >= 1, got " + maxAttempts);
    }
    if (batchMaxFiles < 1 || batchMaxBytes < 1) {
      throw new IllegalArgumentException("ferry.batch-max-files and -bytes must be positive");
    }
    if (leaseDuration.isNegative() || leaseDuration.isZero()) {
      throw new IllegalArgumentException("ferry.lease-duration must be positive");
    }
  }

  /**
   * @param bootstrapServers Kafka bootstrap servers ({@code FERRY_KAFKA_BOOTSTRAP_SERVERS})
   * @param partitions partitions of the topics Ferry creates
   * @param replicationFactor replication of those topics; 0 = min(3, brokers)
   * @param relayBatch most outbox rows published per relay round
   * @param relayIdle how long the relay waits when it is not woken
   */
  public record Kafka(
      @DefaultValue("127.0.0.1:9092") String bootstrapServers,
      @DefaultValue("6") int partitions,
      @DefaultValue("0") int replicationFactor,
      @DefaultValue("500") int relayBatch,
      @DefaultValue("200ms") Duration relayIdle) {}
}
