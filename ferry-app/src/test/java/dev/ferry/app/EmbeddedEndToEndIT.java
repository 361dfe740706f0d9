package dev.ferry.app;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ferry.model.ChecksumAlgorithm;
import dev.ferry.model.Json;
import dev.ferry.storage.Checksums;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The whole path in one process, as {@code ferry server --embedded} runs it: embedded PostgreSQL
 * and Kafka, control plane, worker. Copies 1,000 files, then restarts everything on the same data
 * directory and finds the job and its history unchanged.
 */
class EmbeddedEndToEndIT {
  private final JsonMapper json = Json.mapper();
  private final HttpClient http = HttpClient.newHttpClient();

  @Test
  void shouldCopyAThousandFilesVerifiedAndKeepTheJobAcrossARestart(@TempDir Path tmp)
      throws Exception {
    Path src = Files.createDirectories(tmp.resolve("site-a"));
    Path dst = Files.createDirectories(tmp.resolve("site-b"));
    Random random = new Random(7);
    for (int i = 0; i < 1000; i++) {
      Path f = src.resolve("tree/" + (i % 10) + "/" + (i % 3) + "/file-" + i + ".dat");
      Files.createDirectories(f.getParent());
      byte[] data = new byte[random.nextInt(16 * 1024)];
      random.nextBytes(data);
      Files.write(f, data);
    }
    ServerOptions options = new ServerOptions();
    options.dataDir = tmp.resolve("data");
    options.port = 0;
    PrintStream quiet = new PrintStream(new ByteArrayOutputStream());

    String jobId;
    Map<String, JsonNode> before;
    try (FerryRuntime rt = FerryRuntime.start(options, true, quiet)) {
      String base = rt.baseUrl();
      String root = Files.readString(options.dataDir.resolve("admin-token")).strip();
      JsonNode tenant = send(base, root, "POST", "/api/v1/tenants", Map.of("name", "e2e"));
      String token = tenant.get("adminToken").get("token").asString();
      send(base, token, "POST", "/api/v1/sites", Map.of("name", "SITE_A"));
      send(base, token, "POST", "/api/v1/sites", Map.of("name", "SITE_B"));
      send(
          base,
          token,
          "POST",
          "/api/v1/endpoints",
          Map.of("name", "a", "site", "SITE_A", "uri", src.toUri().toString()));
      send(
          base,
          token,
          "POST",
          "/api/v1/endpoints",
          Map.of("name", "b", "site", "SITE_B", "uri", dst.toUri().toString()));
      JsonNode job =
          send(
              base,
              token,
              "POST",
              "/api/v1/jobs",
              Map.of(
                  "source", Map.of("endpoint", "a", "path", "tree"),
                  "destination", Map.of("endpoint", "b", "path", "copy"),
                  "checksum", "crc32c"));
      jobId = job.get("id").asString();
      String id = jobId;
      org.awaitility.Awaitility.await("job " + id + " succeeded")
          .atMost(Duration.ofMinutes(3))
          .pollInterval(Duration.ofMillis(100))
          .until(
              () ->
                  send(base, token, "GET", "/api/v1/jobs/" + id, null)
                      .get("state")
                      .asString()
                      .equals("SUCCEEDED"));
      before = snapshot(base, token, jobId);

      // The telemetry role counted exactly the 1,000 transfers the database recorded, and
      // /metrics exports the same number.
      JsonNode links =
          org.awaitility.Awaitility.await("link totals")
              .atMost(Duration.ofMinutes(2))
              .pollInterval(Duration.ofMillis(200))
              .until(
                  () -> {
                    HttpResponse<String> r =
                        http.send(
                            HttpRequest.newBuilder(URI.create(base + "/api/v1/links"))
                                .header("Authorization", "Bearer " + token)
                                .build(),
                            HttpResponse.BodyHandlers.ofString());
                    return r.statusCode() == 200 ? json.readTree(r.body()) : null;
                  },
                  l -> l != null && l.size() == 1 && l.get(0).get("succeeded").asLong() == 1000);
      assertThat(links).as("links").isNotNull().hasSize(1);
      assertThat(links.get(0).get("sourceSite").asString()).isEqualTo("SITE_A");
      assertThat(links.get(0).get("succeeded").asLong()).isEqualTo(1000);
      assertThat(links.get(0).get("failed").asLong()).isZero();
      String metrics =
          http.send(
                  HttpRequest.newBuilder(URI.create(base + "/metrics")).build(),
                  HttpResponse.BodyHandlers.ofString())
              .body();
      String tenantId = tenant.get("tenant").get("id").asString();
      assertThat(metrics.lines())
          .filteredOn(l -> l.startsWith("ferry_transfers_total{"))
          .filteredOn(l -> l.contains("outcome=\"succeeded\"") && l.contains(tenantId))
          .singleElement()
          .satisfies(
              l ->
                  assertThat(Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1)))
                      .isEqualTo(1000.0));
      // The workers' attempt telemetry (ferry.attempts, counted per tenant and link): one
      // completed attempt per task, and every byte of the tree on the wire exactly once.
      int tasks = before.get("tasks").size();
      long treeBytes;
      try (Stream<Path> files = Files.walk(src.resolve("tree"))) {
        treeBytes = files.filter(Files::isRegularFile).mapToLong(f -> f.toFile().length()).sum();
      }
      String attempts =
          org.awaitility.Awaitility.await("attempt totals on /metrics")
              .atMost(Duration.ofMinutes(1))
              .pollInterval(Duration.ofMillis(200))
              .until(
                  () ->
                      http.send(
                              HttpRequest.newBuilder(URI.create(base + "/metrics")).build(),
                              HttpResponse.BodyHandlers.ofString())
                          .body(),
                  m ->
                      sample(m, "ferry_attempts_total{", tenantId, "outcome=\"completed\"")
                          == tasks);
      assertThat(sample(attempts, "ferry_attempts_total{", tenantId, "outcome=\"failed\""))
          .isZero();
      assertThat(sample(attempts, "ferry_attempt_retries_total{", tenantId, "")).isZero();
      assertThat(sample(attempts, "ferry_attempt_wire_bytes_total{", tenantId, ""))
          .isEqualTo(treeBytes);
      Files.writeString(tmp.resolve("token"), token);
    }

    JsonNode finished = before.get("job");
    assertThat(finished.get("progress").get("files").get("done").asLong()).isEqualTo(1000);
    assertThat(finished.get("progress").get("files").get("failed").asLong()).isZero();
    Map<String, String> checksums = new HashMap<>();
    for (JsonNode task : before.get("tasks")) {
      task.get("results")
          .properties()
          .forEach(e -> checksums.put(e.getKey(), e.getValue().get("checksum").asString()));
    }
    assertThat(checksums).hasSize(1000);
    try (Stream<Path> files = Files.walk(src.resolve("tree"))) {
      for (Path f : files.filter(Files::isRegularFile).toList()) {
        String rel = src.relativize(f).toString();
        Path copy = dst.resolve("copy").resolve(src.resolve("tree").relativize(f).toString());
        assertThat(Files.mismatch(f, copy)).as(rel).isEqualTo(-1L);
        assertThat(checksums.get(rel))
            .as(rel)
            .isEqualTo(Checksums.of(ChecksumAlgorithm.CRC32C, Files.readAllBytes(f)));
      }
    }
    try (Stream<Path> all = Files.walk(dst)) {
      assertThat(all.filter(Files::isRegularFile).toList()).hasSize(1000);
    }

    try (FerryRuntime rt = FerryRuntime.start(options, true, quiet)) {
      String token = Files.readString(tmp.resolve("token"));
      Map<String, JsonNode> after = snapshot(rt.baseUrl(), token, jobId);
      assertThat(after).isEqualTo(before);
    }
  }

  private Map<String, JsonNode> snapshot(String base, String token, String jobId) throws Exception {
    return Map.of(
        "job", send(base, token, "GET", "/api/v1/jobs/" + jobId, null),
        "tasks", send(base, token, "GET", "/api/v1/jobs/" + jobId + "/tasks", null),
        "history", send(base, token, "GET", "/api/v1/jobs/" + jobId + "/history", null));
  }

  private JsonNode send(String base, String token, String method, String path, Object body)
      throws IOException, InterruptedException {
    HttpRequest.Builder b =
        HttpRequest.newBuilder(URI.create(base + path))
            .header("Authorization", "Bearer " + token)
            .header("Content-Type", "application/json")
            .method(
                method,
                body == null
                    ? HttpRequest.BodyPublishers.noBody()
                    : HttpRequest.BodyPublishers.ofString(json.writeValueAsString(body)));
    HttpResponse<String> r = http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    assertThat(r.statusCode()).as(method + " " + path + ": " + r.body()).isLessThan(300);
    return json.readTree(r.body());
  }

  /**
   * The value of the one sample of {@code metrics} starting with {@code prefix} with both parts.
   */
  private static double sample(String metrics, String prefix, String tenant, String label) {
    return metrics
        .lines()
        .filter(l -> l.startsWith(prefix) && l.contains(tenant) && l.contains(label))
        .mapToDouble(l -> Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1)))
        .reduce(
            (a, b) -> {
              throw new AssertionError("more than one sample " + prefix + " " + label);
            })
        .orElse(-1);
  }
}
