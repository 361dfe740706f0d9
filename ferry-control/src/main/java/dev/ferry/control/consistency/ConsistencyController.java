package dev.ferry.control.consistency;

import dev.ferry.control.api.ApiProblem;
import dev.ferry.control.auth.Caller;
import dev.ferry.model.Role;
import org.springframework.http.HttpStatus;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RestController;

/**
 * {@code GET /api/v1/consistency}: the latest {@link ConsistencyChecker} report, the caller's
 * tenant's checks only. Answers 503 like {@code /api/v1/links} when the stream side cannot be read
 * (no telemetry role in this process, or its stores not ready): a report without the stream would
 * say {@code ok} about what it did not check. {@code published-vs-database} still runs and is on
 * {@code /metrics} ({@code ferry_consistency_drift}) in that case.
 */
@RestController
public class ConsistencyController {
  private final ConsistencyChecker checker;

  public ConsistencyController(ConsistencyChecker checker) {
    this.checker = checker;
  }

  @GetMapping("/api/v1/consistency")
  public ConsistencyReport consistency(Caller caller) {
    String tenant = caller.require(Role.VIEWER).toString();
    if (!checker.hasTelemetry()) {
      throw unavailable("this process runs no telemetry role (start it with --roles telemetry)");
    }
    ConsistencyReport report = checker.latest();
    if (report.streamUnavailable()) {
      // The stores may have become ready since the last scheduled run.
      report = checker.checkOnce();
    }
    if (report.streamUnavailable()) {
      throw unavailable(String.join("; ", report.unavailable()));
    }
    return report.forTenant(tenant);
  }

  private static ApiProblem unavailable(String detail) {
    return new ApiProblem(
        HttpStatus.SERVICE_UNAVAILABLE, "telemetry-unavailable", "Telemetry unavailable", detail);
  }
}
