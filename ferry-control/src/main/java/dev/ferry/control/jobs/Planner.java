package dev.ferry.control.jobs;

import dev.ferry.control.endpoints.EndpointService;
import dev.ferry.control.outbox.Inbox;
import dev.ferry.control.outbox.KafkaSupport;
import dev.ferry.model.JobState;
import dev.ferry.model.event.Envelope;
import dev.ferry.model.event.EventTypes;
import dev.ferry.model.event.Topics;
import dev.ferry.model.protocol.EndpointRef;
import dev.ferry.model.protocol.FileItem;
import dev.ferry.storage.ListPage;
import dev.ferry.storage.StorageEndpoint;
import dev.ferry.storage.StorageEndpoints;
import dev.ferry.storage.StorageEntry;
import java.nio.charset.StandardCharsets;
import java.sql.Timestamp;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.SmartLifecycle;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Component;
import org.springframework.transaction.support.TransactionTemplate;
import tools.jackson.databind.json.JsonMapper;

/**
 * Consumes {@code job.submitted} events and plans the job: lists the source, groups files into
 * tasks and dispatches them, all in one transaction together with the inbox record of the event.
 *
 * <p>Planning is at-least-once and its effect exactly once: a redelivered event finds its inbox
 * record (or the job past {@code PLANNING}) and is dropped; a crash after {@code SUBMITTED →
 * PLANNING} but before the tasks commit leaves the event uncommitted in Kafka, and the next
 * delivery plans the job again from {@code PLANNING}.
 */
@Component
public class Planner implements SmartLifecycle {
  public static final String CONSUMER = "planner";
  private static final Logger log = LoggerFactory.getLogger(Planner.class);
  private static final int LIST_PAGE = 1000;
  private static final int MAX_FAILURES = 5;
  private int failures;

  private final KafkaSupport kafka;
  private final JdbcClient db;
  private final TransactionTemplate tx;
  private final JobLifecycle lifecycle;
  private final TaskDispatcher dispatcher;
  private final EndpointService endpoints;
  private final Inbox inbox;
  private final JsonMapper json;
  private final Clock clock;
  private volatile boolean running;
  private Thread thread;
  private KafkaConsumer<String, String> consumer;

  public Planner(
      KafkaSupport kafka,
      JdbcClient db,
      TransactionTemplate tx,
      JobLifecycle lifecycle,
      TaskDispatcher dispatcher,
      EndpointService endpoints,
      Inbox inbox,
      JsonMapper json,
      Clock clock) {
    this.kafka = kafka;
    this.db = db;
    this.tx = tx;
    this.lifecycle = lifecycle;
    this.dispatcher = dispatcher;
    this.endpoints = endpoints;
    this.inbox = inbox;
    this.json = json;
    this.clock = clock;
  }

  @Override
  public synchronized void start() {
    consumer = kafka.consumer("ferry-planner");
    consumer.subscribe(List.of(Topics.JOBS));
    running = true;
    thread = new Thread(this::loop, "ferry-planner");
    thread.setDaemon(true);
    thread.start();
  }

