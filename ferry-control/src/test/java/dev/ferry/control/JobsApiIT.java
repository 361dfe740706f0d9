package dev.ferry.control;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ferry.control.Harness.Response;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;

class JobsApiIT {
  private final Harness h = Harness.get();

  @Test
  void shouldCreateOneJobForFiftyConcurrentSubmissionsWithOneIdempotencyKey() throws Exception {
    Harness.Tenant t = h.tenant("idem");
    String body = h.json.writeValueAsString(t.copyJob("in", "out"));
    String key = UUID.randomUUID().toString();
    List<Callable<Response>> calls = new ArrayList<>();
    for (int i = 0; i < 50; i++) {
      calls.add(() -> h.call("POST", "/api/v1/jobs", t.admin, body, "Idempotency-Key", key));
    }
    List<Response> responses = new ArrayList<>();
    ExecutorService pool = Executors.newFixedThreadPool(50);
    try {
      for (Future<Response> f : pool.invokeAll(calls)) {
        responses.add(f.get());
      }
    } finally {
      pool.shutdown();
    }
    assertThat(responses).extracting(Response::status).containsOnly(200, 201);
    assertThat(responses).filteredOn(r -> r.status() == 201).hasSize(1);
    assertThat(responses).extracting(Response::body).containsOnly(responses.get(0).body());
    assertThat(jobsOf(t)).isEqualTo(1);

    Response other =
        h.call(
            "POST",
            "/api/v1/jobs",
            t.admin,
            h.json.writeValueAsString(t.copyJob("in", "elsewhere")),
            "Idempotency-Key",
            key);
    assertThat(other.status()).isEqualTo(422);
    assertThat(other.contentType()).startsWith("application/problem+json");
    assertThat(other.text("type")).endsWith("/idempotency-key-reused");
    assertThat(jobsOf(t)).isEqualTo(1);
  }

  @Test
  void shouldAnswerAnotherTenantsJobWithNotFound() {
    Harness.Tenant a = h.tenant("a");
    Harness.Tenant b = h.tenant("b");
    Response created = h.call("POST", "/api/v1/jobs", b.admin, b.copyJob("x", "y"));
    assertThat(created.status()).isEqualTo(201);
    String id = created.text("id");

    for (String path : List.of("/api/v1/jobs/" + id, "/api/v1/jobs/" + id + "/tasks")) {
      Response r = h.call("GET", path, a.admin, (String) null);
      assertThat(r.status()).isEqualTo(404);
      assertThat(r.contentType()).startsWith("application/problem+json");
    }
    assertThat(h.call("POST", "/api/v1/jobs/" + id + "/cancel", a.admin, (String) null).status())
        .isEqualTo(404);
    assertThat(h.call("GET", "/api/v1/jobs", a.admin, (String) null).json().get("items")).isEmpty();
  }

  @Test
  void shouldForbidViewerFromSubmittingAndWriteNothing() {
    Harness.Tenant t = h.tenant("viewer");
    String viewer = t.token("viewer");
    long outbox = outboxRows(t);
    Response r = h.call("POST", "/api/v1/jobs", viewer, t.copyJob("in", "out"));
    assertThat(r.status()).isEqualTo(403);
    assertThat(r.contentType()).startsWith("application/problem+json");
    assertThat(r.text("detail")).contains("operator");
    assertThat(jobsOf(t)).isZero();
    assertThat(outboxRows(t)).isEqualTo(outbox);
    assertThat(h.call("GET", "/api/v1/jobs", viewer, (String) null).status()).isEqualTo(200);
    assertThat(h.call("POST", "/api/v1/sites", t.token("operator"), Map.of("name", "X")).status())
        .isEqualTo(403);
  }

  @Test
  void shouldRejectMissingMalformedUnknownAndRevokedTokens() {
    Harness.Tenant t = h.tenant("auth");
    String operator = t.token("operator");
    String tokenId = null;
    for (var token : h.call("GET", "/api/v1/tokens", t.admin, (String) null).json()) {
      assertThat(token.has("token")).as("listing never shows secrets").isFalse();
      if (token.get("name").asString().equals("operator-token")) {
        tokenId = token.get("id").asString();
      }
    }
    assertThat(h.call("DELETE", "/api/v1/tokens/" + tokenId, t.admin, (String) null).status())
        .isEqualTo(204);
    List<String> bad = List.of("ferry_" + "x".repeat(43), "not-a-token", operator);
    for (String token : bad) {
      Response r = h.call("POST", "/api/v1/jobs", token, t.copyJob("in", "out"));
      assertThat(r.status()).as(token).isEqualTo(401);
      assertThat(r.contentType()).startsWith("application/problem+json");
    }
    Response none = h.call("GET", "/api/v1/jobs", null, (String) null);
    assertThat(none.status()).isEqualTo(401);
    assertThat(none.text("type")).endsWith("/unauthorized");
    assertThat(jobsOf(t)).isZero();
  }

