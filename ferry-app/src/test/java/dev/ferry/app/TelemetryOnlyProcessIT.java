package dev.ferry.app;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ferry.model.event.Topics;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Properties;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A process with the telemetry role only (as a Kubernetes telemetry pod runs it) serves health
 * probes and {@code /metrics} itself, and is ready only once its streams run.
 */
class TelemetryOnlyProcessIT {
  private final HttpClient http = HttpClient.newHttpClient();

  @Test
  void shouldServeProbesAndMetricsWithoutAControlPlane(@TempDir Path tmp) throws Exception {
    ServerOptions options = new ServerOptions();
    options.dataDir = tmp;
    options.port = 0;
    options.roles = "telemetry";
    try (FerryRuntime rt =
        FerryRuntime.start(options, true, new PrintStream(new ByteArrayOutputStream()))) {
      String base = rt.baseUrl();
      assertThat(get(base + "/actuator/health/liveness").statusCode()).isEqualTo(200);
      HttpResponse<String> notReady = get(base + "/actuator/health/readiness");
      assertThat(notReady.statusCode()).isEqualTo(503);
      assertThat(notReady.body()).contains("\"telemetry\":{\"status\":\"DOWN\"}");

      // The control plane creates the topics in a full deployment; here the test does.
      Properties p = new Properties();
      p.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, rt.kafkaBootstrap());
      try (Admin admin = Admin.create(p)) {
        admin
            .createTopics(Topics.ALL.stream().map(t -> new NewTopic(t, 1, (short) 1)).toList())
            .all()
            .get();
      }
      org.awaitility.Awaitility.await("telemetry ready")
          .atMost(Duration.ofMinutes(2))
          .pollInterval(Duration.ofMillis(200))
          .until(() -> get(base + "/actuator/health/readiness").statusCode() == 200);
      HttpResponse<String> metrics = get(base + "/metrics");
      assertThat(metrics.statusCode()).isEqualTo(200);
      assertThat(metrics.headers().firstValue("Content-Type").orElse("")).startsWith("text/plain");
      assertThat(get(base + "/api/v1/jobs").statusCode()).isEqualTo(404);
    }
  }

  private HttpResponse<String> get(String url) throws Exception {
    return http.send(
        HttpRequest.newBuilder(URI.create(url)).build(), HttpResponse.BodyHandlers.ofString());
  }
}
