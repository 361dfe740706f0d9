package dev.ferry.worker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ferry.model.ChecksumAlgorithm;
import dev.ferry.model.OverwritePolicy;
import dev.ferry.model.TransferMode;
import dev.ferry.model.protocol.ClaimRequest;
import dev.ferry.model.protocol.CompleteRequest;
import dev.ferry.model.protocol.EndpointRef;
import dev.ferry.model.protocol.FileItem;
import dev.ferry.model.protocol.FileResult;
import dev.ferry.model.protocol.HeartbeatRequest;
import dev.ferry.model.protocol.HeartbeatResponse;
import dev.ferry.model.protocol.Lease;
import dev.ferry.model.protocol.ReleaseRequest;
import dev.ferry.model.protocol.WorkerProtocol;
import dev.ferry.model.webhook.WebhookSecret;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

class ControlPlaneClientTest {
  private static final UUID TASK = UUID.fromString("00000000-0000-0000-0000-00000000000a");

  private FakeControlPlane server;
  private final List<Duration> pauses = new ArrayList<>();
  private ControlPlaneClient client;

  @BeforeEach
  void start() throws Exception {
    server = new FakeControlPlane();
    client = client(server.url(), server.secret);
  }

  @AfterEach
  void stop() {
    server.close();
  }

  private ControlPlaneClient client(URI url, WebhookSecret secret) {
    return ControlPlaneClient.builder(url, secret)
        .clock(Clock.systemUTC())
        .maxAttempts(3)
        .requestTimeout(Duration.ofSeconds(10))
        .sleeper(pauses::add)
        .build();
  }

  static Lease lease(UUID task, int attempt) {
    return new Lease(
        task,
        UUID.randomUUID(),
        attempt,
        Instant.parse("2026-05-01T10:15:30Z"),
        TransferMode.COPY,
        ChecksumAlgorithm.CRC32C,
        OverwritePolicy.IF_DIFFERENT,
        new EndpointRef("src", "file:///a", Map.of()),
        new EndpointRef("dst", "file:///b", Map.of()),
        List.of(new FileItem("x", "x", 1)));
  }

  @Test
  void shouldSignClaimAndReadLeaseWithIsoInstants() {
    server.on("claim", call -> FakeControlPlane.Answer.json(lease(call.taskId(), 3)));

    Lease lease = client.claim(TASK, new ClaimRequest("w1", 3));

    assertThat(lease.taskId()).isEqualTo(TASK);
    assertThat(lease.attempt()).isEqualTo(3);
    assertThat(lease.expiresAt()).isEqualTo(Instant.parse("2026-05-01T10:15:30Z"));
    assertThat(server.rejections).isEmpty();
    FakeControlPlane.Call call = server.calls("claim").get(0);
    assertThat(call.webhookId()).startsWith("msg_");
    assertThat(call.body().get("workerId").asString()).isEqualTo("w1");
    assertThat(call.body().get("attempt").asInt()).isEqualTo(3);
  }

  @Test
  void shouldSendCompleteAndReturnTheAnswer() {
    JsonNode answer =
        client.complete(
            TASK,
            new CompleteRequest(
                "w1",
                1,
                1234,
                List.of(new FileResult("a", FileResult.Status.SUCCEEDED, 5, "e3069283", null))));

    assertThat(answer.get("state").asString()).isEqualTo("SUCCEEDED");
    JsonNode body = server.calls("complete").get(0).body();
    assertThat(body.get("durationMillis").asLong()).isEqualTo(1234);
    assertThat(body.get("files").get(0).get("status").asString()).isEqualTo("SUCCEEDED");
  }

