package dev.ferry.worker;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.ferry.model.Json;
import dev.ferry.model.protocol.WorkerProtocol;
import dev.ferry.model.webhook.WebhookSecret;
import dev.ferry.model.webhook.WebhookSigner;
import dev.ferry.model.webhook.WebhookVerifier;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Function;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The control plane's side of {@code WorkerProtocol} on the JDK's HTTP server: verifies every
 * signature with {@link WebhookVerifier}, rejects replayed webhook ids with 401, records each
 * accepted request, and answers with a scripted function per operation.
 */
final class FakeControlPlane implements AutoCloseable {
  /** One accepted request. */
  record Call(String op, UUID taskId, String webhookId, JsonNode body) {}

  /** A scripted answer. */
  record Answer(int status, String contentType, String body) {
    static Answer json(Object value) {
      return new Answer(200, "application/json", JSON.writeValueAsString(value));
    }

    static Answer stale(String detail) {
      return new Answer(
          409,
          "application/problem+json",
          JSON.writeValueAsString(
              Map.of(
                  "type",
                  WorkerProtocol.STALE_ATTEMPT,
                  "title",
                  "Stale attempt",
                  "status",
                  409,
                  "detail",
                  detail)));
    }

    static Answer status(int status) {
      return new Answer(status, "text/plain", "status " + status);
    }
  }

  static final JsonMapper JSON = Json.mapper();

  final WebhookSecret secret = WebhookSecret.generate(new SecureRandom());
  final List<Call> calls = new CopyOnWriteArrayList<>();
  final List<String> rejections = new CopyOnWriteArrayList<>();
  private final Map<String, Function<Call, Answer>> script = new ConcurrentHashMap<>();
  private final Set<String> seenIds = ConcurrentHashMap.newKeySet();
  private final WebhookVerifier verifier =
      new WebhookVerifier(List.of(secret), Clock.systemUTC(), Duration.ofMinutes(5));
  private final HttpServer server;
  private final ExecutorService executor = Executors.newCachedThreadPool();

  FakeControlPlane() throws IOException {
    server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    server.createContext(WorkerProtocol.BASE_PATH + "/", this::serve);
    server.setExecutor(executor);
    server.start();
    on("complete", call -> Answer.json(Map.of("taskId", call.taskId(), "state", "SUCCEEDED")));
    on("release", call -> Answer.json(Map.of()));
  }

  URI url() {
    return URI.create("http://127.0.0.1:" + server.getAddress().getPort());
  }

  /** Scripts the answer to {@code op} ({@code claim}, {@code heartbeat}, ...). */
  FakeControlPlane on(String op, Function<Call, Answer> answer) {
    script.put(op, answer);
    return this;
  }

  List<Call> calls(String op) {
    return calls.stream().filter(c -> c.op().equals(op)).toList();
  }

  private void serve(HttpExchange exchange) throws IOException {
    try (exchange) {
      byte[] body = exchange.getRequestBody().readAllBytes();
      String id = exchange.getRequestHeaders().getFirst(WebhookSigner.HEADER_ID);
      try {
        verifier.verify(
            id,
            exchange.getRequestHeaders().getFirst(WebhookSigner.HEADER_TIMESTAMP),
            exchange.getRequestHeaders().getFirst(WebhookSigner.HEADER_SIGNATURE),
            body);
        if (!seenIds.add(id)) {
          throw new WebhookVerifier.VerificationException(
              WebhookVerifier.Failure.REPLAYED_ID, "replayed " + id);
        }
      } catch (WebhookVerifier.VerificationException e) {
        rejections.add(e.failure() + ": " + e.getMessage());
        send(exchange, new Answer(401, "text/plain", e.getMessage()));
        return;
      }
      String[] parts =
          exchange
              .getRequestURI()
              .getPath()
              .substring(WorkerProtocol.BASE_PATH.length() + 1)
              .split("/");
      Call call = new Call(parts[1], UUID.fromString(parts[0]), id, JSON.readTree(body));
      calls.add(call);
      Function<Call, Answer> answer = script.get(call.op());
      send(exchange, answer == null ? Answer.status(404) : answer.apply(call));
    } catch (RuntimeException e) {
      rejections.add("server error: " + e);
      throw e;
    }
  }

  private static void send(HttpExchange exchange, Answer answer) throws IOException {
    byte[] bytes = answer.body().getBytes(StandardCharsets.UTF_8);
    exchange.getResponseHeaders().set("Content-Type", answer.contentType());
    exchange.sendResponseHeaders(answer.status(), bytes.length == 0 ? -1 : bytes.length);
    try (OutputStream out = exchange.getResponseBody()) {
      out.write(bytes);
    }
  }

  @Override
  public void close() {
    server.stop(0);
    executor.shutdownNow();
  }
}
