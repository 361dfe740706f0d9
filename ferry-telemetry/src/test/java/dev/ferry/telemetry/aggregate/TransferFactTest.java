package dev.ferry.telemetry.aggregate;

import static dev.ferry.telemetry.Facts.fact;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ferry.model.Json;
import dev.ferry.model.event.Envelope;
import java.time.Instant;
import org.junit.jupiter.api.Test;

class TransferFactTest {
  private static final Instant T0 = Instant.parse("2026-03-01T10:00:00Z");

  @Test
  void shouldReadTheControlPlanesFact() {
    var b = fact(T0).link("SITE_A", "SITE_C").failed("io", true).attempt(2).duration(1_234);
    Envelope wire = Json.mapper().readValue(b.json(), Envelope.class);

    TransferFact f = TransferFact.fromEnvelope(wire);

    assertThat(f.eventId()).isEqualTo(b.id());
    assertThat(f.time()).isEqualTo(T0);
    assertThat(f.link())
        .isEqualTo(new LinkKey(dev.ferry.telemetry.Facts.TENANT, "SITE_A", "SITE_C"));
    assertThat(f.outcome()).isEqualTo(Outcome.FAILED);
    assertThat(f.errorClass()).isEqualTo("io");
    assertThat(f.retryable()).isTrue();
    assertThat(f.attempt()).isEqualTo(2);
    assertThat(f.durationMillis()).isEqualTo(1_234);
  }

  @Test
  void shouldIgnoreUnknownFieldsAndTakeTheTenantFromTheEnvelopeWhenMissing() {
    String json =
        "{\"id\":\"e1\",\"type\":\"dev.ferry.transfer.completed\",\"time\":\"2026-03-01T10:00:00Z\","
            + "\"tenant\":\"t1\",\"dataschema\":\"dev.ferry.transfer.completed/1\",\"extra\":1,"
            + "\"data\":{\"sourceSite\":\"A\",\"destinationSite\":\"B\",\"outcome\":\"succeeded\","
            + "\"bytes\":5,\"taskDurationMillis\":7,\"newField\":{\"x\":1}}}";

    TransferFact f = TransferFact.fromEnvelope(Json.mapper().readValue(json, Envelope.class));

    assertThat(f.tenant()).isEqualTo("t1");
    assertThat(f.bytes()).isEqualTo(5);
  }

  @Test
  void shouldRejectAnUnknownSchemaVersion() {
    Envelope e = fact(T0).schema("dev.ferry.transfer.completed/2").envelope();
    assertThatThrownBy(() -> TransferFact.fromEnvelope(e))
        .isInstanceOf(InvalidFactException.class)
        .hasMessageContaining("unknown schema version dev.ferry.transfer.completed/2");
  }

  @Test
  void shouldRejectAFactWithoutItsLinkOrWithAnUnknownOutcome() {
    String noDst =
        "{\"id\":\"e2\",\"type\":\"dev.ferry.transfer.completed\",\"time\":\"2026-03-01T10:00:00Z\","
            + "\"tenant\":\"t1\",\"dataschema\":\"dev.ferry.transfer.completed/1\","
            + "\"data\":{\"sourceSite\":\"A\",\"outcome\":\"succeeded\"}}";
    String badOutcome =
        noDst.replace(
            "\"outcome\":\"succeeded\"", "\"destinationSite\":\"B\",\"outcome\":\"lost\"");
    String badBytes =
        noDst.replace("\"outcome\"", "\"destinationSite\":\"B\",\"bytes\":\"many\",\"outcome\"");

    assertThatThrownBy(
            () -> TransferFact.fromEnvelope(Json.mapper().readValue(noDst, Envelope.class)))
        .isInstanceOf(InvalidFactException.class)
        .hasMessageContaining("e2 lacks data.destinationSite");
    assertThatThrownBy(
            () -> TransferFact.fromEnvelope(Json.mapper().readValue(badOutcome, Envelope.class)))
        .isInstanceOf(InvalidFactException.class)
        .hasMessageContaining("unknown outcome 'lost'");
    assertThatThrownBy(
            () -> TransferFact.fromEnvelope(Json.mapper().readValue(badBytes, Envelope.class)))
        .isInstanceOf(InvalidFactException.class)
        .hasMessageContaining("data.bytes is not an integer");
  }
}
