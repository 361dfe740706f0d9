package dev.ferry.control.outbox;

import dev.ferry.model.event.Envelope;
import dev.ferry.model.event.EventTypes;
import java.sql.Timestamp;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.stereotype.Component;
import org.springframework.transaction.support.TransactionSynchronization;
import org.springframework.transaction.support.TransactionSynchronizationManager;
import tools.jackson.databind.json.JsonMapper;

/**
 * Writes events to the outbox table. Must be called inside the transaction that makes the change
 * the event announces: the event is published if and only if that transaction commits. After the
 * commit the relay is woken so that publication does not wait for its next poll.
 */
@Component
public class Outbox {
  public static final String SOURCE = "/ferry/control";

  private final JdbcTemplate jdbc;
  private final JsonMapper json;
  private final Clock clock;
  private final OutboxSignal signal;

  public Outbox(JdbcTemplate jdbc, JsonMapper json, Clock clock, OutboxSignal signal) {
    this.jdbc = jdbc;
    this.json = json;
    this.clock = clock;
    this.signal = signal;
  }

  /** One event to append. */
  public record Pending(
      String topic, String key, String type, UUID tenant, String subject, Object data) {}

  public Envelope append(
      String topic, String key, String type, UUID tenant, String subject, Object data) {
    return appendAll(List.of(new Pending(topic, key, type, tenant, subject, data))).get(0);
  }

  /** Appends events in one batch, in order. */
  public List<Envelope> appendAll(List<Pending> events) {
    if (!TransactionSynchronizationManager.isActualTransactionActive()) {
      throw new IllegalStateException(
          "outbox writes need the transaction of the change they announce");
    }
    Instant now = clock.instant();
    List<Envelope> envelopes = new ArrayList<>(events.size());
    List<Object[]> rows = new ArrayList<>(events.size());
    for (Pending e : events) {
      Envelope env =
          new Envelope(
              UUID.randomUUID().toString(),
              SOURCE,
              e.type(),
              Envelope.SPEC_VERSION,
              now,
              e.tenant() == null ? null : e.tenant().toString(),
              e.subject(),
              EventTypes.schemaV1(e.type()),
              json.valueToTree(e.data()));
      envelopes.add(env);
      rows.add(
          new Object[] {
            UUID.fromString(env.id()),
            e.topic(),
            e.key(),
            json.writeValueAsString(env),
            Timestamp.from(now)
          });
    }
    jdbc.batchUpdate(
        "INSERT INTO outbox (event_id, topic, event_key, payload, created_at) VALUES (?, ?, ?, ?, ?)",
        rows);
    if (TransactionSynchronizationManager.isSynchronizationActive()) {
      TransactionSynchronizationManager.registerSynchronization(
          new TransactionSynchronization() {
            @Override
            public void afterCommit() {
              signal.wake();
            }
          });
    }
    return envelopes;
  }
}
