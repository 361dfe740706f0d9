package dev.ferry.app.cli;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import tools.jackson.databind.JsonNode;

/**
 * {@code ferry anomalies}: the windows the telemetry role's detector flagged, newest first ({@code
 * GET /api/v1/anomalies}).
 */
@Command(
    name = "anomalies",
    mixinStandardHelpOptions = true,
    description = "Links' windows flagged by anomaly detection, newest first.")
public final class AnomaliesCommand implements Callable<Integer> {
  private static final Pattern SHORT_DURATION = Pattern.compile("(\\d+)\\s*([smhd])");

  /** The clock {@code --since} counts back from. */
  static Clock clock = Clock.systemUTC();

  @Spec CommandSpec spec;
  @Mixin ClientOptions client = new ClientOptions();

  @Option(names = "--src", description = "Only links from this source site.")
  String src;

  @Option(names = "--dst", description = "Only links to this destination site.")
  String dst;

  @Option(
      names = "--since",
      description =
          "How far back: 90s, 30m, 1h, 2d or ISO-8601 (PT1H) (default: ${DEFAULT-VALUE}).")
  String since = "24h";

  @Option(names = "--limit", description = "At most this many, 1 to 1000 (default: 100).")
  Integer limit;

  static final Table ANOMALIES =
      new Table()
          .column("WINDOW", "windowStart")
          .column("LINK", n -> Table.text(n, "srcSite") + " -> " + Table.text(n, "dstSite"))
          .column("FEATURE", "feature")
          .column("ACTUAL", n -> value(n, "features"))
          .column("EXPECTED", n -> value(n, "expected"))
          .column("SCORE", n -> String.format(Locale.ROOT, "%.2f", n.path("score").asDouble()))
          .column("GRADE", n -> String.format(Locale.ROOT, "%.2f", n.path("grade").asDouble()));

  @Override
  public Integer call() {
    Duration back = parseSince(since);
    StringBuilder q = new StringBuilder("/api/v1/anomalies?from=");
    q.append(encode(clock.instant().minus(back).toString()));
    if (src != null) {
      q.append("&src=").append(encode(src));
    }
    if (dst != null) {
      q.append("&dst=").append(encode(dst));
    }
    if (limit != null) {
      q.append("&limit=").append(limit);
    }
    JsonNode page = client.client().get(q.toString());
    if (client.json()) {
      spec.commandLine().getOut().println(page.toPrettyString());
    } else {
      ANOMALIES.print(spec.commandLine().getOut(), page.path("items"), false);
    }
    return 0;
  }

  /** {@code 90s}, {@code 30m}, {@code 1h}, {@code 2d}, or an ISO-8601 duration; positive. */
  static Duration parseSince(String text) {
    String t = text.strip().toLowerCase(Locale.ROOT);
    Duration d;
    Matcher m = SHORT_DURATION.matcher(t);
    if (m.matches()) {
      long n = Long.parseLong(m.group(1));
      d =
          switch (m.group(2)) {
            case "s" -> Duration.ofSeconds(n);
            case "m" -> Duration.ofMinutes(n);
            case "h" -> Duration.ofHours(n);
            default -> Duration.ofDays(n);
          };
    } else {
      try {
        d = Duration.parse(text.strip());
      } catch (DateTimeParseException e) {
        throw new CliException(
            "--since '" + text + "' is not a duration such as 90s, 30m, 1h, 2d or PT1H", 2);
      }
    }
    if (d.isZero() || d.isNegative()) {
      throw new CliException("--since '" + text + "' must be positive", 2);
    }
    return d;
  }

  private static String encode(String s) {
    return URLEncoder.encode(s, StandardCharsets.UTF_8);
  }

  /** The blamed feature's value in {@code features} or {@code expected}, readable. */
  private static String value(JsonNode anomaly, String which) {
    JsonNode v = anomaly.path(which).path(anomaly.path("feature").asString());
    if (v.isMissingNode() || v.isNull()) {
      return "";
    }
    double x = v.asDouble();
    return switch (anomaly.path("feature").asString()) {
      case "throughputBytesPerSecond" -> Progress.size((long) x) + "/s";
      case "p95DurationSeconds" -> String.format(Locale.ROOT, "%.2f s", x);
      case "failureRatio" -> String.format(Locale.ROOT, "%.1f %%", 100 * x);
      default -> Long.toString(Math.round(x));
    };
  }
}
