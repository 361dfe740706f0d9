package dev.ferry.app;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ferry.model.Json;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

/** The CLI against a real embedded server: every command's happy path and its errors. */
class CliIT {
  private static FerryRuntime runtime;
  private static Path root;
  private static String token;

  record Run(int exit, String out, String err) {}

  static Run ferry(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    List<String> all = new ArrayList<>(List.of(args));
    if (!all.isEmpty() && !all.get(0).equals("completion") && !all.contains("--token")) {
      all.add("--url");
      all.add(runtime.baseUrl());
      all.add("--token");
      all.add(token);
    }
    int exit =
        FerryMain.execute(
            new PrintWriter(out, true), new PrintWriter(err, true), all.toArray(String[]::new));
    return new Run(exit, out.toString(), err.toString());
  }

  @BeforeAll
  static void start() throws Exception {
    root = Files.createTempDirectory("ferry-cli-it");
    ServerOptions options = new ServerOptions();
    options.dataDir = root.resolve("data");
    options.port = 0;
    runtime = FerryRuntime.start(options, true, new PrintStream(new ByteArrayOutputStream()));
    String admin = Files.readString(options.dataDir.resolve("admin-token")).strip();
    StringWriter out = new StringWriter();
    // The root token may only create tenants; do that through the API client directly.
    JsonNode tenant =
        new dev.ferry.app.cli.ApiClient(runtime.baseUrl(), admin)
            .post("/api/v1/tenants", java.util.Map.of("name", "cli"));
    token = tenant.path("adminToken").path("token").asString();
    assertThat(out.toString()).isEmpty();
    for (int i = 0; i < 30; i++) {
      Path f = root.resolve("a/data/f" + i + ".txt");
      Files.createDirectories(f.getParent());
      Files.writeString(f, "file " + i + "\n".repeat(i));
    }
    Files.createDirectories(root.resolve("b"));
  }

  @AfterAll
  static void stop() {
    runtime.close();
  }

  @Test
  void shouldSetUpSitesAndEndpointsCopyAndShowTheJob() throws Exception {
    assertThat(ferry("sites", "add", "SITE_A").exit()).isZero();
    assertThat(ferry("sites", "add", "SITE_B").exit()).isZero();
    assertThat(ferry("sites").out()).contains("SITE_A", "SITE_B");
    assertThat(
            ferry(
                    "endpoints",
                    "add",
                    "a",
                    "--site",
                    "SITE_A",
                    "--uri",
                    root.resolve("a").toUri().toString())
                .exit())
        .isZero();
    assertThat(
            ferry(
                    "endpoints",
                    "add",
                    "b",
                    "--site",
                    "SITE_B",
                    "--uri",
                    root.resolve("b").toUri().toString())
                .exit())
        .isZero();

    Run cp = ferry("cp", "a:data", "b:copy");
    assertThat(cp.exit()).as(cp.err()).isZero();
    assertThat(cp.out()).contains("SUCCEEDED", "files 30/30");
    for (int i = 0; i < 30; i++) {
      assertThat(Files.readString(root.resolve("b/copy/f" + i + ".txt")))
          .isEqualTo("file " + i + "\n".repeat(i));
    }

    Run ls = ferry("jobs", "ls", "-o", "json");
    JsonNode page = Json.mapper().readTree(ls.out());
    String id = page.path("items").get(0).path("id").asString();
    assertThat(ferry("jobs", "ls").out()).contains(id, "SUCCEEDED");
    assertThat(ferry("jobs", "show", id).out()).contains("state        SUCCEEDED", "a:data");
    assertThat(ferry("jobs", "files", id).out()).contains("data/f7.txt", "SUCCEEDED");
    assertThat(ferry("jobs", "watch", id).exit()).isZero();

    Run links =
        org.awaitility.Awaitility.await("link totals")
            .atMost(java.time.Duration.ofMinutes(2))
            .pollInterval(java.time.Duration.ofMillis(200))
            .until(() -> ferry("links"), r -> r.out().contains("SITE_A -> SITE_B"));
    assertThat(links.out()).as(links.err()).contains("SITE_A -> SITE_B");

    Run sync = ferry("sync", "a:data", "b:copy", "--detach");
    assertThat(sync.exit()).isZero();
    assertThat(sync.out().strip()).matches("[0-9a-f-]{36}");

    Run viewer = ferry("tokens", "add", "ro", "--role", "viewer");
    assertThat(viewer.out().strip()).startsWith("ferry_");
    Run denied =
        ferry("cp", "a:data", "b:x", "--token", viewer.out().strip(), "--url", runtime.baseUrl());
    assertThat(denied.exit()).isEqualTo(1);
    assertThat(denied.err().strip()).startsWith("ferry: forbidden: ").doesNotContain("\n");
  }

  @Test
  void shouldFailWithOneClearLineAndANonZeroExit() {
    Run missing = ferry("jobs", "show", "00000000-0000-0000-0000-000000000000");
    assertThat(missing.exit()).isEqualTo(1);
    assertThat(missing.err().strip())
        .isEqualTo(
            "ferry: not found: job 00000000-0000-0000-0000-000000000000 does not exist (HTTP 404)");

    Run badArg = ferry("cp", "nocolon", "b:x");
    assertThat(badArg.exit()).isEqualTo(2);
    assertThat(badArg.err().strip()).startsWith("ferry: SRC 'nocolon' must be endpoint:path");

    Run unknown = ferry("jobs", "frobnicate");
    assertThat(unknown.exit()).isEqualTo(2);
    assertThat(unknown.err().lines().count()).isEqualTo(1);

    Run down = ferry("jobs", "ls", "--url", "http://127.0.0.1:1", "--token", "ferry_x");
    assertThat(down.exit()).isEqualTo(1);
    assertThat(down.err().strip())
        .isEqualTo("ferry: cannot reach Ferry at http://127.0.0.1:1 (connection refused)");

    Run completion = ferry("completion");
    assertThat(completion.exit()).isZero();
    assertThat(completion.out()).contains("complete", "ferry");
  }
}
