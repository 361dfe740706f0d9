package dev.ferry.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.abort;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.yaml.snakeyaml.DumperOptions;
import org.yaml.snakeyaml.Yaml;

/**
 * Runs Prometheus's own checker over {@code deploy/prometheus}: {@code promtool check rules} on the
 * alert rules, {@code promtool test rules} on their unit tests (every alert firing and not firing),
 * and every Grafana dashboard expression through promtool's PromQL parser.
 *
 * <p>Needs {@code promtool} on the PATH (Debian: {@code apt-get install prometheus}). Without it
 * the tests are skipped, unless {@code FERRY_REQUIRE_PROMTOOL=1} (as in CI), where they fail.
 */
class PrometheusRulesTest {
  private static final Path RULES_DIR = DeployManifestsTest.DEPLOY.resolve("prometheus");
  private static String promtool;

  @BeforeAll
  static void findPromtool() {
    for (String dir : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
      Path candidate = Path.of(dir.isEmpty() ? "." : dir, "promtool");
      if (Files.isRegularFile(candidate) && Files.isExecutable(candidate)) {
        promtool = candidate.toString();
        return;
      }
    }
    if ("1".equals(System.getenv("FERRY_REQUIRE_PROMTOOL"))) {
      fail(
          "promtool is not on the PATH and FERRY_REQUIRE_PROMTOOL=1: install it"
              + " (Debian: apt-get install prometheus)");
    }
    abort(
        "promtool is not on the PATH: skipping the Prometheus rule tests (Debian: apt-get install"
            + " prometheus; FERRY_REQUIRE_PROMTOOL=1 turns this skip into a failure)");
  }

  @Test
  void shouldPassPromtoolsRuleCheck() throws Exception {
    Result r = promtool(RULES_DIR, "check", "rules", "alerts.yml");
    assertThat(r.exit()).as(r.output()).isZero();
    assertThat(r.output()).contains("SUCCESS: 4 rules found");
  }

  @Test
  void shouldFireAndStayQuietExactlyAsTheRuleTestsExpect() throws Exception {
    Result r = promtool(RULES_DIR, "test", "rules", "alerts_test.yml");
    assertThat(r.exit()).as(r.output()).isZero();
    assertThat(r.output()).contains("SUCCESS");
  }

  /** Guards the guard: a rule that no longer matches its tests must make promtool fail. */
  @Test
  void shouldFailTheRuleTestsWhenAThresholdChanges(@TempDir Path dir) throws Exception {
    String rules = Files.readString(RULES_DIR.resolve("alerts.yml"));
    assertThat(rules).contains(") > 0.10");
    Files.writeString(dir.resolve("alerts.yml"), rules.replace(") > 0.10", ") > 0.90"));
    Files.copy(RULES_DIR.resolve("alerts_test.yml"), dir.resolve("alerts_test.yml"));
    Result r = promtool(dir, "test", "rules", "alerts_test.yml");
    assertThat(r.exit()).as(r.output()).isNotZero();
    assertThat(r.output()).contains("FerryLinkFailureRatioHigh");
  }

  /**
   * Grafana's variables are replaced by values of the same kind ({@code $__rate_interval} by a
   * duration, the others inside label matchers by a string), and each expression becomes a
   * recording rule that promtool parses.
   */
  @Test
  void shouldWriteEveryDashboardQueryInValidPromQl(@TempDir Path dir) throws Exception {
    List<Map<String, Object>> rules = new ArrayList<>();
    DeployManifestsTest.dashboardExpressions()
        .forEach(
            (file, exprs) -> {
              for (String expr : exprs) {
                if (expr.startsWith("label_values(")) {
                  continue; // a Grafana function, not PromQL; its metric is checked elsewhere
                }
                String promql =
                    expr.replace("$__rate_interval", "5m").replaceAll("\\$\\{?\\w+}?", "x");
                rules.add(
                    Map.of(
                        "record",
                        "dashboard:" + file.replaceAll("\\W", "_") + ":" + rules.size(),
                        "expr",
                        promql));
              }
            });
    assertThat(rules).hasSizeGreaterThan(20);
    DumperOptions options = new DumperOptions();
    options.setDefaultFlowStyle(DumperOptions.FlowStyle.BLOCK);
    Files.writeString(
        dir.resolve("dashboards.yml"),
        new Yaml(options)
            .dump(Map.of("groups", List.of(Map.of("name", "dashboards", "rules", rules)))));
    Result r = promtool(dir, "check", "rules", "dashboards.yml");
    assertThat(r.exit()).as(r.output()).isZero();
    assertThat(r.output()).contains("SUCCESS: " + rules.size() + " rules found");
  }

  private record Result(int exit, String output) {}

  private static Result promtool(Path workDir, String... args)
      throws IOException, InterruptedException {
    List<String> command = new ArrayList<>();
    command.add(promtool);
    command.addAll(List.of(args));
    Process p =
        new ProcessBuilder(command).directory(workDir.toFile()).redirectErrorStream(true).start();
    p.getOutputStream().close();
    byte[] out = p.getInputStream().readAllBytes();
    if (!p.waitFor(60, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      fail("promtool " + String.join(" ", args) + " did not finish in 60 s");
    }
    String output = new String(out, StandardCharsets.UTF_8);
    return new Result(p.exitValue(), "promtool " + String.join(" ", args) + "\n" + output);
  }
}
