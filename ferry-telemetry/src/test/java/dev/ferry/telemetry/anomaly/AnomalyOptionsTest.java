package dev.ferry.telemetry.anomaly;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

class AnomalyOptionsTest {

  @Test
  void shouldReadOverridesFromProperties() {
    AnomalyOptions o =
        AnomalyOptions.fromProperties(
            Map.of(
                "ferry.telemetry.anomaly.warm-up-windows", "15",
                "ferry.telemetry.anomaly.sample-size", "128",
                "ferry.telemetry.anomaly.retention", "P1D",
                "ferry.telemetry.anomaly.enabled", "false",
                "unrelated", "x"));
    assertThat(o)
        .isEqualTo(
            AnomalyOptions.defaults()
                .withWarmUpWindows(15)
                .withSampleSize(128)
                .withRetention(Duration.ofDays(1))
                .withEnabled(false));
    assertThat(AnomalyOptions.fromProperties(Map.of())).isEqualTo(AnomalyOptions.defaults());
  }

  @Test
  void shouldNameTheSettingThatIsWrong() {
    assertThatThrownBy(() -> AnomalyOptions.defaults().withWarmUpWindows(3))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("warmUpWindows must be 8 to 1000, got 3");
    assertThatThrownBy(() -> AnomalyOptions.defaults().withGradeThreshold(0))
        .hasMessage("gradeThreshold must be in (0, 1], got 0.0");
    assertThatThrownBy(
            () ->
                AnomalyOptions.fromProperties(
                    Map.of("ferry.telemetry.anomaly.sample-size", "lots")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("ferry.telemetry.anomaly.*")
        .hasMessageContaining("lots");
  }

  @Test
  void shouldRejectAMisspeltSettingRatherThanIgnoreIt() {
    assertThatThrownBy(
            () ->
                AnomalyOptions.fromProperties(
                    Map.of("ferry.telemetry.anomaly.throughput-dorp", "4")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith(
            "unknown anomaly detection setting ferry.telemetry.anomaly.throughput-dorp (known:")
        .hasMessageContaining("throughput-drop");
    assertThat(
            AnomalyOptions.fromProperties(
                Map.of(
                    "ferry.telemetry.anomaly.throughput-drop", "4",
                    "ferry.telemetry.anomaly.duration-rise", "8",
                    "ferry.telemetry.anomaly.failure-rise", "0.2")))
        .isEqualTo(
            AnomalyOptions.defaults()
                .withThroughputDrop(4)
                .withDurationRise(8)
                .withFailureRise(0.2));
  }
}
