package dev.ferry.worker;

import dev.ferry.model.Backoff;
import dev.ferry.model.Json;
import dev.ferry.model.protocol.ClaimRequest;
import dev.ferry.model.protocol.CompleteRequest;
import dev.ferry.model.protocol.HeartbeatRequest;
import dev.ferry.model.protocol.HeartbeatResponse;
import dev.ferry.model.protocol.Lease;
import dev.ferry.model.protocol.ReleaseRequest;
import dev.ferry.model.protocol.WorkerProtocol;
import dev.ferry.model.webhook.WebhookSecret;
import dev.ferry.model.webhook.WebhookSigner;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Objects;
import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Function;
import java.util.random.RandomGenerator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The worker's side of {@code WorkerProtocol}: JSON POSTs signed in the Standard Webhooks format.
 *
 * <p>Every HTTP attempt carries a fresh {@code webhook-id} ({@code msg_<uuid>}) and timestamp, also
 * when it retries the same logical call: the control plane rejects replayed ids. Connection
 * failures, timeouts, 429 and 5xx are retried up to {@code maxAttempts} times with exponential
 * backoff and full jitter; 409 becomes {@link StaleAttemptException} at once; any other status
 * fails at once with {@link ControlPlaneException}. The control plane makes claim (for the same
 * worker) and complete (for the same attempt) idempotent, so a retry after a lost answer is safe.
 *
 * <p>Thread-safe; one instance serves all tasks of a worker. Calls block the calling thread; an
 * interrupt aborts the call with a {@link ControlPlaneException} and keeps the interrupt flag.
 */
public final class ControlPlaneClient {
  private static final Logger log = LoggerFactory.getLogger(ControlPlaneClient.class);

  /** Waits between retries; replaced in tests so that they do not sleep. */
  @FunctionalInterface
  interface Sleeper {
    void sleep(Duration duration) throws InterruptedException;
  }

  private final String baseUrl;
  private final WebhookSigner signer;
  private final Clock clock;
  private final HttpClient http;
  private final JsonMapper json;
  private final Backoff backoff;
  private final int maxAttempts;
  private final Duration requestTimeout;
  private final RandomGenerator random;
  private final Sleeper sleeper;

  private ControlPlaneClient(Builder b) {
    String url = b.baseUrl.toString();
    this.baseUrl = url.endsWith("/") ? url.substring(0, url.length() - 1) : url;
    this.signer = new WebhookSigner(b.secret);
    this.clock = b.clock;
    this.http =
        b.httpClient != null
            ? b.httpClient
            : HttpClient.newBuilder()
                .connectTimeout(b.connectTimeout)
                .version(HttpClient.Version.HTTP_1_1)
                .build();
    this.json = Json.mapper();
    this.backoff = b.backoff;
    this.maxAttempts = b.maxAttempts;
    this.requestTimeout = b.requestTimeout;
    this.random = b.random;
    this.sleeper = b.sleeper;
  }

  /** A client with the defaults: 4 attempts, backoff base 250 ms, max 5 s, 30 s per request. */
  public ControlPlaneClient(URI baseUrl, WebhookSecret secret, Clock clock) {
    this(builder(baseUrl, secret).clock(clock));
  }

  public static Builder builder(URI baseUrl, WebhookSecret secret) {
    return new Builder(baseUrl, secret);
  }

  /**
   * Claims {@code request.attempt()} of a task.
   *
   * @throws StaleAttemptException when the attempt is not current or the task is not claimable
   * @throws ControlPlaneException for any other refusal, or when the control plane stayed
   *     unreachable
   */
  public Lease claim(UUID taskId, ClaimRequest request) {
    return call(
        "claim",
        taskId,
        request.attempt(),
        WorkerProtocol.claimPath(taskId),
        request,
        body -> json.readValue(body, Lease.class));
  }

  /**
   * Reports progress and extends the lease; the answer says whether to continue.
   *
   * @throws StaleAttemptException when the attempt is no longer current
   */
  public HeartbeatResponse heartbeat(UUID taskId, HeartbeatRequest request) {
    return call(
        "heartbeat",
        taskId,
        request.attempt(),
        WorkerProtocol.heartbeatPath(taskId),
        request,
        body -> json.readValue(body, HeartbeatResponse.class));
  }

