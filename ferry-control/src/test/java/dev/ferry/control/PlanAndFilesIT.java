package dev.ferry.control;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ferry.worker.Worker;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

class PlanAndFilesIT {
  private final Harness h = Harness.get();

  @Test
  void shouldPlanWithoutWritingThenShowEveryFileWithItsChecksum() throws Exception {
    Harness.Tenant t = h.tenant("plan");
    t.files("in", 12, 2000);
    long jobsBefore = jobs(t);

    JsonNode plan =
        h.call("POST", "/api/v1/jobs/plan?limit=5", t.admin, t.copyJob("in", "out")).json();
    assertThat(plan.get("files").asLong()).isEqualTo(12);
    assertThat(plan.get("filesToCopy").asLong()).isEqualTo(12);
    assertThat(plan.get("tasks").asInt()).isEqualTo(1);
    assertThat(plan.get("items")).hasSize(5);
    assertThat(plan.get("items").get(0).get("action").asString()).isEqualTo("copy");
    assertThat(jobs(t)).isEqualTo(jobsBefore);

    UUID job = t.submit("in", "out");
    try (Worker w = t.worker("plan-worker")) {
      Harness.await("job done", Duration.ofSeconds(60), () -> t.state(job).equals("SUCCEEDED"));
    }
    JsonNode files = h.call("GET", "/api/v1/jobs/" + job + "/files", t.admin, (String) null).json();
    assertThat(files).hasSize(12);
    for (JsonNode f : files) {
      assertThat(f.get("status").asString()).isEqualTo("SUCCEEDED");
      assertThat(f.get("checksum").asString()).matches("[0-9a-f]{8}");
      assertThat(f.get("attempts").asInt()).isEqualTo(1);
      assertThat(f.has("firstError")).isFalse();
    }
    assertThat(
            h.call("GET", "/api/v1/jobs/" + job + "/files?status=failed", t.admin, (String) null)
                .json())
        .isEmpty();
    assertThat(
            h.call("GET", "/api/v1/jobs/" + job + "/files?status=lost", t.admin, (String) null)
                .status())
        .isEqualTo(400);

    Map<String, Object> again = new HashMap<>(t.copyJob("in", "out"));
    again.put("overwrite", "never");
    JsonNode second = h.call("POST", "/api/v1/jobs/plan", t.admin, again).json();
    assertThat(second.get("filesToCopy").asLong()).isZero();
    assertThat(second.get("items").get(0).get("action").asString()).isEqualTo("skip-exists");
    again.put("mode", "sync");
    again.put("overwrite", "always");
    JsonNode sync = h.call("POST", "/api/v1/jobs/plan", t.admin, again).json();
    assertThat(sync.get("items").get(0).get("action").asString()).isEqualTo("skip-unchanged");

    assertThat(h.call("POST", "/api/v1/jobs/plan", t.token("viewer"), again).status())
        .isEqualTo(403);
  }

  private long jobs(Harness.Tenant t) {
    return h.db()
        .sql("SELECT count(*) FROM jobs WHERE tenant_id = ?")
        .param(t.id)
        .query(Long.class)
        .single();
  }
}
