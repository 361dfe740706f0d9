package dev.ferry.testsupport;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ferry.embedded.EmbeddedKafkaBroker;
import java.util.Map;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

@ExtendWith(EmbeddedKafkaExtension.class)
class SharedKafkaTest {

  @Test
  void shouldHandOutOneRunningBroker(EmbeddedKafkaBroker injected) throws Exception {
    assertThat(injected).isSameAs(SharedKafka.instance());
    assertThat(SharedKafka.bootstrapServers()).startsWith("127.0.0.1:");

    injected.createTopics(Map.of("shared-kafka-test", 3));
    try (Admin admin =
        Admin.create(
            Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, SharedKafka.bootstrapServers()))) {
      assertThat(
              admin
                  .describeTopics(java.util.List.of("shared-kafka-test"))
                  .allTopicNames()
                  .get()
                  .get("shared-kafka-test")
                  .partitions())
          .hasSize(3);
    }
  }
}
