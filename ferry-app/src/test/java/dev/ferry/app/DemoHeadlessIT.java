package dev.ferry.app;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code ferry demo --headless} as CI runs it, in its own JVM from the packaged jar (Failsafe runs
 * after {@code package}): embedded PostgreSQL and Kafka, the SFTP and S3 servers, the workload, the
 * fault on SITE_A → SITE_B, and the expectations. A compressed timeline: 3 minutes of workload, the
 * fault after 100 s, at 24 jobs a minute so that the A → B link has traffic in most 10-second
 * telemetry windows.
 *
 * <p>The demo's own output is the evidence: every expectation line must say {@code ok}, and the
 * exit code must be 0. The output is kept in {@code target/demo-headless.log}.
 *
 * <p>Part of the default build. "Nothing flagged on the healthy links" needs a detector whose
 * healthy-link false alarms are rare: a flag only counts when the window is also worse than the
 * link's usual beyond a bar (docs/anomalies.md), which took the rate from about 1 % of windows to
 * about 0.03 % in the scenarios.
 */
class DemoHeadlessIT {
  @Test
  void shouldRunTheScenarioHeadlessAndMeetEveryExpectation(@TempDir Path tmp) throws Exception {
    Path jar = Path.of("target", "ferry.jar").toAbsolutePath();
    assertThat(jar).as("the packaged jar (failsafe runs after package)").isRegularFile();
    Path log = Path.of("target", "demo-headless.log").toAbsolutePath();
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    cmd.add("-Xmx768m");
    // every scored window in the log (link, features, score, grade): if a healthy link is ever
    // flagged, target/demo-headless.log says which window and why
    cmd.add("-Dlogging.level.dev.ferry.telemetry.anomaly=DEBUG");
    cmd.addAll(
        List.of(
            "-jar",
            jar.toString(),
            "demo",
            "--headless",
            "--duration",
            "3m",
            "--fault-at",
            "100s",
            "--rate",
            "24",
            "--port",
            "0",
            "--data-dir",
            tmp.resolve("data").toString()));
    Process p =
        new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    boolean ended = p.waitFor(12, TimeUnit.MINUTES);
    if (!ended) {
      p.destroy();
      p.waitFor(1, TimeUnit.MINUTES);
    }
    List<String> out = lines(log);
    assertThat(ended).as("the demo ended within 12 minutes; output in " + log).isTrue();

    assertThat(out).as("console").anyMatch(l -> l.startsWith(DemoCommand.READY));
    assertThat(out)
        .as("the three sites")
        .anyMatch(l -> l.startsWith("  SITE_B  SFTP server"))
        .anyMatch(l -> l.startsWith("  SITE_C  S3 server"));
    assertThat(out)
        .as("the phases of the fault, one line each")
        .anyMatch(l -> l.contains("link SITE_A → SITE_B degraded: bandwidth capped"))
        .anyMatch(l -> l.contains("link SITE_A → SITE_B failing: connections reset"))
        .anyMatch(l -> l.contains("link SITE_A → SITE_B recovered: healthy"));
    assertThat(out).as("the commands to try").contains("  ./ferry links", "  ./ferry jobs ls");
    int from = out.indexOf("Scenario expectations:");
    assertThat(from).as("the summary is printed").isNotNegative();
    List<String> summary =
        out.subList(from + 1, out.size()).stream()
            .filter(l -> l.startsWith("  ok") || l.startsWith("  FAIL"))
            .toList();
    assertThat(summary)
        .as("expectations")
        .hasSize(6)
        .anyMatch(l -> l.startsWith("  ok    every job terminal"))
        .anyMatch(l -> l.startsWith("  ok    consistency ok"));
    assertThat(summary).as("every expectation held").allMatch(l -> l.startsWith("  ok"));
    assertThat(out).contains("ferry demo: every expectation held");
    assertThat(p.exitValue()).as("exit code").isZero();
  }

  private static List<String> lines(Path log) throws IOException {
    return Files.exists(log) ? Files.readAllLines(log, StandardCharsets.UTF_8) : List.of();
  }
}
