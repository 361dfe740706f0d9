package dev.ferry.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.chrome.ChromeDriver;

/**
 * {@code ferry demo --headless} as CI runs it, in its own JVM from the packaged jar (Failsafe runs
 * after {@code package}): embedded PostgreSQL and Kafka, the SFTP and S3 servers, the workload, the
 * fault on SITE_A → SITE_B, and the expectations. A compressed timeline: 3 minutes of workload, the
 * fault after 100 s, at 24 jobs a minute so that the A → B link has traffic in most 10-second
 * telemetry windows.
 *
 * <p>While it runs, headless Chromium signs in to the console the demo printed and waits for the
 * demo's four links on the overview ({@code target/demo-screenshots/demo-overview.png}).
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
    try {
      if (HeadlessChromium.available()) {
        consoleShowsTheDemo(p, log, tmp);
      }
    } catch (Throwable t) {
      p.destroy();
      throw t;
    }
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

  /**
   * While the scenario runs: the console the demo printed, signed in with the admin token it
   * printed, shows the demo's four links (A → B, A → C, B → C, C → A) on the overview and its map.
   * The screenshot is kept in {@code target/demo-screenshots/}.
   */
  private static void consoleShowsTheDemo(Process p, Path log, Path tmp) throws Exception {
    List<String> out =
        await("the demo's ready line")
            .atMost(Duration.ofMinutes(6))
            .pollInterval(Duration.ofMillis(500))
            .until(
                () -> lines(log),
                l -> !p.isAlive() || l.stream().anyMatch(x -> x.startsWith(DemoCommand.READY)));
    assertThat(p.isAlive()).as("the demo is running; output in " + log).isTrue();
    // "  export FERRY_URL=http://… FERRY_TOKEN=ferry_…": the tenant's, not the root's, token
    String[] export = printed(out, "  export FERRY_URL=").split(" FERRY_TOKEN=");
    String console = export[0] + "/";
    String token = export[1];
    Path shots = Files.createDirectories(Path.of("target", "demo-screenshots"));
    ChromeDriver browser = HeadlessChromium.start(tmp.resolve("chromium-profile"));
    try {
      browser.get(console);
      await("the token field")
          .atMost(Duration.ofSeconds(30))
          .ignoreExceptions()
          .until(() -> browser.findElement(By.id("token")).isDisplayed());
      browser.findElement(By.id("token")).sendKeys(token);
      browser.findElement(By.id("sign-in")).click();
      List<String> links =
          List.of("SITE_A → SITE_B", "SITE_A → SITE_C", "SITE_B → SITE_C", "SITE_C → SITE_A");
      await("the demo's links on the overview")
          .atMost(Duration.ofMinutes(3))
          .pollInterval(Duration.ofSeconds(1))
          .ignoreExceptions()
          .until(
              () -> browser.findElement(By.tagName("main")).getText(),
              t -> links.stream().allMatch(t::contains));
      assertThat(browser.findElements(By.cssSelector("svg.linkmap a.link")))
          .as("the link map")
          .hasSize(links.size());
      Files.write(shots.resolve("demo-overview.png"), browser.getScreenshotAs(OutputType.BYTES));
    } finally {
      browser.quit();
    }
  }

  private static String printed(List<String> out, String prefix) {
    return out.stream()
        .filter(l -> l.startsWith(prefix))
        .map(l -> l.substring(prefix.length()).strip())
        .findFirst()
        .orElseThrow(() -> new AssertionError("the demo printed no line " + prefix.strip()));
  }

  private static List<String> lines(Path log) throws IOException {
    return Files.exists(log) ? Files.readAllLines(log, StandardCharsets.UTF_8) : List.of();
  }
}
