package dev.ferry.control.anomalies;

import com.fasterxml.jackson.annotation.JsonInclude;
import dev.ferry.control.api.ApiProblem;
import dev.ferry.control.auth.Caller;
import dev.ferry.model.Role;
import dev.ferry.telemetry.anomaly.Anomaly;
import dev.ferry.telemetry.anomaly.AnomalyQueries;
import dev.ferry.telemetry.anomaly.AnomalyQuery;
import dev.ferry.telemetry.anomaly.WindowFeatures;
import dev.ferry.telemetry.query.TelemetryUnavailableException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.List;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.http.HttpStatus;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;

/**
 * {@code GET /api/v1/anomalies}: the windows the telemetry role's detector flagged, for the
 * caller's tenant, newest first. Answers 503 when this process runs no telemetry role with anomaly
 * detection, or its stores are not ready yet. Reads this instance's stores only.
 */
@RestController
@RequestMapping("/api/v1/anomalies")
public class AnomaliesController {
  /** How far back {@code from} defaults to, before {@code to}. */
  static final Duration DEFAULT_RANGE = Duration.ofHours(24);

  private final ObjectProvider<AnomalyQueries> anomalies;
  private final Clock clock;

  public AnomaliesController(ObjectProvider<AnomalyQueries> anomalies, Clock clock) {
    this.anomalies = anomalies;
    this.clock = clock;
  }

  /** The features of a window, or what the model expected instead. */
  public record Features(
      double throughputBytesPerSecond,
      double p95DurationSeconds,
      double failureRatio,
      long transfers) {
    static Features of(WindowFeatures f) {
      return f == null
          ? null
          : new Features(
              f.throughputBytesPerSecond(),
              f.p95DurationSeconds(),
              f.failureRatio(),
              f.transfers());
    }
  }

  /** One flagged window. {@code feature} is the key in {@code features} to blame. */
  public record AnomalyView(
      String id,
      String srcSite,
      String dstSite,
      Instant windowStart,
      Instant windowEnd,
      double score,
      double grade,
      String feature,
      Features features,
      // present as null when the model cannot say, although the API otherwise omits nulls
      @JsonInclude(JsonInclude.Include.ALWAYS) Features expected,
      Instant detectedAt) {}

  /** A page of anomalies, newest first. */
  public record AnomalyPage(List<AnomalyView> items) {}

  @GetMapping
  public AnomalyPage list(
      Caller caller,
      @RequestParam(required = false) String src,
      @RequestParam(required = false) String dst,
      @RequestParam(required = false) String from,
      @RequestParam(required = false) String to,
      @RequestParam(required = false) String limit) {
    String tenant = caller.require(Role.VIEWER).toString();
    Instant end = instant("to", to, clock.instant());
    Instant start = instant("from", from, end.minus(DEFAULT_RANGE));
    if (!start.isBefore(end)) {
      throw ApiProblem.badRequest("from must be before to");
    }
    int max = limit(limit);
    AnomalyQuery q = new AnomalyQuery(tenant, blankToNull(src), blankToNull(dst), start, end, max);
    AnomalyQueries queries = anomalies.getIfAvailable();
    if (queries == null) {
      throw unavailable("this process runs no anomaly detection (start it with --roles telemetry)");
    }
    try {
      return new AnomalyPage(queries.anomalies(q).stream().map(AnomaliesController::view).toList());
    } catch (TelemetryUnavailableException e) {
      throw unavailable("anomaly detection is not ready yet: " + e.getMessage());
    }
  }

  private static AnomalyView view(Anomaly a) {
    return new AnomalyView(
        a.id(),
        a.srcSite(),
        a.dstSite(),
        a.windowStart(),
        a.windowEnd(),
        a.score(),
        a.grade(),
        a.feature(),
        Features.of(a.features()),
        Features.of(a.expected()),
        a.detectedAt());
  }

  private static int limit(String value) {
    if (value == null || value.isBlank()) {
      return AnomalyQuery.DEFAULT_LIMIT;
    }
    try {
      int n = Integer.parseInt(value.strip());
      if (n >= 1 && n <= AnomalyQuery.MAX_LIMIT) {
        return n;
      }
    } catch (NumberFormatException e) {
      // answered below
    }
    throw ApiProblem.badRequest(
        "limit '" + value + "' must be an integer from 1 to " + AnomalyQuery.MAX_LIMIT);
  }

  private static String blankToNull(String s) {
    return s == null || s.isBlank() ? null : s.strip();
  }

  private static ApiProblem unavailable(String detail) {
    return new ApiProblem(
        HttpStatus.SERVICE_UNAVAILABLE, "telemetry-unavailable", "Telemetry unavailable", detail);
  }

  private static Instant instant(String field, String value, Instant fallback) {
    if (value == null || value.isBlank()) {
      return fallback;
    }
    try {
      return Instant.parse(value.strip());
    } catch (DateTimeParseException e) {
      throw ApiProblem.badRequest(field + " '" + value + "' is not an ISO-8601 instant");
    }
  }
}
