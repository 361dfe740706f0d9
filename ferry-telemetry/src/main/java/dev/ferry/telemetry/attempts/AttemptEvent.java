package dev.ferry.telemetry.attempts;

import dev.ferry.model.Json;
import dev.ferry.model.event.Envelope;
import dev.ferry.model.event.EventTypes;
import dev.ferry.telemetry.aggregate.LinkKey;
import java.util.Locale;
import java.util.Set;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;

/**
 * One worker attempt as {@code ferry.attempts} carries it ({@code dev.ferry.attempt.finished/1}),
 * reduced to what the aggregation needs. The telemetry module reads the JSON itself rather than
 * depending on the worker's record, as it does for transfer facts.
 *
 * @param id the envelope id
 * @param taskId with {@code attempt}, identifies the attempt: the key of duplicate detection
 * @param attempt 1 for a task's first attempt; more is a retry
 * @param outcome {@code completed}, {@code failed}, {@code cancelled}, {@code released} or {@code
 *     abandoned}
 * @param errorClass the first failed file's error class; null when no file failed
 */
public record AttemptEvent(
    String id,
    LinkKey link,
    String taskId,
    int attempt,
    int files,
    int filesFailed,
    long bytesOnWire,
    long durationMillis,
    String outcome,
    String errorClass) {

  /** The outcomes a worker reports, in the order metrics list them. */
  public static final Set<String> OUTCOMES =
      Set.of("completed", "failed", "cancelled", "released", "abandoned");

  /** The attempt's identity for duplicate detection: {@code taskId/attempt}. */
  public String dedupKey() {
    return taskId + "/" + attempt;
  }

  /**
   * Reads an envelope from {@code ferry.attempts}.
   *
   * @return null when the record is another type of event (ignored, like unknown fields)
   * @throws IllegalArgumentException when it is an attempt event that cannot be counted: not JSON,
   *     an unknown schema, a missing tenant, site or task id, an unknown outcome, negative numbers
   */
  public static AttemptEvent parse(byte[] value) {
    if (value == null) {
      throw new IllegalArgumentException("null value");
    }
    Envelope e;
    try {
      e = Json.mapper().readValue(value, Envelope.class);
    } catch (JacksonException ex) {
      throw new IllegalArgumentException("not an envelope: " + ex.getOriginalMessage(), ex);
    }
    if (!EventTypes.ATTEMPT_FINISHED.equals(e.type())) {
      return null;
    }
    if (e.dataschema() != null
        && !e.dataschema().equals(EventTypes.schemaV1(EventTypes.ATTEMPT_FINISHED))) {
      throw new IllegalArgumentException("unknown schema " + e.dataschema());
    }
    JsonNode d = e.data();
    if (d == null || !d.isObject()) {
      throw new IllegalArgumentException("no data");
    }
    String tenant = e.tenant() != null ? e.tenant() : text(d, "tenant", false);
    if (tenant == null || tenant.isBlank()) {
      throw new IllegalArgumentException("no tenant (a worker older than the tenant field?)");
    }
    String outcome = text(d, "outcome", true).toLowerCase(Locale.ROOT);
    if (!OUTCOMES.contains(outcome)) {
      throw new IllegalArgumentException("unknown outcome " + outcome);
    }
    int attempt = d.path("attempt").asInt(0);
    if (attempt < 1) {
      throw new IllegalArgumentException("attempt must be at least 1");
    }
    long bytes = d.path("bytesOnWire").asLong(0);
    long duration = d.path("durationMillis").asLong(0);
    int files = d.path("files").asInt(0);
    int failed = d.path("filesFailed").asInt(0);
    if (bytes < 0 || duration < 0 || files < 0 || failed < 0) {
      throw new IllegalArgumentException("negative count");
    }
    return new AttemptEvent(
        e.id(),
        new LinkKey(tenant, text(d, "sourceSite", true), text(d, "destinationSite", true)),
        text(d, "taskId", true),
        attempt,
        files,
        failed,
        bytes,
        duration,
        outcome,
        text(d, "errorClass", false));
  }

  private static String text(JsonNode d, String field, boolean required) {
    JsonNode n = d.get(field);
    if (n == null || n.isNull()) {
      if (required) {
        throw new IllegalArgumentException("missing " + field);
      }
      return null;
    }
    String s = n.asString();
    if (required && s.isBlank()) {
      throw new IllegalArgumentException("blank " + field);
    }
    return s;
  }
}
