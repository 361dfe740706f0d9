package dev.ferry.control.consistency;

import dev.ferry.model.Json;
import dev.ferry.telemetry.aggregate.LinkKey;
import dev.ferry.telemetry.aggregate.Outcome;
import dev.ferry.telemetry.metrics.TransferMetricsCollector;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import tools.jackson.databind.JsonNode;

/**
 * The Prometheus side of the consistency checker: what a Prometheus server that scrapes Ferry
 * answers, through its HTTP query API, for {@code ferry_transfers_total} and {@code
 * ferry_transfer_bytes_total} summed per link (and outcome). Summing over every other label is the
 * point: a target scraped by two jobs, two Ferry processes exporting the same link, or a stale
 * series from a restarted instance all make the sum differ from the stream's totals, which is what
 * dashboards and alerts would show.
 *
 * <p>Two instant queries per run, {@code sum by (tenant, src_site, dst_site, outcome)
 * (ferry_transfers_total)} and {@code sum by (tenant, src_site, dst_site)
 * (ferry_transfer_bytes_total)}, each with the configured selector (e.g. {@code job="ferry"}) when
 * one is set. Thread-safe; each call is one pair of HTTP requests with a timeout.
 */
final class PrometheusSide {
  private final URI base;
  private final String selector;
  private final Duration timeout;
  private final HttpClient http;

  /**
   * @param baseUrl the server's URL, e.g. {@code http://prometheus:9090}; the query API is under
   *     {@code /api/v1/query}
   * @param selector label matchers without braces (e.g. {@code job="ferry"}), or blank for none
   */
  PrometheusSide(String baseUrl, String selector, Duration timeout) {
    String b = baseUrl.strip();
    this.base = URI.create(b.endsWith("/") ? b : b + "/");
    if (!"http".equals(base.getScheme()) && !"https".equals(base.getScheme())) {
      throw new IllegalArgumentException(
          "ferry.consistency.prometheus-url must be an http(s) URL, got " + baseUrl);
    }
    this.selector = selector == null ? "" : selector.strip();
    this.timeout = timeout;
    this.http = HttpClient.newBuilder().connectTimeout(timeout).build();
  }

  /** The server this side asks, for reports and logs. */
  String url() {
    return base.toString();
  }

  /**
   * Reads both sums now.
   *
   * @throws PrometheusUnavailableException when the server cannot be reached or answers anything
   *     but a successful vector
   */
  Tally read() {
    Tally.Builder b = Tally.builder();
    String sel = selector.isEmpty() ? "" : "{" + selector + "}";
    for (JsonNode s :
        query(
            "sum by (tenant, src_site, dst_site, outcome) ("
                + TransferMetricsCollector.TRANSFERS
                + "_total"
                + sel
                + ")")) {
      JsonNode m = s.path("metric");
      b.add(link(m), Measure.of(Outcome.parse(m.path("outcome").asString())), value(s));
    }
    for (JsonNode s :
        query(
            "sum by (tenant, src_site, dst_site) ("
                + TransferMetricsCollector.BYTES
                + "_total"
                + sel
                + ")")) {
      b.add(link(s.path("metric")), Measure.BYTES, value(s));
    }
    return b.build();
  }

  private static LinkKey link(JsonNode metric) {
    return new LinkKey(
        metric.path("tenant").asString(),
        metric.path("src_site").asString(),
        metric.path("dst_site").asString());
  }

  /** A sample's value, {@code [time, "value"]}; counters are whole, so rounded. */
  private static long value(JsonNode sample) {
    return Math.round(Double.parseDouble(sample.path("value").path(1).asString()));
  }

  private Iterable<JsonNode> query(String promql) {
    URI uri =
        base.resolve("api/v1/query?query=" + URLEncoder.encode(promql, StandardCharsets.UTF_8));
    HttpResponse<String> r;
    try {
      r =
          http.send(
              HttpRequest.newBuilder(uri).timeout(timeout).GET().build(),
              HttpResponse.BodyHandlers.ofString());
    } catch (IOException e) {
      throw new PrometheusUnavailableException(
          "Prometheus at " + base + " cannot be reached: " + e, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new PrometheusUnavailableException("interrupted while asking " + base, e);
    }
    JsonNode body;
    try {
      body = Json.mapper().readTree(r.body());
    } catch (RuntimeException e) {
      throw new PrometheusUnavailableException(
          "Prometheus at " + base + " answered " + r.statusCode() + " with no JSON", e);
    }
    if (r.statusCode() != 200 || !"success".equals(body.path("status").asString())) {
      throw new PrometheusUnavailableException(
          "Prometheus at "
              + base
              + " answered "
              + r.statusCode()
              + ": "
              + body.path("error").asString(r.body()),
          null);
    }
    JsonNode data = body.path("data");
    if (!"vector".equals(data.path("resultType").asString())) {
      throw new PrometheusUnavailableException(
          "Prometheus at " + base + " answered a " + data.path("resultType") + ", not a vector",
          null);
    }
    return data.path("result");
  }

  /** The server could not be asked, or did not answer usefully; the message says which. */
  static final class PrometheusUnavailableException extends RuntimeException {
    PrometheusUnavailableException(String message, Throwable cause) {
      super(message, cause);
    }
  }
}
