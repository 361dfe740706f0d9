package dev.ferry.control.outbox;

import dev.ferry.control.FerryProperties;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Future;
import javax.sql.DataSource;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.SmartLifecycle;
import org.springframework.stereotype.Component;

/**
 * Publishes outbox rows to Kafka in id order and marks them published. At most one relay is active
 * across control-plane replicas: the one holding a PostgreSQL advisory lock on its own connection,
 * which it also uses for every read and mark, so losing the connection loses the lock and the relay
 * together.
 *
 * <p>Delivery is at least once: a relay that stops between publishing and marking republishes those
 * rows on the next round, and consumers drop the duplicates by event id.
 */
@Component
public class OutboxRelay implements SmartLifecycle {
  /** Advisory lock key: "ferryOBX" as a 64-bit number. */
  static final long LOCK_KEY = 0x66657272794f4258L;

  private static final Logger log = LoggerFactory.getLogger(OutboxRelay.class);

  private final DataSource dataSource;
  private final KafkaSupport kafka;
  private final OutboxSignal signal;
  private final Clock clock;
  private final int batchSize;
  private final Duration idle;
  private final Counter published;
  private volatile boolean running;
  private Thread thread;
  private Connection lockConnection;
  private KafkaProducer<String, String> producer;

  public OutboxRelay(
      DataSource dataSource,
      KafkaSupport kafka,
      OutboxSignal signal,
      Clock clock,
      FerryProperties properties,
      MeterRegistry meters) {
    this.dataSource = dataSource;
    this.kafka = kafka;
    this.signal = signal;
    this.clock = clock;
    this.batchSize = properties.kafka().relayBatch();
    this.idle = properties.kafka().relayIdle();
    this.published = Counter.builder("ferry.outbox.published").register(meters);
  }

  /** What one relay round should do; {@code PUBLISH_ONLY} simulates a crash before marking. */
  public enum Round {
    PUBLISH_AND_MARK,
    PUBLISH_ONLY
  }

  @Override
  public synchronized void start() {
    kafka.ensureTopics();
    producer = kafka.producer("ferry-outbox-relay");
    running = true;
    thread = new Thread(this::loop, "ferry-outbox-relay");
    thread.setDaemon(true);
    thread.start();
  }

  @Override
  public void stop() {
    synchronized (this) {
      running = false;
      signal.wake();
    }
    try {
      if (thread != null) {
        thread.join(15_000);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    synchronized (this) {
      if (producer != null) {
        producer.close(Duration.ofSeconds(5));
        producer = null;
      }
      releaseLock();
    }
  }

  @Override
  public boolean isRunning() {
    return running;
  }

  /** Stops after the components that write the outbox, so their last events get out. */
  @Override
  public int getPhase() {
    return Integer.MIN_VALUE + 1000;
  }

  private void loop() {
    while (running) {
      try {
        int n = relayOnce(Round.PUBLISH_AND_MARK);
        if (n < batchSize) {
          signal.await(n == 0 && lockConnection == null ? Duration.ofSeconds(1) : idle);
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      } catch (Exception e) {
        log.warn("outbox relay round failed; retrying in 1 s: {}", e.toString());
        releaseLock();
        sleepQuietly(Duration.ofSeconds(1));
      }
    }
    // Final drain on shutdown: whatever committed before stop gets out.
    try {
      while (relayOnce(Round.PUBLISH_AND_MARK) > 0) {
        // keep draining
      }
    } catch (Exception e) {
      log.warn("outbox drain at shutdown failed; rows stay for the next start: {}", e.toString());
    }
  }

  /**
   * One relay round: when this instance holds (or gets) the advisory lock, publishes up to a batch
   * of unpublished rows and, for {@link Round#PUBLISH_AND_MARK}, marks them published.
   *
   * @return rows published, 0 when there were none or another replica holds the lock
   */
  public synchronized int relayOnce(Round round) throws Exception {
    if (producer == null) {
      producer = kafka.producer("ferry-outbox-relay");
    }
    if (!holdLock()) {
      return 0;
    }
    List<Long> ids = new ArrayList<>();
    List<Future<?>> sends = new ArrayList<>();
    try (PreparedStatement ps =
        lockConnection.prepareStatement(
            "SELECT id, topic, event_key, payload FROM outbox WHERE published_at IS NULL"
                + " ORDER BY id LIMIT ?")) {
      ps.setInt(1, batchSize);
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          ids.add(rs.getLong(1));
          sends.add(
              producer.send(
                  new ProducerRecord<>(rs.getString(2), rs.getString(3), rs.getString(4))));
        }
      }
    }
    if (ids.isEmpty()) {
      return 0;
    }
    producer.flush();
    for (Future<?> f : sends) {
      f.get();
    }
    published.increment(ids.size());
    if (round == Round.PUBLISH_AND_MARK) {
      try (PreparedStatement ps =
          lockConnection.prepareStatement(
              "UPDATE outbox SET published_at = ? WHERE id = ANY (?)")) {
        Array array = lockConnection.createArrayOf("bigint", ids.toArray());
        ps.setTimestamp(1, Timestamp.from(clock.instant()));
        ps.setArray(2, array);
        ps.executeUpdate();
      }
    }
    return ids.size();
  }

  /** Drops the advisory lock, as a crashed relay would. */
  public synchronized void releaseLock() {
    if (lockConnection != null) {
      // The connection goes back to a pool that keeps the session open: unlock explicitly.
      try (PreparedStatement ps = lockConnection.prepareStatement("SELECT pg_advisory_unlock(?)")) {
        ps.setLong(1, LOCK_KEY);
        ps.execute();
      } catch (SQLException e) {
        log.debug("unlocking relay lock (connection probably gone)", e);
      }
      try {
        lockConnection.close();
      } catch (SQLException e) {
        log.debug("closing relay connection", e);
      }
      lockConnection = null;
    }
  }

  private boolean holdLock() throws SQLException {
    if (lockConnection != null) {
      if (lockConnection.isValid(2)) {
        return true;
      }
      releaseLock();
    }
    Connection c = dataSource.getConnection();
    boolean ok = false;
    try {
      c.setAutoCommit(true);
      try (PreparedStatement ps = c.prepareStatement("SELECT pg_try_advisory_lock(?)")) {
        ps.setLong(1, LOCK_KEY);
        try (ResultSet rs = ps.executeQuery()) {
          ok = rs.next() && rs.getBoolean(1);
        }
      }
    } finally {
      if (!ok) {
        c.close();
      }
    }
    if (ok) {
      lockConnection = c;
      log.info("this instance is the active outbox relay");
    }
    return ok;
  }

  private static void sleepQuietly(Duration d) {
    try {
      Thread.sleep(d.toMillis());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
