package dev.ferry.control.links;

import dev.ferry.control.api.ApiProblem;
import dev.ferry.control.auth.Caller;
import dev.ferry.model.Role;
import dev.ferry.telemetry.aggregate.LinkKey;
import dev.ferry.telemetry.aggregate.LinkStats;
import dev.ferry.telemetry.aggregate.Outcome;
import dev.ferry.telemetry.query.LinkTotals;
import dev.ferry.telemetry.query.TelemetryQueries;
import dev.ferry.telemetry.query.TelemetryUnavailableException;
import dev.ferry.telemetry.query.WindowPoint;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.List;
import java.util.UUID;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.http.HttpStatus;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;

/**
 * {@code /api/v1/links}: the telemetry role's aggregates for the caller's tenant. Answers 503 when
 * this process runs no telemetry role or its stores are not ready yet. Reads this instance's stores
 * only: with several telemetry instances, each serves the links of its partitions.
 */
@RestController
@RequestMapping("/api/v1/links")
public class LinksController {
  private final ObjectProvider<TelemetryQueries> telemetry;
  private final Clock clock;

  public LinksController(ObjectProvider<TelemetryQueries> telemetry, Clock clock) {
    this.telemetry = telemetry;
    this.clock = clock;
  }

  /** A link's running totals. Durations and throughput cover succeeded transfers. */
  public record LinkView(
      String sourceSite,
      String destinationSite,
      long succeeded,
      long skipped,
      long failed,
      long bytes,
      double failureRatio,
      Double durationP50Seconds,
      Double durationP95Seconds,
      Double throughputP50BytesPerSecond,
      Instant lastEventTime,
      long lateFacts) {}

  /** One 1-minute window of a link. */
  public record SeriesPoint(
      Instant start,
      Instant end,
      long succeeded,
      long failed,
      long bytes,
      double failureRatio,
      Double durationP95Seconds,
      Double throughputP50BytesPerSecond) {}

  @GetMapping
  public List<LinkView> links(Caller caller) {
    String tenant = caller.require(Role.VIEWER).toString();
    return guarded(
        () ->
            queries().links().stream()
                .filter(l -> l.link().tenant().equals(tenant))
                .map(LinksController::view)
                .toList());
  }

  @GetMapping("/{src}/{dst}/series")
  public List<SeriesPoint> series(
      Caller caller,
      @PathVariable String src,
      @PathVariable String dst,
      @RequestParam(required = false) String from,
      @RequestParam(required = false) String to) {
    UUID tenant = caller.require(Role.VIEWER);
    Instant end = instant("to", to, clock.instant());
    Instant start = instant("from", from, end.minus(Duration.ofHours(1)));
    if (!start.isBefore(end)) {
      throw ApiProblem.badRequest("from must be before to");
    }
    LinkKey key = new LinkKey(tenant.toString(), src, dst);
    return guarded(
        () -> queries().series(key, start, end).stream().map(LinksController::point).toList());
  }

  private TelemetryQueries queries() {
    TelemetryQueries q = telemetry.getIfAvailable();
    if (q == null) {
      throw unavailable("this process runs no telemetry role (start it with --roles telemetry)");
    }
    return q;
  }

  private static <T> T guarded(java.util.function.Supplier<T> query) {
    try {
      return query.get();
    } catch (TelemetryUnavailableException e) {
      throw unavailable("telemetry is not ready yet: " + e.getMessage());
    }
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
      return Instant.parse(value);
    } catch (DateTimeParseException e) {
      throw ApiProblem.badRequest(field + " '" + value + "' is not an ISO-8601 instant");
    }
  }

  private static LinkView view(LinkTotals t) {
    LinkStats s = t.stats();
    return new LinkView(
        t.link().sourceSite(),
        t.link().destinationSite(),
        s.count(Outcome.SUCCEEDED),
        s.count(Outcome.SKIPPED),
        s.count(Outcome.FAILED),
        s.bytes(),
        s.failureRatio(),
        boxed(s.durationQuantileSeconds(0.5)),
        boxed(s.durationQuantileSeconds(0.95)),
        boxed(s.throughputQuantileBytesPerSecond(0.5)),
        s.lastEventTime().orElse(null),
        t.lateFacts());
  }

  private static SeriesPoint point(WindowPoint w) {
    LinkStats s = w.stats();
    return new SeriesPoint(
        w.start(),
        w.end(),
        s.count(Outcome.SUCCEEDED),
        s.count(Outcome.FAILED),
        s.bytes(),
        s.failureRatio(),
        boxed(s.durationQuantileSeconds(0.95)),
        boxed(s.throughputQuantileBytesPerSecond(0.5)));
  }

  private static Double boxed(java.util.OptionalDouble d) {
    return d.isPresent() ? d.getAsDouble() : null;
  }
}