  /**
   * Reports the per-file results of an attempt.
   *
   * @return the control plane's answer (the task's resulting state), an empty object when it sent
   *     no body
   * @throws StaleAttemptException when the attempt is no longer current
   */
  public JsonNode complete(UUID taskId, CompleteRequest request) {
    return call(
        "complete",
        taskId,
        request.attempt(),
        WorkerProtocol.completePath(taskId),
        request,
        this::readTree);
  }

  /**
   * Gives the lease back (worker shutting down); the task is re-queued at once.
   *
   * @throws StaleAttemptException when the attempt is no longer current
   */
  public void release(UUID taskId, ReleaseRequest request) {
    call(
        "release",
        taskId,
        request.attempt(),
        WorkerProtocol.releasePath(taskId),
        request,
        body -> null);
  }

  private JsonNode readTree(byte[] body) {
    return body.length == 0 ? json.createObjectNode() : json.readTree(body);
  }

  private <T> T call(
      String what,
      UUID taskId,
      int attempt,
      String path,
      Object request,
      Function<byte[], T> reader) {
    byte[] body = json.writeValueAsBytes(request);
    URI uri = URI.create(baseUrl + path);
    String subject = what + " of task " + taskId + " attempt " + attempt;
    Exception lastError = null;
    String lastProblem = "no answer";
    int lastStatus = 0;
    for (int n = 1; n <= maxAttempts; n++) {
      if (n > 1) {
        pause(subject, n - 1, lastError);
      }
      HttpResponse<byte[]> response;
      try {
        response = http.send(signed(uri, body), HttpResponse.BodyHandlers.ofByteArray());
      } catch (IOException e) {
        lastError = e;
        lastProblem = e.toString();
        lastStatus = 0;
        log.debug("{}: attempt {}/{} failed: {}", subject, n, maxAttempts, e.toString());
        continue;
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new ControlPlaneException(subject + " interrupted", 0, true, e);
      }
      int status = response.statusCode();
      byte[] answer = response.body() == null ? new byte[0] : response.body();
      if (status >= 200 && status < 300) {
        try {
          return reader.apply(answer);
        } catch (JacksonException e) {
          throw new ControlPlaneException(
              subject + ": unreadable answer (HTTP " + status + "): " + e.getOriginalMessage(),
              status,
              false,
              e);
        }
      }
      String problem = problemText(answer);
      if (status == 409) {
        throw new StaleAttemptException(
            subject + " rejected as stale: " + problem, taskId, attempt, problemType(answer));
      }
      if (status == 429 || status >= 500) {
        lastStatus = status;
        lastProblem = "HTTP " + status + " " + problem;
        lastError = null;
        log.debug("{}: attempt {}/{} answered {}", subject, n, maxAttempts, status);
        continue;
      }
      String hint = status == 401 ? " (check the webhook secret and the clock)" : "";
      throw new ControlPlaneException(
          subject + " refused: HTTP " + status + " " + problem + hint, status, false, null);
    }
    throw new ControlPlaneException(
        subject
            + " failed after "
            + maxAttempts
            + " attempts against "
            + baseUrl
            + ": "
            + lastProblem,
        lastStatus,
        true,
        lastError);
  }

  private HttpRequest signed(URI uri, byte[] body) {
    String id = "msg_" + UUID.randomUUID();
    Instant now = clock.instant();
    return HttpRequest.newBuilder(uri)
        .timeout(requestTimeout)
        .header("Content-Type", "application/json")
        .header("Accept", "application/json, application/problem+json")
        .header(WebhookSigner.HEADER_ID, id)
        .header(WebhookSigner.HEADER_TIMESTAMP, Long.toString(now.getEpochSecond()))
        .header(WebhookSigner.HEADER_SIGNATURE, signer.sign(id, now, body))
        .POST(HttpRequest.BodyPublishers.ofByteArray(body))
        .build();
  }