  @Test
  void shouldMapConflictToStaleAttemptWithoutRetry() {
    server.on("heartbeat", call -> FakeControlPlane.Answer.stale("attempt 2 is current"));

    assertThatThrownBy(() -> client.heartbeat(TASK, new HeartbeatRequest("w1", 1, 10, 0)))
        .isInstanceOfSatisfying(
            StaleAttemptException.class,
            e -> {
              assertThat(e.taskId()).isEqualTo(TASK);
              assertThat(e.attempt()).isEqualTo(1);
              assertThat(e.status()).isEqualTo(409);
              assertThat(e.problemType()).isEqualTo(WorkerProtocol.STALE_ATTEMPT);
              assertThat(e.getMessage())
                  .contains("heartbeat", TASK.toString(), "attempt 1", "attempt 2 is current");
            });
    assertThat(server.calls("heartbeat")).hasSize(1);
  }

  @Test
  void shouldRetryServerErrorsWithNewWebhookIdEachTime() {
    AtomicInteger n = new AtomicInteger();
    server.on(
        "heartbeat",
        call ->
            n.incrementAndGet() < 3
                ? FakeControlPlane.Answer.status(503)
                : FakeControlPlane.Answer.json(
                    new HeartbeatResponse(HeartbeatResponse.Action.CONTINUE, Instant.EPOCH)));

    HeartbeatResponse answer = client.heartbeat(TASK, new HeartbeatRequest("w1", 1, 10, 0));

    assertThat(answer.action()).isEqualTo(HeartbeatResponse.Action.CONTINUE);
    assertThat(server.calls("heartbeat")).hasSize(3);
    assertThat(server.calls("heartbeat").stream().map(FakeControlPlane.Call::webhookId).distinct())
        .hasSize(3);
    assertThat(server.rejections).isEmpty();
    assertThat(pauses).hasSize(2);
  }

  @Test
  void shouldGiveUpAfterMaxAttemptsNamingTheCall() {
    server.on("release", call -> FakeControlPlane.Answer.status(500));

    assertThatThrownBy(() -> client.release(TASK, new ReleaseRequest("w1", 2)))
        .isInstanceOfSatisfying(
            ControlPlaneException.class,
            e -> {
              assertThat(e).isNotInstanceOf(StaleAttemptException.class);
              assertThat(e.status()).isEqualTo(500);
              assertThat(e.retryable()).isTrue();
              assertThat(e.getMessage()).contains("release", TASK.toString(), "after 3 attempts");
            });
    assertThat(server.calls("release")).hasSize(3);
  }

  @Test
  void shouldNotRetryUnauthorizedAndHintAtSecret() {
    ControlPlaneClient wrongSecret =
        client(server.url(), WebhookSecret.generate(new SecureRandom()));

    assertThatThrownBy(() -> wrongSecret.claim(TASK, new ClaimRequest("w1", 1)))
        .isInstanceOfSatisfying(
            ControlPlaneException.class,
            e -> {
              assertThat(e.status()).isEqualTo(401);
              assertThat(e.retryable()).isFalse();
              assertThat(e.getMessage()).contains("webhook secret");
            });
    assertThat(server.rejections).singleElement().asString().startsWith("BAD_SIGNATURE");
    assertThat(pauses).isEmpty();
  }

  @Test
  void shouldRetryConnectionFailures() throws Exception {
    int port;
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      port = s.getLocalPort();
    }
    ControlPlaneClient unreachable = client(URI.create("http://127.0.0.1:" + port), server.secret);

    assertThatThrownBy(() -> unreachable.claim(TASK, new ClaimRequest("w1", 1)))
        .isInstanceOfSatisfying(
            ControlPlaneException.class,
            e -> {
              assertThat(e.status()).isZero();
              assertThat(e.retryable()).isTrue();
              assertThat(e.getMessage()).contains("claim", "after 3 attempts", "127.0.0.1:" + port);
            });
    assertThat(pauses).hasSize(2);
  }

  @Test
  void shouldKeepBasePathOfControlPlaneUrl() {
    ControlPlaneClient withSlash = client(URI.create(server.url() + "/"), server.secret);
    withSlash.release(TASK, new ReleaseRequest("w1", 1));
    assertThat(server.calls("release")).hasSize(1);
  }
}
