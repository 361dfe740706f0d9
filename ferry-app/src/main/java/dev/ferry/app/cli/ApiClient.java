package dev.ferry.app.cli;

import dev.ferry.model.Json;
import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * A small client of Ferry's REST API for the CLI. Every failure becomes a {@link CliException}
 * whose message is one line: the problem document's title and detail, or why the server could not
 * be reached.
 */
public final class ApiClient {
  private final String base;
  private final String token;
  private final JsonMapper json = Json.mapper();
  private final HttpClient http =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  public ApiClient(String base, String token) {
    this.base = base.endsWith("/") ? base.substring(0, base.length() - 1) : base;
    this.token = token;
  }

  public JsonNode get(String path) {
    return send("GET", path, null, null);
  }

  public JsonNode post(String path, Object body) {
    return send("POST", path, body, null);
  }

  public JsonNode post(String path, Object body, String idempotencyKey) {
    return send("POST", path, body, idempotencyKey);
  }

  public JsonNode delete(String path) {
    return send("DELETE", path, null, null);
  }

  public JsonMapper json() {
    return json;
  }

  private JsonNode send(String method, String path, Object body, String idempotencyKey) {
    HttpRequest.Builder b =
        HttpRequest.newBuilder(URI.create(base + path))
            .timeout(Duration.ofSeconds(60))
            .header("Authorization", "Bearer " + token)
            .header("Accept", "application/json");
    if (idempotencyKey != null) {
      b.header("Idempotency-Key", idempotencyKey);
    }
    if (body != null) {
      b.header("Content-Type", "application/json")
          .method(method, HttpRequest.BodyPublishers.ofString(json.writeValueAsString(body)));
    } else {
      b.method(method, HttpRequest.BodyPublishers.noBody());
    }
    HttpResponse<String> r;
    try {
      r = http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    } catch (ConnectException e) {
      throw new CliException("cannot reach Ferry at " + base + " (connection refused)");
    } catch (IOException e) {
      throw new CliException("cannot reach Ferry at " + base + ": " + e.getMessage());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new CliException("interrupted");
    }
    if (r.statusCode() >= 400) {
      throw new CliException(problem(r));
    }
    return r.body().isBlank() ? json.nullNode() : json.readTree(r.body());
  }

  private String problem(HttpResponse<String> r) {
    try {
      JsonNode p = json.readTree(r.body());
      String title = p.path("title").asString("HTTP " + r.statusCode());
      String detail = p.path("detail").asString("");
      return title.toLowerCase()
          + (detail.isEmpty() ? "" : ": " + detail)
          + " (HTTP "
          + r.statusCode()
          + ")";
    } catch (RuntimeException e) {
      return "HTTP " + r.statusCode() + " from " + base;
    }
  }
}
