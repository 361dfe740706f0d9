package dev.ferry.control.outbox;

import dev.ferry.control.FerryProperties;
import dev.ferry.model.event.Topics;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Component;

/** Kafka clients for the control plane, and creation of Ferry's topics at start. */
@Component
public class KafkaSupport implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(KafkaSupport.class);
  private final FerryProperties.Kafka config;
  private final Admin admin;

  public KafkaSupport(FerryProperties properties) {
    this.config = properties.kafka();
    Properties p = new Properties();
    p.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, config.bootstrapServers());
    p.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, 10_000);
    p.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 15_000);
    this.admin = Admin.create(p);
  }

  public Admin admin() {
    return admin;
  }

  /** Creates Ferry's topics when missing; waits for the broker up to 60 s. */
  public void ensureTopics() {
    try {
      int brokers = admin.describeCluster().nodes().get(60, TimeUnit.SECONDS).size();
      short rf =
          (short)
              (config.replicationFactor() > 0 ? config.replicationFactor() : Math.min(3, brokers));
      Set<String> existing = admin.listTopics().names().get(30, TimeUnit.SECONDS);
      List<NewTopic> missing =
          Topics.ALL.stream()
              .filter(t -> !existing.contains(t))
              .map(t -> new NewTopic(t, config.partitions(), rf))
              .toList();
      if (missing.isEmpty()) {
        return;
      }
      try {
        admin.createTopics(missing).all().get(30, TimeUnit.SECONDS);
        log.info("created Kafka topics {}", missing.stream().map(NewTopic::name).toList());
      } catch (ExecutionException e) {
        if (!(e.getCause() instanceof TopicExistsException)) {
          throw e;
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while creating Kafka topics", e);
    } catch (ExecutionException | TimeoutException e) {
      throw new IllegalStateException(
          "cannot create Kafka topics on " + config.bootstrapServers() + ": " + e, e);
    }
  }

  /** An idempotent producer ({@code acks=all}), so a retried send is written once per session. */
  public KafkaProducer<String, String> producer(String clientId) {
    Map<String, Object> p = new HashMap<>();
    p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, config.bootstrapServers());
    p.put(ProducerConfig.CLIENT_ID_CONFIG, clientId);
    p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
    p.put(ProducerConfig.ACKS_CONFIG, "all");
    p.put(ProducerConfig.LINGER_MS_CONFIG, 1);
    p.put(ProducerConfig.MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION, 5);
    return new KafkaProducer<>(p, new StringSerializer(), new StringSerializer());
  }

  /** A consumer with manual commits that reads only committed records. */
  public KafkaConsumer<String, String> consumer(String groupId) {
    Map<String, Object> p = new HashMap<>();
    p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, config.bootstrapServers());
    p.put(ConsumerConfig.GROUP_ID_CONFIG, groupId);
    p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
    p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    p.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 100);
    return new KafkaConsumer<>(p, new StringDeserializer(), new StringDeserializer());
  }

  public String bootstrapServers() {
    return config.bootstrapServers();
  }

  @Override
  public void close() {
    admin.close();
  }
}
