package dev.ferry.app;

import dev.ferry.model.Json;
import java.io.IOException;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * {@code ferry demo}: the embedded runtime with every role, a demo tenant with two local sites, a
 * generated dataset, and one copy job watched to its end. Running it again reuses the tenant and
 * data and submits the next job.
 *
 * <p>This is the foundation's demo; the operators' issue replaces it with three sites (local, SFTP,
 * S3), a continuous workload and injected faults.
 */
@Command(
    name = "demo",
    mixinStandardHelpOptions = true,
    description = "Run Ferry with a demo tenant, two sites and a sample copy job.")
public final class DemoCommand implements Callable<Integer> {
  @Mixin ServerOptions options = new ServerOptions();

  @Option(
      names = "--headless",
      description = "Exit after the sample job: 0 when it succeeded with every file verified.")
  boolean headless;

  @Option(
      names = "--files",
      description = "Files in the generated dataset (default: ${DEFAULT-VALUE}).")
  int files = 200;

  private final JsonMapper json = Json.mapper();
  private final HttpClient http = HttpClient.newHttpClient();

  @Override
  public Integer call() throws Exception {
    PrintStream out = System.out;
    FerryRuntime runtime = FerryRuntime.start(options, true, out);
    String base = runtime.baseUrl();
    Path dataDir = options.dataDir.toAbsolutePath();
    String token = demoToken(base, dataDir);
    Path siteA = dataDir.resolve("demo/site-a");
    Path siteB = dataDir.resolve("demo/site-b");
    generateDataset(siteA.resolve("dataset"), files);
    Files.createDirectories(siteB);
    create(
        base,
        token,
        "/api/v1/sites",
        Map.of("name", "SITE_A", "description", "demo: local directory"));
    create(
        base,
        token,
        "/api/v1/sites",
        Map.of("name", "SITE_B", "description", "demo: second local directory"));
    create(
        base,
        token,
        "/api/v1/endpoints",
        Map.of("name", "a-files", "site", "SITE_A", "uri", siteA.toUri().toString()));
    create(
        base,
        token,
        "/api/v1/endpoints",
        Map.of("name", "b-files", "site", "SITE_B", "uri", siteB.toUri().toString()));
    String target = "copy-" + Instant.now().getEpochSecond();
    JsonNode job =
        send(
            base,
            token,
            "POST",
            "/api/v1/jobs",
            Map.of(
                "source", Map.of("endpoint", "a-files", "path", "dataset"),
                "destination", Map.of("endpoint", "b-files", "path", target),
                "checksum", "crc32c"));
    String id = job.get("id").asString();
    out.println("Submitted job " + id + ": a-files:dataset → b-files:" + target);
    JsonNode done = watch(base, token, id, out);
    String state = done.get("state").asString();
    out.println();
    out.println("Try:");
    out.println("  export FERRY_TOKEN=$(cat " + dataDir.resolve("demo-token") + ")");
    out.println(
        "  curl -s -H \"Authorization: Bearer $FERRY_TOKEN\" " + base + "/api/v1/jobs/" + id);
    out.println(
        "  curl -s -H \"Authorization: Bearer $FERRY_TOKEN\" "
            + base
            + "/api/v1/jobs/"
            + id
            + "/tasks");
    out.println("  curl -s " + base + "/metrics | grep ferry_");
    if (headless) {
      runtime.close();
      return "SUCCEEDED".equals(state) ? 0 : 1;
    }
    runtime.awaitShutdown();
    return 0;
  }

  private JsonNode watch(String base, String token, String id, PrintStream out) throws Exception {
    Instant deadline = Instant.now().plus(Duration.ofMinutes(10));
    while (Instant.now().isBefore(deadline)) {
      JsonNode job = send(base, token, "GET", "/api/v1/jobs/" + id, null);
      JsonNode files = job.get("progress").get("files");
      out.printf(
          "  %-20s files %d/%d done, %d failed%n",
          job.get("state").asString(),
          files.get("done").asLong() + files.get("skipped").asLong(),
          files.get("total").asLong(),
          files.get("failed").asLong());
      String state = job.get("state").asString();
      if (state.equals("SUCCEEDED")
          || state.equals("FAILED")
          || state.equals("CANCELLED")
          || state.equals("PARTIALLY_SUCCEEDED")) {
        return job;
      }
      Thread.sleep(500);
    }
    throw new IllegalStateException("job " + id + " did not finish within 10 minutes");
  }

  /** The demo tenant's admin token: made once, kept in {@code <data-dir>/demo-token}. */
  private String demoToken(String base, Path dataDir) throws Exception {
    Path file = dataDir.resolve("demo-token");
    if (Files.exists(file)) {
      return Files.readString(file).strip();
    }
    String root = Files.readString(dataDir.resolve("admin-token")).strip();
    JsonNode created =
        send(
            base,
            root,
            "POST",
            "/api/v1/tenants",
            Map.of("name", "demo-" + Instant.now().getEpochSecond()));
    String token = created.get("adminToken").get("token").asString();
    Files.writeString(file, token + "\n");
    Files.setPosixFilePermissions(
        file, java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
    return token;
  }

  private void create(String base, String token, String path, Map<String, Object> body)
      throws Exception {
    HttpResponse<String> r = request(base, token, "POST", path, body);
    if (r.statusCode() != 201 && r.statusCode() != 409) {
      throw new IllegalStateException(
          "POST " + path + " answered " + r.statusCode() + ": " + r.body());
    }
  }

  private JsonNode send(String base, String token, String method, String path, Object body)
      throws Exception {
    HttpResponse<String> r = request(base, token, method, path, body);
    if (r.statusCode() >= 300) {
      throw new IllegalStateException(
          method + " " + path + " answered " + r.statusCode() + ": " + r.body());
    }
    return json.readTree(r.body());
  }

  private HttpResponse<String> request(
      String base, String token, String method, String path, Object body)
      throws IOException, InterruptedException {
    HttpRequest.Builder b =
        HttpRequest.newBuilder(URI.create(base + path))
            .header("Authorization", "Bearer " + token)
            .header("Content-Type", "application/json");
    b.method(
        method,
        body == null
            ? HttpRequest.BodyPublishers.noBody()
            : HttpRequest.BodyPublishers.ofString(
                json.writeValueAsString(body), StandardCharsets.UTF_8));
    return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  /** Writes {@code count} files of 1 KiB–256 KiB in nested folders, once. */
  static void generateDataset(Path dir, int count) throws IOException {
    if (Files.isDirectory(dir)) {
      return;
    }
    Path tmp = dir.resolveSibling(dir.getFileName() + ".generating");
    Random random = new Random(42);
    for (int i = 0; i < count; i++) {
      Path f = tmp.resolve("batch-" + (i % 10)).resolve("file-" + i + ".bin");
      Files.createDirectories(f.getParent());
      byte[] data = new byte[1024 + random.nextInt(255 * 1024)];
      random.nextBytes(data);
      Files.write(f, data);
    }
    Files.move(tmp, dir);
  }
}
