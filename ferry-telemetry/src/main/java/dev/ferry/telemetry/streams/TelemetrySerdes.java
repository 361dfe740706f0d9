package dev.ferry.telemetry.streams;

import dev.ferry.telemetry.aggregate.LinkKey;
import dev.ferry.telemetry.aggregate.LinkStats;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;

/**
 * Kafka serdes for the aggregates, wrapping their own binary forms. Null stays null (a tombstone).
 * Corrupt bytes fail with a {@link SerializationException} naming the type.
 */
public final class TelemetrySerdes {
  private TelemetrySerdes() {}

  public static Serde<LinkKey> linkKey() {
    return Serdes.serdeFrom(
        (topic, key) -> key == null ? null : key.toBytes(),
        (topic, data) -> data == null ? null : decode("LinkKey", () -> LinkKey.fromBytes(data)));
  }

  public static Serde<LinkStats> linkStats() {
    return Serdes.serdeFrom(
        (topic, stats) -> stats == null ? null : stats.toBytes(),
        (topic, data) ->
            data == null ? null : decode("LinkStats", () -> LinkStats.fromBytes(data)));
  }

  /**
   * JSON over {@link dev.ferry.model.Json#mapper()}, for small values written rarely (models'
   * scores, anomalies, attempt totals); null stays null.
   */
  public static <T> Serde<T> json(Class<T> type) {
    return Serdes.serdeFrom(
        (topic, v) -> v == null ? null : dev.ferry.model.Json.mapper().writeValueAsBytes(v),
        (topic, data) -> {
          if (data == null) {
            return null;
          }
          try {
            return dev.ferry.model.Json.mapper().readValue(data, type);
          } catch (RuntimeException e) {
            throw new SerializationException(
                "cannot read a " + type.getSimpleName() + ": " + e.getMessage(), e);
          }
        });
  }

  private static <T> T decode(String type, java.util.function.Supplier<T> reader) {
    try {
      return reader.get();
    } catch (IllegalArgumentException e) {
      throw new SerializationException("cannot read a " + type + ": " + e.getMessage(), e);
    }
  }
}
