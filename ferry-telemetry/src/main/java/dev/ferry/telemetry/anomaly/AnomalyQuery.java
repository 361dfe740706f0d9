package dev.ferry.telemetry.anomaly;

import java.time.Instant;
import java.util.Objects;

/**
 * A search for anomalies of one tenant: windows starting in [{@code from}, {@code to}), optionally
 * of one source and/or destination site.
 *
 * @param tenant required
 * @param sourceSite null for any
 * @param destinationSite null for any
 * @param limit 1 to {@value #MAX_LIMIT}
 */
public record AnomalyQuery(
    String tenant, String sourceSite, String destinationSite, Instant from, Instant to, int limit) {

  public static final int DEFAULT_LIMIT = 100;
  public static final int MAX_LIMIT = 1_000;

  public AnomalyQuery {
    Objects.requireNonNull(tenant, "tenant");
    Objects.requireNonNull(from, "from");
    Objects.requireNonNull(to, "to");
    if (!from.isBefore(to)) {
      throw new IllegalArgumentException("from must be before to: " + from + " .. " + to);
    }
    if (limit < 1 || limit > MAX_LIMIT) {
      throw new IllegalArgumentException("limit must be 1 to " + MAX_LIMIT + ", got " + limit);
    }
  }

  boolean matches(Anomaly a) {
    return a.tenant().equals(tenant)
        && (sourceSite == null || sourceSite.equals(a.srcSite()))
        && (destinationSite == null || destinationSite.equals(a.dstSite()))
        && !a.windowStart().isBefore(from)
        && a.windowStart().isBefore(to);
  }
}
