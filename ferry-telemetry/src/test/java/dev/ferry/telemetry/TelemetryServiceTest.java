package dev.ferry.telemetry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.ferry.telemetry.TelemetryService.Status;
import dev.ferry.telemetry.query.TelemetryUnavailableException;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The lifecycle without a broker: nothing listens on the bootstrap address. */
class TelemetryServiceTest {
  @TempDir Path stateDir;

  private TelemetryService service() {
    return new TelemetryService(
        TelemetryConfig.builder()
            .bootstrapServers("127.0.0.1:1")
            .stateDir(stateDir)
            .applicationId("telemetry-unit")
            .topicPollInterval(Duration.ofMillis(100))
            .closeTimeout(Duration.ofSeconds(10))
            .build());
  }

  @Test
  void shouldAnswerUnavailableAndExportNothingUntilRunning() {
    try (TelemetryService s = service()) {
      assertThat(s.status()).isEqualTo(Status.NEW);
      assertThatThrownBy(() -> s.queries().links())
          .isInstanceOf(TelemetryUnavailableException.class)
          .hasMessageContaining("NEW");
      assertThat(s.metricsCollector().collect()).isEmpty();
      assertThat(s.metricsCollector()).isSameAs(s.metricsCollector());
    }
  }

  @Test
  void shouldWaitForKafkaWithoutBlockingStartAndCloseQuickly() throws InterruptedException {
    TelemetryService s = service();
    s.start(); // returns although no broker answers: the starter thread waits for the topics
    assertThat(s.status()).isEqualTo(Status.WAITING_FOR_TOPICS);
    assertThat(s.awaitRunning(Duration.ofMillis(300))).isFalse();
    assertThatThrownBy(s::start).isInstanceOf(IllegalStateException.class);

    s.close();
    s.close(); // idempotent

    assertThat(s.status()).isEqualTo(Status.CLOSED);
    await().atMost(Duration.ofSeconds(10)).until(() -> !hasThread("telemetry-unit-starter"));
    assertThat(s.metricsCollector().collect()).isEmpty();
  }

  private static boolean hasThread(String name) {
    return Thread.getAllStackTraces().keySet().stream().anyMatch(t -> t.getName().equals(name));
  }
}
