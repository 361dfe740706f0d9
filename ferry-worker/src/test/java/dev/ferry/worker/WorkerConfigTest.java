package dev.ferry.worker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ferry.model.webhook.WebhookSecret;
import java.security.SecureRandom;
import java.util.Map;
import org.junit.jupiter.api.Test;

class WorkerConfigTest {
  private static final WebhookSecret SECRET = WebhookSecret.generate(new SecureRandom());

  private static WorkerConfig.Builder builder() {
    return WorkerConfig.builder()
        .controlPlaneUrl("http://127.0.0.1:1")
        .kafkaBootstrapServers("127.0.0.1:9")
        .webhookSecret(SECRET);
  }

  @Test
  void shouldDefaultToPipelinedBatchesAndNoLinkLimitBeyondTheWorkers() {
    WorkerConfig config = builder().concurrency(6).build();

    assertThat(config.fileConcurrency()).isEqualTo(WorkerConfig.DEFAULT_FILE_CONCURRENCY);
    assertThat(config.defaultLinkConcurrency()).isEqualTo(6);
    assertThat(config.linkConcurrency()).isEmpty();
    assertThat(config.adaptiveConcurrency()).isFalse();
    assertThat(config.adaptiveSettings()).isEqualTo(AdaptiveConcurrency.Settings.DEFAULTS);
    assertThat(config.linkBandwidth()).isEmpty();
    assertThat(config.attemptTelemetry()).isTrue();
  }

  @Test
  void shouldKeepLinkSettings() {
    WorkerConfig config =
        builder()
            .linkConcurrency(Map.of("A->B", 3))
            .defaultLinkConcurrency(2)
            .adaptiveConcurrency(true)
            .linkBandwidth(Map.of("A->B", 1_000_000L))
            .build();

    assertThat(config.linkConcurrency()).containsExactly(Map.entry("A->B", 3));
    assertThat(config.defaultLinkConcurrency()).isEqualTo(2);
    assertThat(config.adaptiveConcurrency()).isTrue();
    assertThat(config.linkBandwidth()).containsExactly(Map.entry("A->B", 1_000_000L));
  }

  @Test
  void shouldRejectLinksThatAreNotSrcArrowDst() {
    for (String bad : new String[] {"SITE_A", "->B", "A->", "A->B->C", "A -> B"}) {
      assertThatThrownBy(() -> builder().linkConcurrency(Map.of(bad, 2)).build())
          .as(bad)
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("SRC->DST")
          .hasMessageContaining(bad);
    }
  }

  @Test
  void shouldRejectLimitsBelowOne() {
    assertThatThrownBy(() -> builder().linkConcurrency(Map.of("A->B", 0)).build())
        .hasMessageContaining("linkConcurrency of A->B must be at least 1, got 0");
    assertThatThrownBy(() -> builder().linkBandwidth(Map.of("A->B", 0L)).build())
        .hasMessageContaining("linkBandwidth of A->B");
    assertThatThrownBy(() -> builder().defaultLinkConcurrency(0).build())
        .hasMessageContaining("defaultLinkConcurrency");
    assertThatThrownBy(() -> builder().fileConcurrency(0).build())
        .hasMessageContaining("fileConcurrency must be 1 to 256, got 0");
  }
}
