package dev.ferry.worker;

import dev.ferry.model.Json;
import dev.ferry.model.event.Envelope;
import dev.ferry.model.event.EventTypes;
import dev.ferry.model.event.Topics;
import java.time.Clock;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import tools.jackson.databind.json.JsonMapper;

/**
 * Produces {@link AttemptFinished} events to {@link Topics#ATTEMPTS}, keyed by link, as {@link
 * Envelope}s of type {@link EventTypes#ATTEMPT_FINISHED}, with an idempotent producer ({@code
 * acks=all}).
 *
 * <p>The calling task thread only builds the record and queues it; one sender thread hands it to
 * the producer, whose {@code send} may block while metadata is fetched (at most {@code
 * max.block.ms}, 10 s here). A full queue, a send that fails or times out, and an unserializable
 * event are logged, counted in {@link #failures()} and reported to the listener; none of them
 * reaches the task. Thread-safe.
 */
final class KafkaAttemptTelemetry implements AttemptTelemetry {
  private static final Logger log = LoggerFactory.getLogger(KafkaAttemptTelemetry.class);
  static final int QUEUE = 10_000;

  private final Producer<String, byte[]> producer;
  private final String source;
  private final Clock clock;
  private final WorkerListener listener;
  private final Duration closeTimeout;
  private final JsonMapper json = Json.mapper();
  private final AtomicLong failures = new AtomicLong();
  private final ThreadPoolExecutor sender;

  KafkaAttemptTelemetry(
      Producer<String, byte[]> producer,
      String workerId,
      Clock clock,
      WorkerListener listener,
      Duration closeTimeout) {
    this.producer = producer;
    this.source = "/ferry/worker/" + workerId;
    this.clock = clock;
    this.listener = listener;
    this.closeTimeout = closeTimeout;
    this.sender =
        new ThreadPoolExecutor(
            1,
            1,
            0,
            TimeUnit.SECONDS,
            new ArrayBlockingQueue<>(QUEUE),
            r -> {
              Thread t = new Thread(r, "ferry-worker-telemetry-" + workerId);
              t.setDaemon(true);
              return t;
            });
  }

  /** The producer settings: idempotent, {@code acks=all}; security from the worker's properties. */
  static Map<String, Object> producerProperties(WorkerConfig config) {
    Map<String, Object> props = new HashMap<>();
    config
        .kafkaProperties()
        .forEach(
            (k, v) -> {
              if (ProducerConfig.configNames().contains(k)) {
                props.put(k, v);
              }
            });
    props.putIfAbsent(ProducerConfig.LINGER_MS_CONFIG, 20);
    props.putIfAbsent(
        ProducerConfig.CLIENT_ID_CONFIG, "ferry-worker-" + config.workerId() + "-attempts");
    props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, config.kafkaBootstrapServers());
    props.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
    props.put(ProducerConfig.ACKS_CONFIG, "all");
    props.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, 10_000);
    props.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class);
    props.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class);
    return props;
  }

  static KafkaAttemptTelemetry create(WorkerConfig config, WorkerListener listener) {
    return new KafkaAttemptTelemetry(
        new KafkaProducer<>(producerProperties(config)),
        config.workerId(),
        config.clock(),
        listener,
        config.shutdownTimeout());
  }

  @Override
  public void attemptFinished(AttemptFinished event) {
    ProducerRecord<String, byte[]> record;
    try {
      Envelope envelope =
          new Envelope(
              UUID.randomUUID().toString(),
              source,
              EventTypes.ATTEMPT_FINISHED,
              Envelope.SPEC_VERSION,
              clock.instant(),
              event.tenant(),
              event.taskId().toString(),
              EventTypes.schemaV1(EventTypes.ATTEMPT_FINISHED),
              json.valueToTree(event));
      record =
          new ProducerRecord<>(
              Topics.ATTEMPTS,
              Topics.linkKey(event.sourceSite(), event.destinationSite()),
              json.writeValueAsBytes(envelope));
    } catch (RuntimeException e) {
      failed(event, "cannot be serialized", e);
      return;
    }
    try {
      sender.execute(() -> send(event, record));
    } catch (RejectedExecutionException e) {
      failed(event, sender.isShutdown() ? "worker closing" : "queue full (" + QUEUE + ")", e);
    }
  }

  private void send(AttemptFinished event, ProducerRecord<String, byte[]> record) {
    try {
      producer.send(
          record,
          (metadata, error) -> {
            if (error != null) {
              failed(event, "not acknowledged", error);
            }
          });
    } catch (RuntimeException e) {
      failed(event, "send failed", e);
    }
  }

  private void failed(AttemptFinished event, String why, Exception error) {
    long n = failures.incrementAndGet();
    log.warn(
        "attempt telemetry for task {} attempt {} ({} -> {}, {}) lost: {}: {} ({} lost so far)",
        event.taskId(),
        event.attempt(),
        event.sourceSite(),
        event.destinationSite(),
        event.outcome(),
        why,
        error.toString(),
        n);
    try {
      listener.attemptTelemetryFailed(event, error);
    } catch (RuntimeException e) {
      log.debug("listener failed", e);
    }
  }

  @Override
  public long failures() {
    return failures.get();
  }

  /** Sends what is queued and waits for acknowledgements, both within the close timeout. */
  @Override
  public void close() {
    long deadline = System.nanoTime() + closeTimeout.toNanos();
    sender.shutdown();
    try {
      if (!sender.awaitTermination(closeTimeout.toNanos(), TimeUnit.NANOSECONDS)) {
        log.warn("attempt telemetry: {} events still queued at close", sender.getQueue().size());
        sender.shutdownNow();
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      sender.shutdownNow();
    }
    long left = Math.max(0, deadline - System.nanoTime());
    try {
      producer.close(Duration.ofNanos(left));
    } catch (RuntimeException e) {
      log.debug("closing the attempt producer failed", e);
    }
  }
}
