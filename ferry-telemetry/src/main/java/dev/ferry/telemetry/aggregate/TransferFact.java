package dev.ferry.telemetry.aggregate;

import dev.ferry.model.event.Envelope;
import dev.ferry.model.event.EventTypes;
import java.time.Instant;
import java.util.Objects;
import tools.jackson.databind.JsonNode;

/**
 * One completed-transfer fact: the outcome of one file in one attempt, as published by the control
 * plane on {@code ferry.transfers} (type {@value EventTypes#TRANSFER_COMPLETED}, schema version 1).
 * A file that fails retryably and then succeeds yields two facts, one per attempt.
 *
 * @param eventId the envelope id; unique per fact, the key of deduplication
 * @param time the envelope time (event time), the time the control plane recorded the outcome
 * @param bytes bytes published at the destination (0 when skipped or failed)
 * @param durationMillis the duration of the whole attempt that carried the file ({@code
 *     taskDurationMillis}): for a batch task it is shared by every file of the batch
 * @param errorClass the failure's class, e.g. {@code io}; null unless {@code outcome == FAILED}
 * @param retryable whether the failure may succeed on another attempt; false unless failed
 */
public record TransferFact(
    String eventId,
    Instant time,
    String tenant,
    String sourceSite,
    String destinationSite,
    Outcome outcome,
    long bytes,
    long durationMillis,
    String errorClass,
    boolean retryable,
    int attempt) {

  /** The {@code dataschema} this reader understands. */
  public static final String SCHEMA_V1 = EventTypes.schemaV1(EventTypes.TRANSFER_COMPLETED);

  public TransferFact {
    Objects.requireNonNull(eventId, "eventId");
    Objects.requireNonNull(time, "time");
    Objects.requireNonNull(tenant, "tenant");
    Objects.requireNonNull(sourceSite, "sourceSite");
    Objects.requireNonNull(destinationSite, "destinationSite");
    Objects.requireNonNull(outcome, "outcome");
    if (bytes < 0 || durationMillis < 0) {
      throw new IllegalArgumentException(
          "fact " + eventId + ": negative bytes " + bytes + " or duration " + durationMillis);
    }
  }

  /** The link this fact is aggregated under. */
  public LinkKey link() {
    return new LinkKey(tenant, sourceSite, destinationSite);
  }

  /** Whether the envelope is a transfer fact at all (of any schema version). */
  public static boolean isTransferFact(Envelope envelope) {
    return EventTypes.TRANSFER_COMPLETED.equals(envelope.type());
  }

  /**
   * Reads a fact from its envelope. Unknown fields are ignored; the tenant comes from the payload,
   * or from the envelope when the payload has none.
   *
   * @throws InvalidFactException when the envelope is not a version-1 transfer fact or lacks a
   *     required field; the message names the event id and the reason
   */
  public static TransferFact fromEnvelope(Envelope envelope) {
    String id = envelope.id();
    if (!isTransferFact(envelope)) {
      throw new InvalidFactException("event " + id + " has type " + envelope.type());
    }
    if (!SCHEMA_V1.equals(envelope.dataschema())) {
      throw new InvalidFactException(
          "event " + id + ": unknown schema version " + envelope.dataschema());
    }
    if (envelope.time() == null) {
      throw new InvalidFactException("event " + id + " has no time");
    }
    JsonNode data = envelope.data();
    if (data == null || !data.isObject()) {
      throw new InvalidFactException("event " + id + " has no data object");
    }
    String tenant = text(data, "tenant", false, id);
    if (tenant == null) {
      tenant = envelope.tenant();
    }
    if (tenant == null || tenant.isBlank()) {
      throw new InvalidFactException("event " + id + " has no tenant");
    }
    Outcome outcome;
    try {
      outcome = Outcome.parse(text(data, "outcome", true, id));
    } catch (IllegalArgumentException e) {
      throw new InvalidFactException("event " + id + ": " + e.getMessage());
    }
    long bytes = number(data, "bytes", id);
    long duration = number(data, "taskDurationMillis", id);
    if (bytes < 0 || duration < 0) {
      throw new InvalidFactException(
          "event " + id + ": negative bytes " + bytes + " or taskDurationMillis " + duration);
    }
    JsonNode attempt = data.path("attempt");
    JsonNode retryable = data.path("retryable");
    return new TransferFact(
        id,
        envelope.time(),
        tenant,
        text(data, "sourceSite", true, id),
        text(data, "destinationSite", true, id),
        outcome,
        bytes,
        duration,
        outcome == Outcome.FAILED ? text(data, "errorClass", false, id) : null,
        outcome == Outcome.FAILED && retryable.isBoolean() && retryable.booleanValue(),
        attempt.canConvertToInt() ? attempt.intValue() : 0);
  }

  private static String text(JsonNode data, String field, boolean required, String id) {
    JsonNode n = data.path(field);
    if (n.isString() && !n.stringValue().isBlank()) {
      return n.stringValue();
    }
    if (required) {
      throw new InvalidFactException("event " + id + " lacks data." + field);
    }
    return null;
  }

  private static long number(JsonNode data, String field, String id) {
    JsonNode n = data.path(field);
    if (n.isMissingNode() || n.isNull()) {
      return 0;
    }
    if (!n.isIntegralNumber() || !n.canConvertToLong()) {
      throw new InvalidFactException("event " + id + ": data." + field + " is not an integer");
    }
    return n.longValue();
  }
}
