package dev.ferry.control;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ferry.model.Json;
import dev.ferry.model.Tokens;
import dev.ferry.model.webhook.WebhookSecret;
import dev.ferry.testsupport.SettableClock;
import dev.ferry.testsupport.SharedKafka;
import dev.ferry.testsupport.SharedPostgres;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import java.util.UUID;
import java.util.function.BooleanSupplier;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.web.server.context.WebServerApplicationContext;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.jdbc.core.simple.JdbcClient;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * One control plane per test JVM, on its own fresh database and the shared Kafka broker, with a
 * settable clock and the sweeper's timer effectively off (tests call {@code sweepOnce()}). Each
 * test makes its own tenant, so tests do not see each other's objects.
 */
public final class Harness {
  private static Harness instance;

  public final ConfigurableApplicationContext context;
  public final String baseUrl;
  public final SettableClock clock = new SettableClock(Instant.now());
  public final String adminToken = Tokens.generate(new SecureRandom());
  public final WebhookSecret workerSecret = WebhookSecret.generate(new SecureRandom());
  public final Path dataDir;
  public final JsonMapper json = Json.mapper();
  private final HttpClient http = HttpClient.newHttpClient();

  private Harness() throws IOException {
    dataDir = Files.createTempDirectory("ferry-control-it");
    Map<String, Object> props = new HashMap<>();
    props.put("spring.datasource.url", SharedPostgres.freshDatabase("control"));
    props.put("spring.datasource.username", SharedPostgres.instance().username());
    props.put("spring.datasource.password", SharedPostgres.instance().password());
    props.put("ferry.kafka.bootstrap-servers", SharedKafka.bootstrapServers());
    props.put("ferry.kafka.partitions", 3);
    props.put("ferry.kafka.relay-idle", "50ms");
    props.put("ferry.data-dir", dataDir.toString());
    props.put("ferry.admin-token", adminToken);
    props.put("ferry.worker-secrets", workerSecret.encode());
    props.put("ferry.sweep-interval", "1h");
    props.put("ferry.max-request-bytes", 65536);
    props.put("server.port", 0);
    context =
        new SpringApplicationBuilder(ControlPlaneApplication.class)
            .properties(props)
            .initializers(ctx -> ctx.getBeanFactory().registerSingleton("clock", clock))
            .run();
    baseUrl =
        "http://127.0.0.1:" + ((WebServerApplicationContext) context).getWebServer().getPort();
  }

  public static synchronized Harness get() {
    if (instance == null) {
      try {
        instance = new Harness();
      } catch (IOException e) {
        throw new IllegalStateException(e);
      }
      Runtime.getRuntime().addShutdownHook(new Thread(instance.context::close));
    }
    return instance;
  }

  public <T> T bean(Class<T> type) {
    return context.getBean(type);
  }

  public JdbcClient db() {
    return bean(JdbcClient.class);
  }

  /** A response: status, headers and body parsed as JSON when there is one. */
  public record Response(int status, String contentType, String body, JsonNode json) {
    public String text(String field) {
      return json.get(field).asString();
    }
  }

