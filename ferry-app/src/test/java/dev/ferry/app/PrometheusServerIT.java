package dev.ferry.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.abort;

import dev.ferry.control.consistency.ConsistencyCheck;
import dev.ferry.control.consistency.ConsistencyChecker;
import dev.ferry.control.consistency.ConsistencyReport;
import dev.ferry.control.consistency.DriftDetector;
import dev.ferry.model.Json;
import dev.ferry.model.event.Topics;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.net.ServerSocket;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.jdbc.core.simple.JdbcClient;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * A real Prometheus server (Debian's {@code /usr/bin/prometheus}) scrapes a whole embedded Ferry
 * every second; after a copy job its query API must return exactly the database's transfers and
 * bytes. Then the consistency checker, pointed at that server ({@code --prometheus-url}), reports
 * its side: ok while Prometheus agrees, and the exact drift once Prometheus double-counts the link
 * (a second scrape job on the same target, as a copy-pasted scrape config does).
 *
 * <p>Skipped when the binary is missing, unless {@code FERRY_REQUIRE_PROMETHEUS=1} (as in CI),
 * where that fails. Prometheus runs on loopback on a free port with a temporary TSDB and is killed
 * in {@code finally}.
 */
class PrometheusServerIT {
  private static final int FILES = 40;

  private final JsonMapper json = Json.mapper();
  private final HttpClient http = HttpClient.newHttpClient();

  private static Path prometheusBinary() {
    Path p = Path.of(System.getenv().getOrDefault("FERRY_PROMETHEUS", "/usr/bin/prometheus"));
    if (Files.isExecutable(p)) {
      return p;
    }
    if ("1".equals(System.getenv("FERRY_REQUIRE_PROMETHEUS"))) {
      fail(p + " is missing and FERRY_REQUIRE_PROMETHEUS=1: apt-get install prometheus");
    }
    abort(
        p
            + " is missing: skipping the Prometheus server test (apt-get install prometheus;"
            + " FERRY_REQUIRE_PROMETHEUS=1 turns this skip into a failure)");
    return null;
  }

  @Test
  void shouldAgreeWithTheDatabaseAndReportADoubleCountingPrometheusAsDrift(@TempDir Path tmp)
      throws Exception {
    Path binary = prometheusBinary();
    int promPort = freePort();
    String promUrl = "http://127.0.0.1:" + promPort;

    Path src = Files.createDirectories(tmp.resolve("site-a/tree"));
    Path dst = Files.createDirectories(tmp.resolve("site-b"));
    Random random = new Random(11);
    long totalBytes = 0;
    for (int i = 0; i < FILES; i++) {
      byte[] data = new byte[1 + random.nextInt(32 * 1024)];
      random.nextBytes(data);
      Files.write(src.resolve("f-" + i + ".dat"), data);
      totalBytes += data.length;
    }

    ServerOptions options = new ServerOptions();
    options.dataDir = tmp.resolve("data");
    options.port = 0;
    options.prometheusUrl = promUrl;
    Process prometheus = null;
    try (FerryRuntime rt =
        FerryRuntime.start(options, true, new PrintStream(new ByteArrayOutputStream()))) {
      String base = rt.baseUrl();
      Path config = tmp.resolve("prometheus.yml");
      Files.writeString(config, scrapeConfig(base, List.of("ferry")));
      prometheus =
          new ProcessBuilder(
                  binary.toString(),
                  "--config.file=" + config,
                  "--storage.tsdb.path=" + tmp.resolve("tsdb"),
                  "--web.listen-address=127.0.0.1:" + promPort,
                  "--web.enable-lifecycle",
                  "--log.level=warn")
              .redirectErrorStream(true)
              .redirectOutput(tmp.resolve("prometheus.log").toFile())
              .start();

      String root = Files.readString(options.dataDir.resolve("admin-token")).strip();
      JsonNode tenant = send(base, root, "POST", "/api/v1/tenants", Map.of("name", "prom"));
      String token = tenant.get("adminToken").get("token").asString();
      String tenantId = tenant.get("tenant").get("id").asString();
      send(base, token, "POST", "/api/v1/sites", Map.of("name", "SITE_A"));
      send(base, token, "POST", "/api/v1/sites", Map.of("name", "SITE_B"));
      send(
          base,
          token,
          "POST",
          "/api/v1/endpoints",
          Map.of("name", "a", "site", "SITE_A", "uri", src.getParent().toUri().toString()));
      send(
          base,
          token,
          "POST",
          "/api/v1/endpoints",
          Map.of("name", "b", "site", "SITE_B", "uri", dst.toUri().toString()));
      String jobId =
          send(
                  base,
                  token,
                  "POST",
                  "/api/v1/jobs",
                  Map.of(
                      "source", Map.of("endpoint", "a", "path", "tree"),
                      "destination", Map.of("endpoint", "b", "path", "copy"),
                      "checksum", "crc32c"))
              .get("id")
              .asString();
      Awaitility.await("job " + jobId + " succeeded")
          .atMost(Duration.ofMinutes(3))
          .pollInterval(Duration.ofMillis(200))
          .until(
              () ->
                  send(base, token, "GET", "/api/v1/jobs/" + jobId, null)
                      .get("state")
                      .asString()
                      .equals("SUCCEEDED"));

      // The database's numbers: the transfer facts its transactions wrote.
      JdbcClient db = rt.control().getBean(JdbcClient.class);
      Map<String, Object> fromDb =
          db.sql(
                  "SELECT count(*) AS n, coalesce(sum((payload::jsonb->'data'->>'bytes')::bigint),"
                      + " 0) AS bytes FROM outbox WHERE topic = :topic"
                      + " AND payload::jsonb->'data'->>'tenant' = :tenant"
                      + " AND payload::jsonb->'data'->>'outcome' = 'succeeded'")
              .param("topic", Topics.TRANSFERS)
              .param("tenant", tenantId)
              .query()
              .singleRow();
      long dbTransfers = ((Number) fromDb.get("n")).longValue();
      long dbBytes = ((Number) fromDb.get("bytes")).longValue();
      assertThat(dbTransfers).isEqualTo(FILES);
      assertThat(dbBytes).isEqualTo(totalBytes);

      // Prometheus scraped Ferry and its query API returns exactly those numbers.
      String transfersQuery =
          "sum(ferry_transfers_total{tenant=\"" + tenantId + "\",outcome=\"succeeded\"})";
      String bytesQuery = "sum(ferry_transfer_bytes_total{tenant=\"" + tenantId + "\"})";
      awaitPrometheus(promUrl, transfersQuery, dbTransfers, tmp);
      assertThat(awaitPrometheus(promUrl, bytesQuery, dbBytes, tmp)).isEqualTo(dbBytes);

      // The checker's Prometheus side agrees with the stream.
      ConsistencyChecker checker = rt.control().getBean(ConsistencyChecker.class);
      ConsistencyReport clean = checker.checkOnce();
      assertThat(clean.unavailable()).noneMatch(u -> u.startsWith("prometheus"));
      assertThat(prometheusChecks(clean, tenantId))
          .hasSize(4)
          .allSatisfy(c -> assertThat(c.status()).isEqualTo(ConsistencyCheck.OK));
      assertThat(prometheusChecks(clean, tenantId))
          .filteredOn(c -> "succeeded".equals(c.outcome()))
          .singleElement()
          .satisfies(c -> assertThat(c.actual()).isEqualTo(FILES));

      // The fault: a second scrape job on the same target makes every sum double.
      Files.writeString(config, scrapeConfig(base, List.of("ferry", "ferry-copy")));
      HttpResponse<String> reload =
          http.send(
              HttpRequest.newBuilder(URI.create(promUrl + "/-/reload"))
                  .POST(HttpRequest.BodyPublishers.noBody())
                  .build(),
              HttpResponse.BodyHandlers.ofString());
      assertThat(reload.statusCode()).as(reload.body()).isEqualTo(200);
      awaitPrometheus(promUrl, transfersQuery, 2 * dbTransfers, tmp);
      awaitPrometheus(promUrl, bytesQuery, 2 * dbBytes, tmp);

      ConsistencyReport doubled = checker.checkOnce();
      assertThat(doubled.status()).isEqualTo(ConsistencyCheck.DRIFT);
      assertThat(doubled.checks())
          .filteredOn(c -> c.tenant().equals(tenantId) && !c.ok())
          .allSatisfy(c -> assertThat(c.check()).isEqualTo(DriftDetector.PROMETHEUS_VS_STREAM))
          .extracting(ConsistencyCheck::measure, ConsistencyCheck::drift)
          .containsExactlyInAnyOrder(
              org.assertj.core.groups.Tuple.tuple("transfers", dbTransfers),
              org.assertj.core.groups.Tuple.tuple("bytes", dbBytes));
      // and the API reports the same
      JsonNode api = send(base, token, "GET", "/api/v1/consistency", null);
      assertThat(api.get("status").asString()).isEqualTo("drift");
    } finally {
      if (prometheus != null) {
        prometheus.destroy();
        if (!prometheus.waitFor(10, TimeUnit.SECONDS)) {
          prometheus.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
      }
    }
  }

  private static List<ConsistencyCheck> prometheusChecks(ConsistencyReport r, String tenant) {
    return r.checks().stream()
        .filter(c -> c.check().equals(DriftDetector.PROMETHEUS_VS_STREAM))
        .filter(c -> c.tenant().equals(tenant))
        .toList();
  }

  /** One job per name, all scraping Ferry's /metrics every second. */
  private static String scrapeConfig(String ferryBase, List<String> jobs) {
    String target = URI.create(ferryBase).getAuthority();
    StringBuilder y =
        new StringBuilder(
            "global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\nscrape_configs:\n");
    for (String job : jobs) {
      y.append("  - job_name: ")
          .append(job)
          .append("\n    metrics_path: /metrics\n    static_configs:\n      - targets: ['")
          .append(target)
          .append("']\n");
    }
    return y.toString();
  }

  /** Polls the query API until the scalar result equals {@code expected}; returns it. */
  private long awaitPrometheus(String promUrl, String promql, long expected, Path tmp) {
    Long[] last = {null};
    try {
      Awaitility.await(promql + " = " + expected)
          .atMost(Duration.ofMinutes(2))
          .pollInterval(Duration.ofMillis(500))
          .ignoreExceptionsInstanceOf(IOException.class)
          .until(
              () -> {
                last[0] = queryScalar(promUrl, promql);
                return last[0] != null && last[0] == expected;
              });
    } catch (org.awaitility.core.ConditionTimeoutException e) {
      String log;
      try {
        log = Files.readString(tmp.resolve("prometheus.log"));
      } catch (IOException io) {
        log = "(no log: " + io + ")";
      }
      throw new AssertionError(
          promql + " stayed at " + last[0] + ", expected " + expected + "; Prometheus log:\n" + log,
          e);
    }
    return last[0];
  }

  private Long queryScalar(String promUrl, String promql) throws Exception {
    HttpResponse<String> r =
        http.send(
            HttpRequest.newBuilder(
                    URI.create(
                        promUrl
                            + "/api/v1/query?query="
                            + URLEncoder.encode(promql, StandardCharsets.UTF_8)))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    if (r.statusCode() != 200) {
      return null;
    }
    JsonNode result = json.readTree(r.body()).path("data").path("result");
    if (result.isEmpty()) {
      return null;
    }
    return Math.round(Double.parseDouble(result.get(0).path("value").path(1).asString()));
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
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
}
