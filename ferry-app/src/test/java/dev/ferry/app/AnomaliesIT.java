package dev.ferry.app;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ferry.app.cli.ApiClient;
import dev.ferry.model.Json;
import dev.ferry.model.event.Topics;
import dev.ferry.telemetry.streams.WindowSummary;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

/**
 * Anomaly detection end to end in one embedded process: closed windows of a link that slows down 5×
 * are published on {@code ferry.link-stats} (as the aggregation publishes them), the telemetry role
 * flags the link, and {@code GET /api/v1/anomalies}, {@code /metrics} and {@code ferry anomalies}
 * show it to the link's tenant only.
 */
class AnomaliesIT {
  private static final Duration WINDOW = Duration.ofSeconds(10);
  private static FerryRuntime runtime;
  private static String token;
  private static String tenant;
  private static String otherToken;
  private static final HttpClient http = HttpClient.newHttpClient();

  @BeforeAll
  static void start() throws Exception {
    Path root = Files.createTempDirectory("ferry-anomalies-it");
    ServerOptions options = new ServerOptions();
    options.dataDir = root.resolve("data");
    options.port = 0;
    options.roles = "control,telemetry";
    runtime = FerryRuntime.start(options, true, new PrintStream(new ByteArrayOutputStream()));
    String admin = Files.readString(options.dataDir.resolve("admin-token")).strip();
    ApiClient root0 = new ApiClient(runtime.baseUrl(), admin);
    JsonNode created = root0.post("/api/v1/tenants", Map.of("name", "anomalies"));
    token = created.path("adminToken").path("token").asString();
    tenant = created.path("tenant").path("id").asString();
    otherToken =
        root0
            .post("/api/v1/tenants", Map.of("name", "bystander"))
            .path("adminToken")
            .path("token")
            .asString();
    publishWindows();
  }

  @AfterAll
  static void stop() {
    runtime.close();
  }