  @Override
  public void stop() {
    running = false;
    if (consumer != null) {
      consumer.wakeup();
    }
    try {
      if (thread != null) {
        thread.join(15_000);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  @Override
  public boolean isRunning() {
    return running;
  }

  private void loop() {
    try (KafkaProducer<String, String> deadLetters = kafka.producer("ferry-planner-dlq")) {
      while (running) {
        for (ConsumerRecord<String, String> r : consumer.poll(Duration.ofSeconds(1))) {
          if (!handleWithRetry(r, deadLetters)) {
            break; // rewound to r; poll again after a pause
          }
        }
      }
    } catch (WakeupException e) {
      // stopping
    } catch (Exception e) {
      log.error("planner stopped; jobs stay SUBMITTED until it restarts", e);
    } finally {
      consumer.close(Duration.ofSeconds(5));
      running = false;
    }
  }

  /**
   * Handles one record and commits past it. On failure the consumer is rewound to the record and
   * the caller polls again after a pause; a record that fails {@value #MAX_FAILURES} times is
   * dead-lettered with the reason, so one bad event cannot stop planning for good.
   *
   * @return false when the record must be retried
   */
  private boolean handleWithRetry(
      ConsumerRecord<String, String> r, KafkaProducer<String, String> deadLetters) {
    TopicPartition tp = new TopicPartition(r.topic(), r.partition());
    try {
      handle(r, deadLetters);
      failures = 0;
    } catch (RuntimeException e) {
      if (++failures < MAX_FAILURES) {
        log.warn(
            "planning {} failed (try {} of {}); retrying: {}",
            r.key(),
            failures,
            MAX_FAILURES,
            e.toString());
        consumer.seek(tp, r.offset());
        pause();
        return false;
      }
      log.error("planning {} failed {} times; dead-lettered", r.key(), failures, e);
      deadLetter(deadLetters, r, "planning failed: " + e);
      failures = 0;
    }
    consumer.commitSync(Map.of(tp, new OffsetAndMetadata(r.offset() + 1)));
    return true;
  }

  private static void pause() {
    try {
      Thread.sleep(1000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private void handle(ConsumerRecord<String, String> r, KafkaProducer<String, String> deadLetters) {
    Envelope event;
    try {
      event = json.readValue(r.value(), Envelope.class);
    } catch (RuntimeException e) {
      deadLetter(deadLetters, r, "not an event envelope: " + e.getMessage());
      return;
    }
    if (!EventTypes.JOB_SUBMITTED.equals(event.type())) {
      return;
    }
    if (!EventTypes.schemaV1(event.type()).equals(event.dataschema())) {
      deadLetter(deadLetters, r, "unknown schema version " + event.dataschema());
      return;
    }
    plan(UUID.fromString(event.data().get("jobId").asString()), event.id());
  }

  private void deadLetter(
      KafkaProducer<String, String> producer, ConsumerRecord<String, String> r, String reason) {
    log.warn("dead-lettering record {}-{}@{}: {}", r.topic(), r.partition(), r.offset(), reason);
    ProducerRecord<String, String> dl =
        new ProducerRecord<>(Topics.DEAD_LETTER, r.key(), r.value());
    dl.headers().add("ferry-reason", reason.getBytes(StandardCharsets.UTF_8));
    dl.headers().add("ferry-consumer", CONSUMER.getBytes(StandardCharsets.UTF_8));
    producer.send(dl);
  }

  /**
   * Plans one job for one delivery of its {@code job.submitted} event. Safe to call again with the
   * same event id: the second call does nothing.
   */
  public void plan(UUID jobId, String eventId) {
    Boolean go =
        tx.execute(
            s -> {
              if (alreadyApplied(eventId)) {
                return false;
              }
              var job = lifecycle.lock(jobId).orElse(null);
              if (job == null) {
                log.warn("job.submitted for unknown job {}; dropped", jobId);
                return false;
              }
              if (job.state() == JobState.SUBMITTED) {
                lifecycle.transition(job, JobState.PLANNING, Map.of());
                return true;
              }
              return job.state() == JobState.PLANNING;
            });
    if (!Boolean.TRUE.equals(go)) {
      return;
    }
    List<FileItem> files;
    try {
      files = listSource(jobId);
    } catch (RuntimeException e) {
      tx.executeWithoutResult(
          s -> {
            var job = lifecycle.lock(jobId).orElseThrow();
            if (job.state() != JobState.PLANNING || !inbox.firstDelivery(CONSUMER, eventId)) {
              return;
            }
            String error =
                json.writeValueAsString(
                    Map.of(
                        "at",
                        clock.instant().toString(),
                        "errorClass",
                        "planning",
                        "message",
                        "cannot list the source: " + e.getMessage()));
            db.sql("UPDATE jobs SET first_error = ?::jsonb, last_error = ?::jsonb WHERE id = ?")
                .params(error, error, jobId)
                .update();
            lifecycle.transition(
                job, JobState.FAILED, Map.of("reason", String.valueOf(e.getMessage())));
          });
      return;
    }
    tx.executeWithoutResult(
        s -> {
          var job = lifecycle.lock(jobId).orElseThrow();
          if (job.state() != JobState.PLANNING || !inbox.firstDelivery(CONSUMER, eventId)) {
            return;
          }
          List<TaskDispatcher.NewTask> tasks = dispatcher.group(files);
          long bytes = files.stream().mapToLong(FileItem::size).sum();
          db.sql("UPDATE jobs SET files_total = ?, bytes_total = ?, updated_at = ? WHERE id = ?")
              .params(files.size(), bytes, Timestamp.from(clock.instant()), jobId)
              .update();
          lifecycle.record(
              jobId,
              "planned",
              Map.of("files", files.size(), "bytes", bytes, "tasks", tasks.size()));
          if (tasks.isEmpty()) {
            lifecycle.transition(job, JobState.SUCCEEDED, Map.of("reason", "nothing to transfer"));
            return;
          }
          dispatcher.insertAndDispatch(job, tasks);
          lifecycle.transition(job, JobState.RUNNING, Map.of("tasks", tasks.size()));
        });
  }

  private boolean alreadyApplied(String eventId) {
    return db.sql("SELECT count(*) FROM inbox WHERE consumer = ? AND event_id = ?")
            .params(CONSUMER, eventId)
            .query(Long.class)
            .single()
        > 0;
  }

  /** Lists the job's source: every file below its path, mapped to its destination path. */
  private List<FileItem> listSource(UUID jobId) {
    record Paths(UUID source, String sourcePath, String destPath) {}
    Paths p =
        db.sql("SELECT source_endpoint, source_path, dest_path FROM jobs WHERE id = ?")
            .param(jobId)
            .query(
                (rs, i) -> new Paths(rs.getObject(1, UUID.class), rs.getString(2), rs.getString(3)))
            .single();
    return listFiles(endpoints.reference(p.source()), p.sourcePath(), p.destPath());
  }

  /**
   * Every file below {@code sourcePath} of an endpoint, in path order, each with its destination
   * path below {@code destPath}.
   */
  public static List<FileItem> listFiles(EndpointRef ref, String sourcePath, String destPath) {
    List<FileItem> files = new ArrayList<>();
    try (StorageEndpoint source = StorageEndpoints.open(ref.uri(), ref.credentials())) {
      String token = null;
      do {
        ListPage page = source.list(sourcePath.isEmpty() ? null : sourcePath, token, LIST_PAGE);
        for (StorageEntry e : page.entries()) {
          files.add(
              new FileItem(e.path(), destinationOf(e.path(), sourcePath, destPath), e.size()));
        }
        token = page.nextPageToken();
      } while (token != null);
    }
    return files;
  }

  /**
   * Where a listed file goes: its path below the source path, placed below the destination path; a
   * source path naming a single file places that file, by name, below the destination path.
   */
  static String destinationOf(String file, String sourcePath, String destPath) {
    String relative;
    if (sourcePath.isEmpty()) {
      relative = file;
    } else if (file.equals(sourcePath)) {
      int slash = file.lastIndexOf('/');
      relative = slash < 0 ? file : file.substring(slash + 1);
    } else {
      relative = file.substring(sourcePath.length() + 1);
    }
    return destPath.isEmpty() ? relative : destPath + "/" + relative;
  }
}
