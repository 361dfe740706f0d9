package dev.ferry.control.consistency;

import java.time.Instant;
import java.util.List;

/**
 * The result of one run of the {@link ConsistencyChecker}.
 *
 * @param checkedAt the run's time (the injected clock)
 * @param status {@code drift} when any check drifts, else {@code ok}
 * @param checks in (check, tenant, source, destination, measure) order
 * @param unavailable the sides this run could not read, each with the reason (e.g. {@code stream:
 *     this process runs no telemetry role}); their checks are absent, not ok
 */
public record ConsistencyReport(
    Instant checkedAt, String status, List<ConsistencyCheck> checks, List<String> unavailable) {

  public ConsistencyReport {
    checks = List.copyOf(checks);
    unavailable = List.copyOf(unavailable);
  }

  static ConsistencyReport of(
      Instant checkedAt, List<ConsistencyCheck> checks, List<String> unavailable) {
    return new ConsistencyReport(checkedAt, statusOf(checks), checks, unavailable);
  }

  /** The checks of one tenant, with the status over those. */
  public ConsistencyReport forTenant(String tenant) {
    List<ConsistencyCheck> mine = checks.stream().filter(c -> c.tenant().equals(tenant)).toList();
    return new ConsistencyReport(checkedAt, statusOf(mine), mine, unavailable);
  }

  /** Whether the stream side (so the telemetry role) could not be read in this run. */
  public boolean streamUnavailable() {
    return unavailable.stream().anyMatch(u -> u.startsWith(ConsistencyChecker.STREAM + ":"));
  }

  private static String statusOf(List<ConsistencyCheck> checks) {
    return checks.stream().allMatch(ConsistencyCheck::ok)
        ? ConsistencyCheck.OK
        : ConsistencyCheck.DRIFT;
  }
}
