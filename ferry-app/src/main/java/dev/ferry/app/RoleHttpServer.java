package dev.ferry.app;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.prometheus.metrics.expositionformats.ExpositionFormatWriter;
import io.prometheus.metrics.expositionformats.ExpositionFormats;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.function.BooleanSupplier;

/**
 * The HTTP surface of a process that runs no control plane (a worker-only or telemetry-only pod):
 * {@code /actuator/health/liveness}, {@code /actuator/health/readiness} (and {@code
 * /actuator/health}), with the same paths the control plane's Spring Boot Actuator uses, so one
 * probe configuration fits every role; and {@code /metrics} from the given Prometheus registry.
 */
final class RoleHttpServer implements AutoCloseable {
  private final HttpServer server;
  private final Map<String, BooleanSupplier> readiness;
  private final PrometheusRegistry metrics;
  private final ExpositionFormats formats = ExpositionFormats.init();

  /**
   * @param readiness a check per role (e.g. {@code worker} → consuming); ready when all hold
   */
  RoleHttpServer(int port, Map<String, BooleanSupplier> readiness, PrometheusRegistry metrics) {
    this.readiness = new LinkedHashMap<>(readiness);
    this.metrics = metrics;
    try {
      server = HttpServer.create(new InetSocketAddress(port), 0);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot listen on port " + port + ": " + e.getMessage(), e);
    }
    server.setExecutor(Executors.newFixedThreadPool(2, r -> daemon(r)));
    server.createContext("/actuator/health/liveness", ex -> json(ex, 200, "{\"status\":\"UP\"}"));
    server.createContext("/actuator/health/readiness", this::health);
    server.createContext("/actuator/health", this::health);
    server.createContext("/metrics", this::metrics);
    server.createContext("/", ex -> json(ex, 404, "{\"status\":404,\"title\":\"Not found\"}"));
    server.start();
  }

  int port() {
    return server.getAddress().getPort();
  }

  private void health(HttpExchange ex) throws IOException {
    StringBuilder components = new StringBuilder();
    boolean up = true;
    for (Map.Entry<String, BooleanSupplier> check : readiness.entrySet()) {
      boolean ok = check.getValue().getAsBoolean();
      up &= ok;
      components
          .append(components.isEmpty() ? "" : ",")
          .append('"')
          .append(check.getKey())
          .append("\":{\"status\":\"")
          .append(ok ? "UP" : "DOWN")
          .append("\"}");
    }
    json(
        ex,
        up ? 200 : 503,
        "{\"status\":\"" + (up ? "UP" : "DOWN") + "\",\"components\":{" + components + "}}");
  }

  private void metrics(HttpExchange ex) throws IOException {
    ExpositionFormatWriter writer = formats.findWriter(ex.getRequestHeaders().getFirst("Accept"));
    ByteArrayOutputStream body = new ByteArrayOutputStream();
    writer.write(body, metrics.scrape());
    ex.getResponseHeaders().set("Content-Type", writer.getContentType());
    send(ex, 200, body.toByteArray());
  }

  private static void json(HttpExchange ex, int status, String body) throws IOException {
    ex.getResponseHeaders().set("Content-Type", "application/json");
    send(ex, status, body.getBytes(StandardCharsets.UTF_8));
  }

  private static void send(HttpExchange ex, int status, byte[] body) throws IOException {
    ex.sendResponseHeaders(status, body.length == 0 ? -1 : body.length);
    try (OutputStream out = ex.getResponseBody()) {
      out.write(body);
    }
  }

  private static Thread daemon(Runnable r) {
    Thread t = new Thread(r, "ferry-role-http");
    t.setDaemon(true);
    return t;
  }

  @Override
  public void close() {
    server.stop(1);
  }
}