  /**
   * 20 healthy windows of SITE_A -> SITE_B, then 4 at a fifth of the throughput (and 5× the
   * durations), stamped within the last hour (older stamps would fall to the topic's retention).
   */
  private static void publishWindows() throws Exception {
    Random r = new Random(4);
    Instant base = Instant.now().minus(Duration.ofHours(1)).truncatedTo(ChronoUnit.MINUTES);
    List<ProducerRecord<String, byte[]>> records = new ArrayList<>();
    for (int i = 0; i < 24; i++) {
      double slow = i >= 20 ? 5 : 1;
      double tput = 50e6 / slow * Math.exp(0.05 * r.nextGaussian());
      double p95 = 0.4 * slow * Math.exp(0.15 * r.nextGaussian());
      long n = 30 + r.nextInt(10);
      long failed = r.nextInt(10) == 0 ? 1 : 0;
      Instant start = base.plus(WINDOW.multipliedBy(i));
      WindowSummary w =
          new WindowSummary(
              tenant,
              "SITE_A",
              "SITE_B",
              start,
              start.plus(WINDOW),
              n - failed,
              0,
              failed,
              (long) (n * 4e6),
              failed,
              (double) failed / n,
              p95 / 2,
              p95,
              p95 * 1.2,
              tput,
              tput * 1.3,
              failed == 0 ? Map.of() : Map.of("io", failed));
      records.add(
          new ProducerRecord<>(
              Topics.LINK_STATS,
              "SITE_A->SITE_B",
              Json.mapper().writeValueAsBytes(w.toEnvelope())));
    }
    try (KafkaProducer<String, byte[]> p =
        new KafkaProducer<>(
            Map.of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG,
                runtime.kafkaBootstrap(),
                ProducerConfig.ACKS_CONFIG,
                "all"),
            new StringSerializer(),
            new ByteArraySerializer())) {
      for (ProducerRecord<String, byte[]> rec : records) {
        p.send(rec).get();
      }
    }
  }

  private static HttpResponse<String> get(String path, String bearer) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(runtime.baseUrl() + path));
    if (bearer != null) {
      b.header("Authorization", "Bearer " + bearer);
    }
    return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  private static JsonNode flagged() {
    return Awaitility.await("the slow link flagged")
        .atMost(Duration.ofMinutes(3))
        .pollInterval(Duration.ofMillis(500))
        .until(
            () -> {
              HttpResponse<String> r = get("/api/v1/anomalies?src=SITE_A&dst=SITE_B", token);
              return r.statusCode() == 200 ? Json.mapper().readTree(r.body()) : null;
            },
            page -> page != null && !page.path("items").isEmpty());
  }

  @Test
  void shouldListTheDegradedLinksAnomalyForItsTenantOnly() throws Exception {
    JsonNode page = flagged();
    JsonNode a = page.path("items").get(0);
    assertThat(a.path("srcSite").asString()).isEqualTo("SITE_A");
    assertThat(a.path("dstSite").asString()).isEqualTo("SITE_B");
    assertThat(a.path("id").asString()).matches("[0-9a-f-]{36}");
    assertThat(a.path("score").asDouble()).isPositive();
    assertThat(a.path("grade").asDouble()).isBetween(0.5, 1.0);
    String feature = a.path("feature").asString();
    assertThat(feature).isIn("throughputBytesPerSecond", "p95DurationSeconds");
    assertThat(a.path("features").has(feature)).isTrue();
    assertThat(a.path("features").path("throughputBytesPerSecond").asDouble()).isLessThan(20e6);
    assertThat(a.has("expected")).as("expected is present, null or not").isTrue();
    assertThat(Instant.parse(a.path("windowEnd").asString()))
        .isEqualTo(Instant.parse(a.path("windowStart").asString()).plus(WINDOW));
    assertThat(a.path("detectedAt").asString()).isNotEmpty();

    HttpResponse<String> other = get("/api/v1/anomalies", otherToken);
    assertThat(other.statusCode()).isEqualTo(200);
    assertThat(Json.mapper().readTree(other.body()).path("items").isEmpty()).isTrue();
    HttpResponse<String> elsewhere = get("/api/v1/anomalies?src=SITE_B", token);
    assertThat(Json.mapper().readTree(elsewhere.body()).path("items").isEmpty()).isTrue();

    String metrics = get("/metrics", null).body();
    assertThat(metrics)
        .contains("ferry_link_anomaly_score{")
        .contains("ferry_link_anomalies_total{")
        .contains("tenant=\"" + tenant + "\"");
  }

  @Test
  void shouldAnswerBadParametersWithAProblem() throws Exception {
    for (String q :
        List.of(
            "limit=0",
            "limit=1001",
            "limit=ten",
            "from=yesterday",
            "from=2026-01-02T00:00:00Z&to=2026-01-01T00:00:00Z")) {
      HttpResponse<String> r = get("/api/v1/anomalies?" + q, token);
      assertThat(r.statusCode()).as(q).isEqualTo(400);
      assertThat(r.headers().firstValue("Content-Type").orElse(""))
          .as(q)
          .startsWith("application/problem+json");
      assertThat(Json.mapper().readTree(r.body()).path("status").asInt()).isEqualTo(400);
    }
    assertThat(get("/api/v1/anomalies", null).statusCode()).isEqualTo(401);
  }

  @Test
  void shouldShowAnomaliesInTheCli() throws Exception {
    flagged();
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int exit =
        FerryMain.execute(
            new PrintWriter(out, true),
            new PrintWriter(err, true),
            "anomalies",
            "--src",
            "SITE_A",
            "--dst",
            "SITE_B",
            "--since",
            "2h",
            "--url",
            runtime.baseUrl(),
            "--token",
            token);
    assertThat(exit).as(err.toString()).isZero();
    assertThat(out.toString()).contains("SITE_A -> SITE_B", "FEATURE", "EXPECTED");

    StringWriter json = new StringWriter();
    exit =
        FerryMain.execute(
            new PrintWriter(json, true),
            new PrintWriter(err, true),
            "anomalies",
            "-o",
            "json",
            "--url",
            runtime.baseUrl(),
            "--token",
            token);
    assertThat(exit).isZero();
    assertThat(Json.mapper().readTree(json.toString()).path("items").isEmpty()).isFalse();

    StringWriter bad = new StringWriter();
    exit =
        FerryMain.execute(
            new PrintWriter(new StringWriter(), true),
            new PrintWriter(bad, true),
            "anomalies",
            "--since",
            "a while",
            "--url",
            runtime.baseUrl(),
            "--token",
            token);
    assertThat(exit).isEqualTo(2);
    assertThat(bad.toString().strip())
        .isEqualTo("ferry: --since 'a while' is not a duration such as 90s, 30m, 1h, 2d or PT1H")
        .doesNotContain("\n");
  }
}
