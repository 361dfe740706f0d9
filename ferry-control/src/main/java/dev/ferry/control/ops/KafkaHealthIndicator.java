package dev.ferry.control.ops;

import dev.ferry.control.outbox.KafkaSupport;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.DescribeClusterOptions;
import org.springframework.boot.health.contributor.AbstractHealthIndicator;
import org.springframework.boot.health.contributor.Health;
import org.springframework.stereotype.Component;

/** Kafka is up when the cluster answers a describe within 3 seconds. Part of readiness. */
@Component("kafka")
public class KafkaHealthIndicator extends AbstractHealthIndicator {
  private final KafkaSupport kafka;

  public KafkaHealthIndicator(KafkaSupport kafka) {
    this.kafka = kafka;
  }

  @Override
  protected void doHealthCheck(Health.Builder builder) throws Exception {
    var cluster = kafka.admin().describeCluster(new DescribeClusterOptions().timeoutMs(3000));
    int nodes = cluster.nodes().get(3, TimeUnit.SECONDS).size();
    builder.up().withDetail("brokers", nodes).withDetail("bootstrap", kafka.bootstrapServers());
  }
}
