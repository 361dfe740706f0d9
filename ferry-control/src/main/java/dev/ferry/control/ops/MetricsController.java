package dev.ferry.control.ops;

import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RequestHeader;
import org.springframework.web.bind.annotation.RestController;

/**
 * {@code /metrics} in the Prometheus text format, or OpenMetrics when the scraper asks for it.
 * Unauthenticated, like most scrape targets; it carries no tenant data yet (the telemetry role adds
 * per-link series with bounded labels).
 */
@RestController
public class MetricsController {
  private static final String OPENMETRICS = "application/openmetrics-text";
  private final PrometheusMeterRegistry registry;

  public MetricsController(PrometheusMeterRegistry registry) {
    this.registry = registry;
  }

  @GetMapping("/metrics")
  public ResponseEntity<String> metrics(
      @RequestHeader(name = "Accept", required = false) String accept) {
    String type =
        accept != null && accept.contains(OPENMETRICS)
            ? OPENMETRICS + "; version=1.0.0; charset=utf-8"
            : "text/plain; version=0.0.4; charset=utf-8";
    return ResponseEntity.ok()
        .contentType(MediaType.parseMediaType(type))
        .body(registry.scrape(type));
  }
}
