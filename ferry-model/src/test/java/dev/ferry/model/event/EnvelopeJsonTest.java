package dev.ferry.model.event;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatNullPointerException;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ferry.model.Json;
import dev.ferry.model.protocol.TaskDispatched;
import java.time.Instant;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.DeserializationFeature;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

class EnvelopeJsonTest {
  private static final JsonMapper MAPPER = Json.mapper();
  private static final JsonMapper STRICT =
      Json.builder().enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES).build();

  private static final UUID TASK = UUID.fromString("0b7e8f4e-3f5c-4e0a-9a57-1d2b6f0e9c11");
  private static final UUID JOB = UUID.fromString("6f1c2d3e-4b5a-4c7d-8e9f-0a1b2c3d4e5f");
  private static final TaskDispatched PAYLOAD =
      new TaskDispatched(TASK, JOB, 2, "SITE_A", "SITE_B");

  private static final Envelope ENVELOPE =
      new Envelope(
          "evt-0001",
          "/ferry/control",
          EventTypes.TASK_DISPATCHED,
          Envelope.SPEC_VERSION,
          Instant.parse("2026-11-22T10:15:30.5Z"),
          "tenant-1",
          TASK.toString(),
          EventTypes.schemaV1(EventTypes.TASK_DISPATCHED),
          MAPPER.valueToTree(PAYLOAD));

  @Test
  void shouldReadBackWhatItWrites() {
    String json = MAPPER.writeValueAsString(ENVELOPE);

    Envelope back = MAPPER.readValue(json, Envelope.class);

    assertThat(back).isEqualTo(ENVELOPE);
    assertThat(MAPPER.treeToValue(back.data(), TaskDispatched.class)).isEqualTo(PAYLOAD);
  }

  @Test
  void shouldUseCloudEventsAttributeNamesAndIsoTime() {
    JsonNode tree = MAPPER.valueToTree(ENVELOPE);

    assertThat(tree.propertyNames())
        .containsExactlyInAnyOrder(
            "id",
            "source",
            "type",
            "specversion",
            "time",
            "tenant",
            "subject",
            "dataschema",
            "data");
    assertThat(tree.get("time").stringValue()).isEqualTo("2026-11-22T10:15:30.500Z");
    assertThat(tree.get("specversion").stringValue()).isEqualTo("1.0");
    assertThat(tree.get("dataschema").stringValue()).isEqualTo("dev.ferry.task.dispatched/1");
    assertThat(tree.get("data").get("sourceSite").stringValue()).isEqualTo("SITE_A");
  }

  @Test
  void shouldIgnoreUnknownAttributes() {
    ObjectNode tree = MAPPER.valueToTree(ENVELOPE);
    tree.put("traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01");
    tree.putObject("futureExtension").put("x", 1);

    assertThat(STRICT.treeToValue(tree, Envelope.class)).isEqualTo(ENVELOPE);
  }

  @Test
  void shouldKeepUnknownPayloadFieldsForTheConsumerToJudge() {
    ObjectNode tree = MAPPER.valueToTree(ENVELOPE);
    ((ObjectNode) tree.get("data")).put("priority", 7);

    Envelope back = STRICT.treeToValue(tree, Envelope.class);

    assertThat(back.data().get("priority").intValue()).isEqualTo(7);
    assertThat(STRICT.treeToValue(back.data(), TaskDispatched.class)).isEqualTo(PAYLOAD);
  }

  @Test
  void shouldRejectAnEnvelopeWithoutIdOrType() {
    ObjectNode withoutId = MAPPER.valueToTree(ENVELOPE);
    withoutId.remove("id");
    ObjectNode withoutType = MAPPER.valueToTree(ENVELOPE);
    withoutType.remove("type");

    assertThatThrownBy(() -> MAPPER.treeToValue(withoutId, Envelope.class))
        .isInstanceOf(JacksonException.class)
        .hasRootCauseInstanceOf(NullPointerException.class);
    assertThatThrownBy(() -> MAPPER.treeToValue(withoutType, Envelope.class))
        .isInstanceOf(JacksonException.class);
    assertThatNullPointerException()
        .isThrownBy(
            () -> new Envelope(null, "s", "t", Envelope.SPEC_VERSION, null, null, null, null, null))
        .withMessage("id");
  }

  @Test
  void shouldKeyLinksAsSourceArrowDestination() {
    assertThat(Topics.linkKey("SITE_A", "SITE_B")).isEqualTo("SITE_A->SITE_B");
    assertThat(Topics.ALL).doesNotHaveDuplicates().allMatch(topic -> topic.startsWith("ferry."));
  }
}
