package dev.ferry.telemetry.streams;

import java.nio.charset.StandardCharsets;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sends a record the telemetry topology cannot use to {@code ferry.dead-letter} unchanged, with its
 * headers plus {@code ferry-reason} and {@code ferry-consumer}, and logs it: every processor of the
 * telemetry application does the same, so an operator reads one format.
 *
 * @param topic the topic the processor reads (for the log line)
 * @param consumer the {@code ferry-consumer} header value naming the processor
 * @param sink the name of the processor's dead-letter sink node
 */
public record DeadLetters(String topic, String consumer, String sink) {
  private static final Logger log = LoggerFactory.getLogger(DeadLetters.class);

  /** Forwards {@code record} to the dead-letter sink with {@code reason}. */
  public <K> void send(
      ProcessorContext<K, byte[]> context, Record<K, byte[]> record, String reason) {
    log.warn(
        "dead-lettering a record of {} (key {}, offset {}): {}",
        topic,
        record.key(),
        context.recordMetadata().map(m -> m.partition() + "@" + m.offset()).orElse("?"),
        reason);
    RecordHeaders headers = new RecordHeaders(record.headers().toArray());
    headers.add("ferry-reason", reason.getBytes(StandardCharsets.UTF_8));
    headers.add("ferry-consumer", consumer.getBytes(StandardCharsets.UTF_8));
    context.forward(new Record<>(record.key(), record.value(), record.timestamp(), headers), sink);
  }
}
