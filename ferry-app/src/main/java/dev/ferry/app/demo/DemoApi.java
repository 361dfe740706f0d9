package dev.ferry.app.demo;

import dev.ferry.model.Json;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The demo's client of Ferry's REST API, as any other client would use it: HTTP and a bearer token.
 * Unlike the CLI's client it hands back the status code, since the demo branches on 404 and 409
 * (already there) rather than failing.
 */
public final class DemoApi {
  private final String base;
  private final String token;
  private final JsonMapper json = Json.mapper();
  private final HttpClient http =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  /** An answer: status and body ({@code null} when empty or not JSON). */
  public record Response(int status, JsonNode body, String text) {
    public boolean ok() {
      return status >= 200 && status < 300;
    }
  }

  public DemoApi(String base, String token) {
    this.base = base;
    this.token = token;
  }

  public DemoApi withToken(String other) {
    return new DemoApi(base, other);
  }

  public String base() {
    return base;
  }

  public Response get(String path) {
    return send("GET", path, null, null);
  }

  public Response post(String path, Object body) {
    return send("POST", path, body, null);
  }

  public Response post(String path, Object body, String idempotencyKey) {
    return send("POST", path, body, idempotencyKey);
  }

  public Response delete(String path) {
    return send("DELETE", path, null, null);
  }

  /** The body of a 2xx answer; anything else is an {@link IllegalStateException} naming both. */
  public JsonNode expect(String method, String path, Response r) {
    if (!r.ok()) {
      throw new IllegalStateException(
          method + " " + path + " answered " + r.status() + ": " + r.text());
    }
    return r.body();
  }

  public static String query(String v) {
    return URLEncoder.encode(v, StandardCharsets.UTF_8);
  }

  private Response send(String method, String path, Object body, String idempotencyKey) {
    HttpRequest.Builder b =
        HttpRequest.newBuilder(URI.create(base + path))
            .timeout(Duration.ofSeconds(30))
            .header("Authorization", "Bearer " + token)
            .header("Accept", "application/json");
    if (idempotencyKey != null) {
      b.header("Idempotency-Key", idempotencyKey);
    }
    if (body != null) {
      b.header("Content-Type", "application/json");
      b.method(
          method,
          HttpRequest.BodyPublishers.ofString(
              json.writeValueAsString(body), StandardCharsets.UTF_8));
    } else {
      b.method(method, HttpRequest.BodyPublishers.noBody());
    }
    HttpResponse<String> r;
    try {
      r = http.send(b.build(), HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
    } catch (IOException e) {
      throw new UncheckedIOException(method + " " + base + path + " failed: " + e.getMessage(), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(method + " " + path + " interrupted", e);
    }
    JsonNode parsed = null;
    String text = r.body();
    if (text != null && !text.isBlank()) {
      try {
        parsed = json.readTree(text);
      } catch (RuntimeException e) {
        parsed = null;
      }
    }
    return new Response(r.statusCode(), parsed, text);
  }
}
