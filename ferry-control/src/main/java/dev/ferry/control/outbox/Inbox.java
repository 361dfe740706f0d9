package dev.ferry.control.outbox;

import java.sql.Timestamp;
import java.time.Clock;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Component;
import org.springframework.transaction.support.TransactionSynchronizationManager;

/**
 * Consumer-side deduplication: records that a consumer applied an event, in the transaction of the
 * effect, so a redelivered event (relay restart, consumer rebalance) is recognised and dropped.
 */
@Component
public class Inbox {
  private final JdbcClient db;
  private final Clock clock;

  public Inbox(JdbcClient db, Clock clock) {
    this.db = db;
    this.clock = clock;
  }

  /**
   * Records {@code eventId} for {@code consumer}; returns false when it was already recorded (the
   * caller must then skip the effect). Blocks while another transaction records the same id.
   */
  public boolean firstDelivery(String consumer, String eventId) {
    if (!TransactionSynchronizationManager.isActualTransactionActive()) {
      throw new IllegalStateException("inbox writes need the transaction of their effect");
    }
    return db.sql(
                "INSERT INTO inbox (consumer, event_id, received_at) VALUES (?, ?, ?)"
                    + " ON CONFLICT DO NOTHING")
            .params(consumer, eventId, Timestamp.from(clock.instant()))
            .update()
        == 1;
  }

  /** How many duplicates a consumer has seen is not stored; this counts applied events. */
  public long applied(String consumer) {
    return db.sql("SELECT count(*) FROM inbox WHERE consumer = ?")
        .param(consumer)
        .query(Long.class)
        .single();
  }
}