  private void pause(String subject, int retry, Exception cause) {
    Duration delay = backoff.delay(retry, random != null ? random : ThreadLocalRandom.current());
    try {
      sleeper.sleep(delay);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      ControlPlaneException interrupted =
          new ControlPlaneException(subject + " interrupted while backing off", 0, true, e);
      if (cause != null) {
        interrupted.addSuppressed(cause);
      }
      throw interrupted;
    }
  }

  private String problemText(byte[] body) {
    if (body.length == 0) {
      return "(no body)";
    }
    try {
      JsonNode node = json.readTree(body);
      String detail = text(node, "detail");
      String title = text(node, "title");
      if (detail != null || title != null) {
        return (title == null ? "" : title + ": ") + (detail == null ? "" : detail);
      }
    } catch (JacksonException e) {
      // not JSON: show the start of it
    }
    String text = new String(body, StandardCharsets.UTF_8);
    return text.length() > 200 ? text.substring(0, 200) + "…" : text;
  }

  private String problemType(byte[] body) {
    try {
      return body.length == 0 ? null : text(json.readTree(body), "type");
    } catch (JacksonException e) {
      return null;
    }
  }

  private static String text(JsonNode node, String field) {
    JsonNode value = node == null ? null : node.get(field);
    return value == null || value.isNull() ? null : value.asString();
  }

  @Override
  public String toString() {
    return "ControlPlaneClient[" + baseUrl + ", maxAttempts=" + maxAttempts + "]";
  }

  /** Validated builder; not thread-safe. */
  public static final class Builder {
    private final URI baseUrl;
    private final WebhookSecret secret;
    private Clock clock = Clock.systemUTC();
    private HttpClient httpClient;
    private Backoff backoff =
        Backoff.exponential().base(Duration.ofMillis(250)).max(Duration.ofSeconds(5)).build();
    private int maxAttempts = 4;
    private Duration requestTimeout = Duration.ofSeconds(30);
    private Duration connectTimeout = Duration.ofSeconds(10);
    private RandomGenerator random; // null: ThreadLocalRandom of the calling thread
    private Sleeper sleeper = d -> Thread.sleep(d.toMillis(), d.toNanosPart() % 1_000_000);

    private Builder(URI baseUrl, WebhookSecret secret) {
      this.baseUrl = Objects.requireNonNull(baseUrl, "baseUrl");
      this.secret = Objects.requireNonNull(secret, "secret");
    }

    public Builder clock(Clock clock) {
      this.clock = Objects.requireNonNull(clock, "clock");
      return this;
    }

    /** A shared client; by default one is built with HTTP/1.1 and a 10 s connect timeout. */
    public Builder httpClient(HttpClient httpClient) {
      this.httpClient = Objects.requireNonNull(httpClient, "httpClient");
      return this;
    }

    public Builder backoff(Backoff backoff) {
      this.backoff = Objects.requireNonNull(backoff, "backoff");
      return this;
    }

    /** HTTP attempts per call, at least 1. */
    public Builder maxAttempts(int maxAttempts) {
      if (maxAttempts < 1) {
        throw new IllegalArgumentException("maxAttempts must be at least 1, got " + maxAttempts);
      }
      this.maxAttempts = maxAttempts;
      return this;
    }

    public Builder requestTimeout(Duration requestTimeout) {
      this.requestTimeout = positive("requestTimeout", requestTimeout);
      return this;
    }

    public Builder connectTimeout(Duration connectTimeout) {
      this.connectTimeout = positive("connectTimeout", connectTimeout);
      return this;
    }

    public Builder random(RandomGenerator random) {
      this.random = Objects.requireNonNull(random, "random");
      return this;
    }

    Builder sleeper(Sleeper sleeper) {
      this.sleeper = Objects.requireNonNull(sleeper, "sleeper");
      return this;
    }

    public ControlPlaneClient build() {
      return new ControlPlaneClient(this);
    }

    private static Duration positive(String name, Duration d) {
      Objects.requireNonNull(d, name);
      if (d.isNegative() || d.isZero()) {
        throw new IllegalArgumentException(name + " must be positive, got " + d);
      }
      return d;
    }
  }
}
