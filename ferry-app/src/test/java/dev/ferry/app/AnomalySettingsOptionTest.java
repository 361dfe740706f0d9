package dev.ferry.app;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ferry.telemetry.anomaly.AnomalyOptions;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** {@code ferry server --anomaly SETTING=VALUE}: checked at parse time, applied as properties. */
class AnomalySettingsOptionTest {

  @AfterEach
  void clearProperties() {
    AnomalyOptions.SETTINGS.forEach(k -> System.clearProperty(AnomalyOptions.PREFIX + k));
  }

  @Test
  void shouldApplySettingsAsTheRuntimeReadsThem() {
    CommandLine.populateCommand(
        new ServerCommand(), "--anomaly", "throughput-drop=4", "--anomaly", "warm-up-windows=20");

    Map<String, String> properties = new HashMap<>();
    System.getProperties().forEach((k, v) -> properties.put(k.toString(), v.toString()));
    assertThat(AnomalyOptions.fromProperties(properties))
        .isEqualTo(AnomalyOptions.defaults().withThroughputDrop(4).withWarmUpWindows(20));
  }

  @Test
  void shouldRejectAMisspeltSettingInOneLineBeforeStartingAnything() {
    StringWriter err = new StringWriter();
    int code =
        FerryMain.execute(
            new PrintWriter(new StringWriter()),
            new PrintWriter(err, true),
            "server",
            "--anomaly",
            "throughput-dorp=4");

    assertThat(code).isEqualTo(2);
    assertThat(err.toString().strip())
        .startsWith(
            "ferry: --anomaly: unknown anomaly detection setting"
                + " ferry.telemetry.anomaly.throughput-dorp (known: enabled, ")
        .doesNotContain("\n");
    assertThat(System.getProperty(AnomalyOptions.PREFIX + "throughput-dorp")).isNull();
  }

  @Test
  void shouldRejectAValueOutOfRange() {
    StringWriter err = new StringWriter();
    int code =
        FerryMain.execute(
            new PrintWriter(new StringWriter()),
            new PrintWriter(err, true),
            "server",
            "--anomaly",
            "throughput-drop=0.5");

    assertThat(code).isEqualTo(2);
    assertThat(err.toString()).contains("throughputDrop must be 1 to 100, got 0.5");
    assertThat(System.getProperty(AnomalyOptions.PREFIX + "throughput-drop")).isNull();
  }
}
