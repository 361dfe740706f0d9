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
    assertThatThrownBy(() -> valid().peerSecret("short").build())
        .hasMessageContaining("peerSecret must be at least 16 characters");
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

  @Test
  void shouldRejectAGraceNotShorterThanTheWindow() {
    assertThatThrownBy(
            () ->
                TransferTopology.Options.defaults()
                    .withWindow(Duration.ofSeconds(10), Duration.ofSeconds(10)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("grace must be at least 0 and less than the window size PT10S");
    assertThatThrownBy(
            () ->
                TransferTopology.Options.defaults()
                    .withWindow(Duration.ofSeconds(10), Duration.ofSeconds(-1)))
        .hasMessageContaining("grace");
    assertThatThrownBy(
            () ->
                TransferTopology.Options.defaults()
                    .withWindow(Duration.ofMillis(500), Duration.ZERO))
        .hasMessageContaining("windowSize must be at least 1 s");
    assertThatThrownBy(
            () ->
                TransferTopology.Options.defaults()
                    .withWindowRetention(Duration.ofHours(1))
                    .withWindow(Duration.ofHours(1), Duration.ofMinutes(1)))
        .hasMessageContaining("windowRetention must be at least PT1H1M");
  }

  @Test
  void shouldApplyTheBuildersWindowOnTopOfTheTopology() {
    TelemetryConfig c =
        valid()
            .window(Duration.ofSeconds(10), Duration.ofSeconds(2))
            .topology(TransferTopology.Options.defaults().withDedupRetention(Duration.ofMinutes(5)))
            .build();
    assertThat(c.topology().windowSize()).isEqualTo(Duration.ofSeconds(10));
    assertThat(c.topology().grace()).isEqualTo(Duration.ofSeconds(2));
    assertThat(c.topology().dedupRetention()).isEqualTo(Duration.ofMinutes(5));
    assertThat(valid().build().topology().windowSize()).isEqualTo(TransferTopology.WINDOW_SIZE);
    assertThat(valid().build().topology().grace()).isEqualTo(TransferTopology.GRACE);
  }
}
