package dev.ferry.telemetry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ferry.telemetry.streams.TransferTopology;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class TelemetryConfigTest {
  private static TelemetryConfig.Builder valid() {
    return TelemetryConfig.builder().bootstrapServers("127.0.0.1:9092").stateDir(Path.of("state"));
  }

  @Test
  void shouldDefaultToTheFerryApplicationAndTopics() {
    TelemetryConfig c = valid().build();

    assertThat(c.applicationId()).isEqualTo("ferry-telemetry");
    assertThat(c.topology().inputTopic()).isEqualTo("ferry.transfers");
    assertThat(c.topology().deadLetterTopic()).isEqualTo("ferry.dead-letter");
    assertThat(c.topology().linkStatsTopic()).isNull();
    assertThat(c.topology().dedupRetention()).isEqualTo(Duration.ofHours(1));
    assertThat(c.streamThreads()).isEqualTo(1);
  }

  @Test
  void shouldRejectWhatWouldBreakExactlyOnceOrTheStateLayout() {
    assertThatThrownBy(() -> valid().kafkaProperty("processing.guarantee", "at_least_once").build())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("processing.guarantee");
    assertThatThrownBy(() -> valid().kafkaProperty("state.dir", "/tmp/x").build())
        .hasMessageContaining("state.dir");
    assertThatThrownBy(() -> valid().bootstrapServers(" ").build())
        .hasMessageContaining("bootstrapServers");
    assertThatThrownBy(() -> valid().stateDir(null).build()).hasMessageContaining("stateDir");
    assertThatThrownBy(() -> valid().applicationId("a b").build())
        .hasMessageContaining("applicationId");
    assertThatThrownBy(() -> valid().applicationServer("nohostport").build())
        .hasMessageContaining("applicationServer");
    assertThatThrownBy(() -> valid().streamThreads(0).build())
        .hasMessageContaining("streamThreads");
  }

  @Test
  void shouldRejectAWindowRetentionShorterThanWindowAndGrace() {
    assertThatThrownBy(
            () -> TransferTopology.Options.defaults().withWindowRetention(Duration.ofSeconds(60)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("windowRetention must be at least PT1M30S");
    assertThatThrownBy(() -> TransferTopology.Options.defaults().withDedupRetention(Duration.ZERO))
        .hasMessageContaining("dedupRetention");
  }
}
