package dev.ferry.telemetry.streams;

import dev.ferry.model.Json;
import dev.ferry.telemetry.aggregate.FactReader;
import java.time.Instant;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.streams.processor.TimestampExtractor;
import tools.jackson.core.JsonParser;
import tools.jackson.core.JsonToken;

/**
 * Event time for Kafka Streams: the envelope's {@code time}, not the Kafka record's timestamp
 * (which is when the outbox relay published, possibly long after a relay outage).
 *
 * <p>Reads only the top-level {@code time} property with a streaming parser and stops there, so the
 * envelope is not parsed twice in full. A record without a readable time (it will be dead-lettered
 * by the aggregator) gets the partition's current stream time, so that it neither moves stream time
 * nor is dropped by Kafka Streams for a negative timestamp. Stateless and thread-safe.
 */
public final class EnvelopeTimeExtractor implements TimestampExtractor {

  @Override
  public long extract(ConsumerRecord<Object, Object> record, long partitionTime) {
    long t = envelopeTime(record.value());
    if (t >= 0) {
      return t;
    }
    return partitionTime >= 0 ? partitionTime : Math.max(0, record.timestamp());
  }

  /** The epoch millis of the envelope's {@code time}, or -1 when there is none readable. */
  static long envelopeTime(Object value) {
    if (!(value instanceof byte[] bytes)) {
      return -1;
    }
    try (JsonParser p = Json.mapper().createParser(bytes)) {
      if (p.nextToken() != JsonToken.START_OBJECT) {
        return -1;
      }
      for (JsonToken t = p.nextToken(); t == JsonToken.PROPERTY_NAME; t = p.nextToken()) {
        String name = p.currentName();
        JsonToken v = p.nextToken();
        if ("time".equals(name)) {
          if (v != JsonToken.VALUE_STRING) {
            return -1;
          }
          Instant fast =
              FactReader.parseInstant(
                  p.getStringCharacters(), p.getStringOffset(), p.getStringLength());
          return (fast != null ? fast : Instant.parse(p.getString())).toEpochMilli();
        }
        p.skipChildren();
      }
      return -1;
    } catch (RuntimeException e) {
      // malformed JSON or time: the aggregator dead-letters the record with the reason
      return -1;
    }
  }
}