  @Test
  void shouldRejectBadBodiesWithProblemDocumentsAndWriteNothing() {
    Harness.Tenant t = h.tenant("bad");
    long outbox = outboxRows(t);
    Map<String, String> bodies =
        Map.of(
            "malformed",
            "{\"source\": {\"endpoint\": \"src\", ",
            "wrong type",
            "{\"source\": \"src\", \"destination\": 42}",
            "wrong enum",
            h.json.writeValueAsString(withField(t, "checksum", "crc64")),
            "dot-dot",
            h.json.writeValueAsString(t.copyJob("in/../../etc", "out")),
            "absolute",
            h.json.writeValueAsString(t.copyJob("/etc/passwd", "out")),
            "unknown endpoint",
            "{\"source\":{\"endpoint\":\"nope\",\"path\":\"a\"},"
                + "\"destination\":{\"endpoint\":\"dst\",\"path\":\"b\"}}",
            "priority type",
            "{\"source\":{\"endpoint\":\"src\"},\"priority\":\"high\"}");
    bodies.forEach(
        (what, body) -> {
          Response r = h.call("POST", "/api/v1/jobs", t.admin, body);
          assertThat(r.status()).as(what + ": " + r.body()).isEqualTo(400);
          assertThat(r.contentType()).as(what).startsWith("application/problem+json");
          assertThat(r.json().get("type").asString())
              .as(what)
              .startsWith("https://ferry.dev/problems/");
          assertThat(r.json().get("detail").asString()).as(what).isNotBlank();
        });
    Response huge =
        h.call("POST", "/api/v1/jobs", t.admin, "{\"x\":\"" + "a".repeat(70_000) + "\"}");
    assertThat(huge.status()).isEqualTo(413);
    assertThat(huge.contentType()).startsWith("application/problem+json");
    assertThat(huge.text("type")).endsWith("/request-too-large");
    assertThat(jobsOf(t)).isZero();
    assertThat(outboxRows(t)).isEqualTo(outbox);
  }

  @Test
  void shouldPageJobsWithACursor() {
    Harness.Tenant t = h.tenant("page");
    for (int i = 0; i < 5; i++) {
      assertThat(h.call("POST", "/api/v1/jobs", t.admin, t.copyJob("in" + i, "out")).status())
          .isEqualTo(201);
    }
    List<String> seen = new ArrayList<>();
    String cursor = null;
    do {
      Response page =
          h.call(
              "GET",
              "/api/v1/jobs?limit=2" + (cursor == null ? "" : "&cursor=" + cursor),
              t.admin,
              (String) null);
      page.json().get("items").forEach(j -> seen.add(j.get("id").asString()));
      cursor = page.json().hasNonNull("next") ? page.text("next") : null;
    } while (cursor != null);
    assertThat(seen).hasSize(5).doesNotHaveDuplicates();
  }

  @Test
  void shouldServeOpenApiHealthAndMetricsWithoutAToken() {
    Response api = h.call("GET", "/api/v1/openapi.yaml", null, (String) null);
    assertThat(api.status()).isEqualTo(200);
    assertThat(api.contentType()).startsWith("application/yaml");
    assertThat(api.body()).contains("openapi: 3.1");

    Response ready = h.call("GET", "/actuator/health/readiness", null, (String) null);
    assertThat(ready.status()).as(ready.body()).isEqualTo(200);
    assertThat(ready.json().get("components").propertyNames()).contains("db", "kafka");

    Response metrics = h.call("GET", "/metrics", null, (String) null);
    assertThat(metrics.status()).isEqualTo(200);
    assertThat(metrics.body()).contains("jvm_memory_used_bytes", "process_cpu_usage");
  }

  private Map<String, Object> withField(Harness.Tenant t, String field, Object value) {
    Map<String, Object> m = new java.util.HashMap<>(t.copyJob("in", "out"));
    m.put(field, value);
    return m;
  }

  private long jobsOf(Harness.Tenant t) {
    return h.db()
        .sql("SELECT count(*) FROM jobs WHERE tenant_id = ?")
        .param(t.id)
        .query(Long.class)
        .single();
  }

  /** Outbox rows about this tenant (other tests' jobs keep writing theirs concurrently). */
  private long outboxRows(Harness.Tenant t) {
    return h.db()
        .sql("SELECT count(*) FROM outbox WHERE payload LIKE ?")
        .param("%" + t.id + "%")
        .query(Long.class)
        .single();
  }
}
