package dev.ferry.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

class ServerOptionsTest {

  private static ServerOptions parse(String... args) {
    ServerCommand cmd = new ServerCommand();
    new CommandLine(cmd).parseArgs(args);
    return cmd.options;
  }

  @Test
  void shouldParseTheTelemetryWindowAndDeriveAGraceThatFitsIt() {
    ServerOptions o = parse("--telemetry-window", "10s");
    assertThat(o.telemetryWindow()).isEqualTo(Duration.ofSeconds(10));
    assertThat(o.telemetryGrace()).isEqualTo(Duration.ofSeconds(5));
    o.validate();

    ServerOptions big = parse("--telemetry-window", "5m");
    assertThat(big.telemetryGrace()).isEqualTo(Duration.ofSeconds(30));

    ServerOptions both = parse("--telemetry-window", "PT20S", "--telemetry-grace", "1500ms");
    assertThat(both.telemetryWindow()).isEqualTo(Duration.ofSeconds(20));
    assertThat(both.telemetryGrace()).isEqualTo(Duration.ofMillis(1500));

    ServerOptions none = parse();
    assertThat(none.telemetryWindow()).isNull();
    assertThat(none.telemetryGrace()).isNull();
    none.validate();
  }

  @Test
  void shouldRejectAGraceAsLongAsTheWindowBeforeStartingAnything() {
    ServerOptions o = parse("--telemetry-window", "10s", "--telemetry-grace", "10s");
    assertThatThrownBy(o::validate)
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("--telemetry-window/--telemetry-grace: grace must be");
  }

  @Test
  void shouldReportAnUnreadableDurationOnOneLine() {
    StringWriter err = new StringWriter();
    int exit =
        FerryMain.execute(
            new PrintWriter(new StringWriter(), true),
            new PrintWriter(err, true),
            "server",
            "--telemetry-window",
            "ten seconds");
    assertThat(exit).isEqualTo(2);
    assertThat(err.toString().strip())
        .startsWith("ferry: ")
        .contains("'ten seconds' is not a duration")
        .doesNotContain("\n");
  }
}
