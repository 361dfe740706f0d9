package dev.ferry.telemetry;

import dev.ferry.model.Json;
import dev.ferry.model.event.Envelope;
import dev.ferry.model.event.EventTypes;
import dev.ferry.model.event.Topics;
import dev.ferry.telemetry.aggregate.Outcome;
import dev.ferry.telemetry.aggregate.TransferFact;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.UUID;

/**
 * Test transfer facts, shaped exactly like the control plane's ({@code TaskService.fact}): the same
 * payload fields, the outbox's envelope.
 */
public final class Facts {
  public static final String TENANT = "7d1b3c9e-0000-4000-8000-000000000001";

  private Facts() {}

  /** A fact builder with defaults: SITE_A -> SITE_B, succeeded, 1 MiB in 2 s. */
  public static Builder fact(Instant time) {
    return new Builder(time);
  }

  public static final class Builder {
    private String id = UUID.randomUUID().toString();
    private Instant time;
    private String tenant = TENANT;
    private String src = "SITE_A";
    private String dst = "SITE_B";
    private Outcome outcome = Outcome.SUCCEEDED;
    private long bytes = 1 << 20;
    private long durationMillis = 2_000;
    private String errorClass;
    private boolean retryable;
    private int attempt = 1;
    private String file = "/data/f";
    private String schema = EventTypes.schemaV1(EventTypes.TRANSFER_COMPLETED);
    // fixed per builder, so that json() is the same bytes every time, like a re-sent outbox row
    private final String jobId = UUID.randomUUID().toString();
    private final String taskId = UUID.randomUUID().toString();

    private Builder(Instant time) {
      this.time = time;
    }

    public Builder id(String id) {
      this.id = id;
      return this;
    }

    public Builder tenant(String tenant) {
      this.tenant = tenant;
      return this;
    }

    public Builder link(String src, String dst) {
      this.src = src;
      this.dst = dst;
      return this;
    }

    public Builder succeeded(long bytes, long durationMillis) {
      this.outcome = Outcome.SUCCEEDED;
      this.bytes = bytes;
      this.durationMillis = durationMillis;
      return this;
    }

    public Builder skipped() {
      this.outcome = Outcome.SKIPPED;
      this.bytes = 0;
      return this;
    }

    public Builder failed(String errorClass, boolean retryable) {
      this.outcome = Outcome.FAILED;
      this.bytes = 0;
      this.errorClass = errorClass;
      this.retryable = retryable;
      return this;
    }

    public Builder duration(long millis) {
      this.durationMillis = millis;
      return this;
    }

    public Builder attempt(int attempt) {
      this.attempt = attempt;
      return this;
    }

    public Builder file(String file) {
      this.file = file;
      return this;
    }

    public Builder schema(String schema) {
      this.schema = schema;
      return this;
    }

    public String id() {
      return id;
    }

    public String key() {
      return Topics.linkKey(src, dst);
    }

    public Envelope envelope() {
      Map<String, Object> data = new LinkedHashMap<>();
      data.put("tenant", tenant);
      data.put("jobId", jobId);
      data.put("taskId", taskId);
      data.put("attempt", attempt);
      data.put("sourceSite", src);
      data.put("destinationSite", dst);
      data.put("file", file);
      data.put("outcome", outcome.label());
      data.put("bytes", bytes);
      data.put("checksum", outcome == Outcome.SUCCEEDED ? "0a1b2c3d" : null);
      data.put("taskDurationMillis", durationMillis);
      if (errorClass != null) {
        data.put("errorClass", errorClass);
        data.put("retryable", retryable);
      }
      return new Envelope(
          id,
          "/ferry/control",
          EventTypes.TRANSFER_COMPLETED,
          Envelope.SPEC_VERSION,
          time,
          tenant,
          jobId,
          schema,
          Json.mapper().valueToTree(data));
    }

    public byte[] json() {
      return Json.mapper().writeValueAsBytes(envelope());
    }

    public TransferFact toFact() {
      return TransferFact.fromEnvelope(envelope());
    }
  }
}