  public Response call(String method, String path, String token, String body, String... headers) {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(baseUrl + path));
    if (token != null) {
      b.header("Authorization", "Bearer " + token);
    }
    if (body != null) {
      b.header("Content-Type", "application/json");
    }
    for (int i = 0; i < headers.length; i += 2) {
      b.header(headers[i], headers[i + 1]);
    }
    b.method(
        method,
        body == null
            ? HttpRequest.BodyPublishers.noBody()
            : HttpRequest.BodyPublishers.ofString(body));
    try {
      HttpResponse<String> r = http.send(b.build(), HttpResponse.BodyHandlers.ofString());
      String type = r.headers().firstValue("Content-Type").orElse("");
      JsonNode node = r.body().isBlank() || !type.contains("json") ? null : json.readTree(r.body());
      return new Response(r.statusCode(), type, r.body(), node);
    } catch (IOException e) {
      throw new IllegalStateException(method + " " + path + ": " + e, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  public Response call(String method, String path, String token, Object body) {
    String text = body == null ? null : json.writeValueAsString(body);
    return call(method, path, token, text, new String[0]);
  }

  /** A tenant with two sites and two local endpoints rooted in fresh directories. */
  public final class Tenant {
    public final UUID id;
    public final String admin;
    public final Path root;
    public final Path source;
    public final Path destination;
    public final String sourceSite;
    public final String destSite;

    Tenant(String name) throws IOException {
      Response r = call("POST", "/api/v1/tenants", adminToken, Map.of("name", name));
      assertThat(r.status()).as(r.body()).isEqualTo(201);
      id = UUID.fromString(r.json().get("tenant").get("id").asString());
      admin = r.json().get("adminToken").get("token").asString();
      root = Files.createTempDirectory(dataDir, name);
      source = Files.createDirectories(root.resolve("src"));
      destination = Files.createDirectories(root.resolve("dst"));
      // Site names are unique per test tenant, so a test's worker (filtering by site) only
      // executes that test's tasks.
      String suffix = name.substring(name.lastIndexOf('-') + 1).toUpperCase();
      sourceSite = "SRC_" + suffix;
      destSite = "DST_" + suffix;
      created(call("POST", "/api/v1/sites", admin, Map.of("name", sourceSite)));
      created(call("POST", "/api/v1/sites", admin, Map.of("name", destSite)));
      created(
          call(
              "POST",
              "/api/v1/endpoints",
              admin,
              Map.of("name", "src", "site", sourceSite, "uri", source.toUri().toString())));
      created(
          call(
              "POST",
              "/api/v1/endpoints",
              admin,
              Map.of("name", "dst", "site", destSite, "uri", destination.toUri().toString())));
    }

    public String token(String role) {
      Response r =
          call("POST", "/api/v1/tokens", admin, Map.of("name", role + "-token", "role", role));
      created(r);
      return r.text("token");
    }

    public Map<String, Object> copyJob(String from, String to) {
      return Map.of(
          "source", Map.of("endpoint", "src", "path", from),
          "destination", Map.of("endpoint", "dst", "path", to));
    }

    /** Writes {@code count} files of varied sizes below {@code source/dir}. */
    public void files(String dir, int count, int maxBytes) throws IOException {
      java.util.Random random = new java.util.Random(count);
      for (int i = 0; i < count; i++) {
        Path f = source.resolve(dir).resolve("d" + (i % 7)).resolve("f-" + i + ".bin");
        Files.createDirectories(f.getParent());
        byte[] data = new byte[random.nextInt(maxBytes + 1)];
        random.nextBytes(data);
        Files.write(f, data);
      }
    }

    /** Submits a copy job and returns its id. */
    public UUID submit(String from, String to) {
      Response r = call("POST", "/api/v1/jobs", admin, copyJob(from, to));
      created(r);
      return UUID.fromString(r.text("id"));
    }

    /** A worker that executes this tenant's tasks, with the harness clock and secret. */
    public dev.ferry.worker.Worker worker(String id) {
      dev.ferry.worker.Worker w =
          new dev.ferry.worker.Worker(
              dev.ferry.worker.WorkerConfig.builder()
                  .controlPlaneUrl(baseUrl)
                  .kafkaBootstrapServers(SharedKafka.bootstrapServers())
                  .site(destSite)
                  .workerId(id)
                  .webhookSecret(workerSecret)
                  .heartbeatInterval(Duration.ofMillis(500))
                  .clock(clock)
                  .build());
      w.start();
      return w;
    }

    public String state(UUID jobId) {
      return job(jobId).get("state").asString();
    }

    public JsonNode job(UUID jobId) {
      return call("GET", "/api/v1/jobs/" + jobId, admin, (String) null).json();
    }
  }

  public Tenant tenant(String prefix) {
    try {
      return new Tenant(prefix + "-" + UUID.randomUUID().toString().substring(0, 8));
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  static void created(Response r) {
    assertThat(r.status()).as(r.body()).isEqualTo(201);
  }

  /** Waits for a condition, polling; fails with {@code what} after {@code timeout}. */
  public static void await(String what, Duration timeout, BooleanSupplier condition) {
    org.awaitility.Awaitility.await(what)
        .atMost(timeout)
        .pollInterval(Duration.ofMillis(20))
        .until(condition::getAsBoolean);
  }
}
