package dev.ferry.model.protocol;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ferry.model.ChecksumAlgorithm;
import dev.ferry.model.Json;
import dev.ferry.model.OverwritePolicy;
import dev.ferry.model.TransferMode;
import dev.ferry.model.protocol.FileResult.FileError;
import dev.ferry.model.protocol.FileResult.Status;
import dev.ferry.model.protocol.HeartbeatResponse.Action;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import tools.jackson.databind.DeserializationFeature;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

class ProtocolJsonTest {
  private static final UUID TASK = UUID.fromString("0b7e8f4e-3f5c-4e0a-9a57-1d2b6f0e9c11");
  private static final UUID JOB = UUID.fromString("6f1c2d3e-4b5a-4c7d-8e9f-0a1b2c3d4e5f");
  private static final Instant EXPIRES = Instant.parse("2026-11-22T10:15:30.123456789Z");

  private static final JsonMapper MAPPER = Json.mapper();

  /** Fails on unknown properties, so only the records' own annotations can make them pass. */
  private static final JsonMapper STRICT =
      Json.builder().enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES).build();

  private static final EndpointRef SOURCE =
      new EndpointRef("site-a-data", "file:///srv/data", Map.of());
  private static final EndpointRef DESTINATION =
      new EndpointRef(
          "site-b-bucket",
          "s3://bucket/prefix?endpoint=http://localhost:9000",
          Map.of("accessKeyId", "AKIAEXAMPLE", "secretAccessKey", "s3cr3t-value"));

  private static final FileResult COPIED =
      new FileResult("a/b.bin", Status.SUCCEEDED, 1_048_576L, "e3069283", null);
  private static final FileResult SKIPPED =
      new FileResult("a/c.bin", Status.SKIPPED, 0, null, null);
  private static final FileResult BROKEN =
      new FileResult(
          "a/d.bin",
          Status.FAILED,
          0,
          null,
          new FileError("checksum-mismatch", "expected e3069283, got 00000000", true));

  private static final Lease LEASE =
      new Lease(
          TASK,
          JOB,
          3,
          EXPIRES,
          TransferMode.SYNC,
          ChecksumAlgorithm.CRC32C,
          OverwritePolicy.IF_DIFFERENT,
          SOURCE,
          DESTINATION,
          List.of(new FileItem("a/b.bin", "b/a/b.bin", 1_048_576L), new FileItem("é/ü", "x", 0)));

  static Stream<Object> messages() {
    return Stream.of(
        new ClaimRequest("worker-site-a-1", 3),
        new CompleteRequest("worker-site-a-1", 3, 12_345L, List.of(COPIED, SKIPPED, BROKEN)),
        new CompleteRequest("worker-site-a-1", 1, 0L, List.of()),
        SOURCE,
        DESTINATION,
        new FileItem("dir/file.txt", "other/file.txt", 42L),
        COPIED,
        BROKEN,
        new FileError("io", "connection reset", false),
        new HeartbeatRequest("worker-site-a-1", 3, 9_000_000_000L, 17),
        new HeartbeatRequest(
            "worker-site-a-1",
            3,
            9_000_000_000L,
            17,
            250_000_000L,
            Map.of(
                "a/b.bin", new ResumePoint("tok", 8_388_608L, List.of("e3069283"), 20_000_000L))),
        new Lease(
            TASK,
            JOB,
            4,
            EXPIRES,
            TransferMode.COPY,
            ChecksumAlgorithm.CRC32C,
            OverwritePolicy.ALWAYS,
            SOURCE,
            DESTINATION,
            List.of(new FileItem("a/b.bin", "b/a/b.bin", 20_000_000L)),
            Map.of(
                "a/b.bin",
                new ResumePoint("tok", 8_388_608L, List.of("e3069283", "00000000"), 20_000_000L))),
        new HeartbeatResponse(Action.CONTINUE, EXPIRES),
        new HeartbeatResponse(Action.CANCEL, null),
        LEASE,
        new ReleaseRequest("worker-site-a-1", 3),
        new TaskDispatched(TASK, JOB, 3, "SITE_A", "SITE_B"));
  }

  @ParameterizedTest
  @MethodSource("messages")
  void shouldReadBackWhatItWrites(Object message) {
    String json = MAPPER.writeValueAsString(message);

    assertThat(MAPPER.readValue(json, message.getClass())).isEqualTo(message);
  }

  @ParameterizedTest
  @MethodSource("messages")
  void shouldIgnoreUnknownFieldsAtEveryLevel(Object message) {
    JsonNode tree = MAPPER.valueToTree(message);
    addUnknownFields(tree);

    assertThat(STRICT.treeToValue(tree, message.getClass())).isEqualTo(message);
  }

  @Test
  void shouldWriteInstantsAsIsoStrings() {
    JsonNode lease = MAPPER.valueToTree(LEASE);

    assertThat(lease.get("expiresAt").isString()).isTrue();
    assertThat(lease.get("expiresAt").stringValue()).isEqualTo("2026-11-22T10:15:30.123456789Z");
  }

  @Test
  void shouldWriteEnumsByNameAndUuidsAsStrings() {
    JsonNode lease = MAPPER.valueToTree(LEASE);

    assertThat(lease.get("mode").stringValue()).isEqualTo("SYNC");
    assertThat(lease.get("checksum").stringValue()).isEqualTo("CRC32C");
    assertThat(lease.get("overwrite").stringValue()).isEqualTo("IF_DIFFERENT");
    assertThat(lease.get("taskId").stringValue()).isEqualTo(TASK.toString());
    assertThat(MAPPER.valueToTree(BROKEN).get("status").stringValue()).isEqualTo("FAILED");
  }

  @Test
  void shouldReadAMessageWrittenByAnotherImplementation() {
    String json =
        """
        {"workerId": "w-9", "attempt": 2, "durationMillis": 10,
         "files": [{"source": "x", "status": "FAILED", "bytes": 0,
                    "error": {"errorClass": "not-found", "message": "gone", "retryable": false,
                              "hint": "added in v2"}}],
         "traceId": "abc"}
        """;

    CompleteRequest request = STRICT.readValue(json, CompleteRequest.class);

    assertThat(request)
        .isEqualTo(
            new CompleteRequest(
                "w-9",
                2,
                10,
                List.of(
                    new FileResult(
                        "x", Status.FAILED, 0, null, new FileError("not-found", "gone", false)))));
  }

  @Test
  void shouldNeverShowCredentialsInToString() {
    assertThat(DESTINATION.toString())
        .contains("site-b-bucket")
        .contains("<redacted>")
        .doesNotContain("s3cr3t-value")
        .doesNotContain("AKIAEXAMPLE");
    assertThat(LEASE.toString()).doesNotContain("s3cr3t-value");
  }

  @Test
  void shouldBuildCallbackPathsFromTheTaskId() {
    String base = "/internal/v1/tasks/" + TASK;

    assertThat(WorkerProtocol.claimPath(TASK)).isEqualTo(base + "/claim");
    assertThat(WorkerProtocol.heartbeatPath(TASK)).isEqualTo(base + "/heartbeat");
    assertThat(WorkerProtocol.completePath(TASK)).isEqualTo(base + "/complete");
    assertThat(WorkerProtocol.releasePath(TASK)).isEqualTo(base + "/release");
  }

  /** Adds a field to every object in the tree except credential maps, which are data not schema. */
  private static void addUnknownFields(JsonNode node) {
    if (node instanceof ObjectNode object) {
      for (var property : object.properties()) {
        if (property.getKey().equals("resume")) {
          // a map keyed by path: its values are objects, the map itself has no fixed fields
          property.getValue().forEach(ProtocolJsonTest::addUnknownFields);
        } else if (!property.getKey().equals("credentials")) {
          addUnknownFields(property.getValue());
        }
      }
      object.put("addedInALaterVersion", "ignored");
      object.putObject("unknownNested").put("depth", 1);
    } else if (node.isArray()) {
      node.forEach(ProtocolJsonTest::addUnknownFields);
    }
  }
}
