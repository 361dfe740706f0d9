package dev.ferry.control;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ferry.control.consistency.ConsistencyCheck;
import dev.ferry.control.consistency.ConsistencyChecker;
import dev.ferry.control.consistency.ConsistencyReport;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * The harness runs no telemetry role: the endpoint answers 503, while the database-side check still
 * runs against the real outbox table and reaches {@code /metrics}.
 */
class OutboxConsistencyIT {
  private final Harness h = Harness.get();

  private void publishedFact(Harness.Tenant t, String outcome, long bytes, Instant at) {
    Map<String, Object> data =
        Map.of(
            "tenant",
            t.id.toString(),
            "sourceSite",
            t.sourceSite,
            "destinationSite",
            t.destSite,
            "outcome",
            outcome,
            "bytes",
            bytes);
    String payload =
        h.json.writeValueAsString(
            Map.of("id", UUID.randomUUID().toString(), "type", "test", "data", data));
    h.db()
        .sql(
            "INSERT INTO outbox (event_id, topic, event_key, payload, created_at, published_at)"
                + " VALUES (?, 'ferry.transfers', 'k', ?, ?, ?)")
        .params(UUID.randomUUID(), payload, Timestamp.from(at), Timestamp.from(at))
        .update();
  }

  @Test
  void shouldAnswer503WithoutTelemetryAndStillCheckTheOutbox() {
    Harness.Tenant t = h.tenant("consistency");
    Harness.Response r = h.call("GET", "/api/v1/consistency", t.token("viewer"), (String) null);
    assertThat(r.status()).as(r.body()).isEqualTo(503);
    assertThat(r.text("type")).endsWith("/telemetry-unavailable");

    Instant past = h.clock.instant().minus(Duration.ofMinutes(1));
    publishedFact(t, "succeeded", 10, past);
    publishedFact(t, "succeeded", 5, past);
    publishedFact(t, "failed", 0, past);

    ConsistencyReport report =
        h.bean(ConsistencyChecker.class).checkOnce().forTenant(t.id.toString());

    assertThat(report.streamUnavailable()).isTrue();
    List<ConsistencyCheck> checks = report.checks();
    assertThat(checks).extracting(ConsistencyCheck::check).containsOnly("published-vs-database");
    assertThat(checks).allSatisfy(c -> assertThat(c.status()).isEqualTo("ok"));
    assertThat(checks)
        .extracting(c -> c.measure() + ":" + c.outcome() + "=" + c.expected())
        .containsExactlyInAnyOrder("transfers:succeeded=2", "transfers:failed=1", "bytes:null=15");

    String metrics = h.call("GET", "/metrics", null, (String) null).body();
    assertThat(metrics)
        .contains("ferry_consistency_checks")
        .containsPattern(
            "ferry_consistency_drift\\{[^}]*check=\"published-vs-database\"[^}]*tenant=\""
                + t.id
                + "\"[^}]*\\} 0\\.0");
  }
}
