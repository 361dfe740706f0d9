package dev.ferry.control.tasks;

import dev.ferry.control.api.ApiProblem;
import dev.ferry.control.auth.LocalSecrets;
import dev.ferry.model.webhook.WebhookVerifier;
import io.micrometer.core.instrument.MeterRegistry;
import java.sql.Timestamp;
import java.time.Clock;
import java.time.Duration;
import java.util.Locale;
import org.springframework.http.HttpStatus;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Component;

/**
 * Checks a worker callback: Standard Webhooks signature under any current worker secret, timestamp
 * within 5 minutes, and a {@code webhook-id} never seen before (ids are kept for twice the window).
 * Each rejection is counted in {@code ferry_callbacks_rejected_total{reason}}.
 */
@Component
public class CallbackVerifier {
  static final Duration TOLERANCE = Duration.ofMinutes(5);

  private final WebhookVerifier verifier;
  private final JdbcClient db;
  private final Clock clock;
  private final MeterRegistry meters;

  public CallbackVerifier(LocalSecrets secrets, JdbcClient db, Clock clock, MeterRegistry meters) {
    this.verifier = new WebhookVerifier(secrets.workerSecrets(), clock, TOLERANCE);
    this.db = db;
    this.clock = clock;
    this.meters = meters;
  }

  /**
   * @throws ApiProblem 401 when the message is not authentic, fresh and new
   */
  public void verify(String id, String timestamp, String signature, byte[] body) {
    try {
      verifier.verify(id, timestamp, signature, body);
    } catch (WebhookVerifier.VerificationException e) {
      throw reject(e.failure(), e.getMessage());
    }
    int fresh =
        db.sql("INSERT INTO callback_ids (id, received_at) VALUES (?, ?) ON CONFLICT DO NOTHING")
            .params(id, Timestamp.from(clock.instant()))
            .update();
    if (fresh == 0) {
      throw reject(
          WebhookVerifier.Failure.REPLAYED_ID, "webhook-id " + id + " was already received");
    }
  }

  /** Forgets ids older than twice the signature window: their timestamps no longer verify. */
  public int forgetOldIds() {
    return db.sql("DELETE FROM callback_ids WHERE received_at < ?")
        .param(Timestamp.from(clock.instant().minus(TOLERANCE.multipliedBy(2))))
        .update();
  }

  private ApiProblem reject(WebhookVerifier.Failure failure, String detail) {
    String reason = failure.name().toLowerCase(Locale.ROOT);
    meters.counter("ferry.callbacks.rejected", "reason", reason).increment();
    return new ApiProblem(
        HttpStatus.UNAUTHORIZED,
        "callback-" + reason.replace('_', '-'),
        "Callback rejected",
        detail);
  }
}
