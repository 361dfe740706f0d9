package dev.ferry.control;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ferry.control.jobs.Planner;
import dev.ferry.control.outbox.Outbox;
import dev.ferry.control.outbox.OutboxRelay;
import dev.ferry.model.event.Envelope;
import dev.ferry.model.event.EventTypes;
import dev.ferry.model.event.Topics;
import dev.ferry.testsupport.SharedKafka;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.UUID;
import java.util.function.Predicate;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.junit.jupiter.api.Test;
import org.springframework.transaction.support.TransactionTemplate;

class OutboxIT {
  private final Harness h = Harness.get();

  @Test
  void shouldPublishEveryCommittedEventAndNothingFromARolledBackTransaction() {
    TransactionTemplate tx = h.bean(TransactionTemplate.class);
    Outbox outbox = h.bean(Outbox.class);
    String key = "outbox-it-" + UUID.randomUUID();
    List<String> committed = new ArrayList<>();
    String[] rolledBack = new String[1];
    tx.executeWithoutResult(
        s -> {
          rolledBack[0] =
              outbox
                  .append(Topics.JOBS, key, "dev.ferry.test.rolled-back", null, key, Map.of())
                  .id();
          s.setRollbackOnly();
        });
    for (int i = 0; i < 50; i++) {
      int n = i;
      committed.add(
          tx.execute(
              s ->
                  outbox
                      .append(
                          Topics.JOBS, key, "dev.ferry.test.committed", null, key, Map.of("n", n))
                      .id()));
    }
    List<Envelope> seen = readUntil(Topics.JOBS, key, got -> got.size() >= 50);
    assertThat(seen).extracting(Envelope::id).containsExactlyElementsOf(committed);
    assertThat(seen).extracting(Envelope::id).doesNotContain(rolledBack[0]);
    assertThat(seen).extracting(e -> e.data().get("n").asInt()).isSorted();
    assertThat(
            h.db()
                .sql("SELECT count(*) FROM outbox WHERE event_id = ?::uuid")
                .param(rolledBack[0])
                .query(Long.class)
                .single())
        .isZero();
  }

  @Test
  void shouldDeliverDuplicatesAfterARelayCrashBetweenPublishAndMarkAndPlanOnce() throws Exception {
    OutboxRelay relay = h.bean(OutboxRelay.class);
    Harness.Tenant t = h.tenant("relay");
    t.files("in", 5, 10);
    relay.stop();
    UUID job;
    try {
      job = t.submit("in", "out");
      assertThat(relay.relayOnce(OutboxRelay.Round.PUBLISH_ONLY)).isPositive();
      relay.releaseLock(); // the relay "crashes": its rows stay unmarked
      assertThat(relay.relayOnce(OutboxRelay.Round.PUBLISH_AND_MARK)).isPositive();
    } finally {
      relay.start();
    }
    String submitted =
        h.db()
            .sql("SELECT event_id::text FROM outbox WHERE event_key = ? AND payload LIKE ?")
            .params(job.toString(), "%" + EventTypes.JOB_SUBMITTED + "%")
            .query(String.class)
            .single();
    List<Envelope> deliveries =
        readUntil(
            Topics.JOBS,
            job.toString(),
            got -> got.stream().filter(e -> e.id().equals(submitted)).count() >= 2);
    assertThat(deliveries).filteredOn(e -> e.id().equals(submitted)).hasSize(2);

    Harness.await("job planned", Duration.ofSeconds(30), () -> t.state(job).equals("RUNNING"));
    awaitPlannerCaughtUp();
    assertThat(history(job, "planned")).isEqualTo(1);
    assertThat(history(job, "state:PLANNING")).isEqualTo(1);
    assertThat(
            h.db()
                .sql("SELECT count(*) FROM tasks WHERE job_id = ?")
                .param(job)
                .query(Long.class)
                .single())
        .isEqualTo(1);
    assertThat(
            h.db()
                .sql("SELECT count(*) FROM inbox WHERE consumer = ? AND event_id = ?")
                .params(Planner.CONSUMER, submitted)
                .query(Long.class)
                .single())
        .isEqualTo(1);
  }

  private long history(UUID job, String type) {
    return h.db()
        .sql("SELECT count(*) FROM job_events WHERE job_id = ? AND type = ?")
        .params(job, type)
        .query(Long.class)
        .single();
  }

  /** Reads a topic from the beginning until the events with {@code key} satisfy {@code done}. */
  private List<Envelope> readUntil(String topic, String key, Predicate<List<Envelope>> done) {
    Map<String, Object> p = new HashMap<>();
    p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, SharedKafka.bootstrapServers());
    p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    List<Envelope> got = new ArrayList<>();
    try (KafkaConsumer<String, String> c =
        new KafkaConsumer<>(p, new StringDeserializer(), new StringDeserializer())) {
      List<TopicPartition> parts =
          c.partitionsFor(topic).stream()
              .map(i -> new TopicPartition(topic, i.partition()))
              .toList();
      c.assign(parts);
      c.seekToBeginning(parts);
      long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
      while (!done.test(got)) {
        if (System.nanoTime() > deadline) {
          throw new AssertionError(
              "timed out reading " + topic + " for " + key + "; got " + got.size());
        }
        for (ConsumerRecord<String, String> r : c.poll(Duration.ofMillis(200))) {
          if (key.equals(r.key())) {
            got.add(h.json.readValue(r.value(), Envelope.class));
          }
        }
      }
    }
    return got;
  }

  /** Waits until the planner's committed offsets reach the end of {@code ferry.jobs}. */
  private void awaitPlannerCaughtUp() {
    Properties p = new Properties();
    p.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, SharedKafka.bootstrapServers());
    try (Admin admin = Admin.create(p)) {
      Harness.await(
          "planner caught up",
          Duration.ofSeconds(30),
          () -> {
            try {
              Map<TopicPartition, OffsetAndMetadata> committed =
                  admin
                      .listConsumerGroupOffsets("ferry-planner")
                      .partitionsToOffsetAndMetadata()
                      .get();
              Set<TopicPartition> parts =
                  Set.copyOf(
                      admin
                          .describeTopics(List.of(Topics.JOBS))
                          .allTopicNames()
                          .get()
                          .get(Topics.JOBS)
                          .partitions()
                          .stream()
                          .map(i -> new TopicPartition(Topics.JOBS, i.partition()))
                          .toList());
              Map<TopicPartition, OffsetSpec> latest = new HashMap<>();
              parts.forEach(tp -> latest.put(tp, OffsetSpec.latest()));
              var ends = admin.listOffsets(latest).all().get();
              return parts.stream()
                  .allMatch(
                      tp ->
                          ends.get(tp).offset() == 0
                              || (committed.get(tp) != null
                                  && committed.get(tp).offset() >= ends.get(tp).offset()));
            } catch (Exception e) {
              throw new IllegalStateException(e);
            }
          });
    }
  }
}
