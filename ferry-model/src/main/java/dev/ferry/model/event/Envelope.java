package dev.ferry.model.event;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import java.time.Instant;
import java.util.Objects;
import tools.jackson.databind.JsonNode;

/**
 * A versioned event on Kafka, with CloudEvents attribute names. {@code dataschema} names the
 * payload's schema and version (for example {@code ferry.task.dispatched/1}); consumers ignore
 * unknown fields and dead-letter unknown versions.
 *
 * @param id unique event id; consumers deduplicate on it
 * @param source the producer, e.g. {@code /ferry/control}
 * @param type e.g. {@code dev.ferry.task.dispatched}
 * @param subject the aggregate the event is about (job or task id)
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record Envelope(
    String id,
    String source,
    String type,
    String specversion,
    Instant time,
    String tenant,
    String subject,
    String dataschema,
    JsonNode data) {

  public static final String SPEC_VERSION = "1.0";

  public Envelope {
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(type, "type");
  }
}
