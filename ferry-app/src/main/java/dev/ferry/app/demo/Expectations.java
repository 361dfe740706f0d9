package dev.ferry.app.demo;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import tools.jackson.databind.JsonNode;

/**
 * What a headless demo run must show to pass, checked against the API as any client would see it:
 *
 * <ol>
 *   <li>every job the run submitted is terminal;
 *   <li>{@code GET /api/v1/consistency} is {@code ok} in a report taken after the last job ended;
 *   <li>the degraded link ({@code SITE_A → SITE_B}) is flagged: {@code GET
 *       /api/v1/anomalies?src=…&dst=…} answers {@code {"items":[…]}} with at least one item (only
 *       when faults were injected);
 *   <li>the healthy links are not flagged: the same query answers no items for each.
 * </ol>
 *
 * Each check yields one {@link Result}; a failed one says in one line what was seen instead.
 */
public final class Expectations {
  private Expectations() {}

  /** One expectation and whether it held, with what was seen. */
  public record Result(String expectation, boolean held, String detail) {
    /** {@code ok …} or {@code FAIL …: detail}, one line. */
    public String line() {
      return (held ? "  ok    " : "  FAIL  ")
          + expectation
          + (detail.isEmpty() ? "" : ": " + detail);
    }
  }

  public static Result everyJobTerminal(Workload workload) {
    List<Workload.Submitted> unfinished = workload.unfinished();
    int total = workload.jobs().size();
    if (total == 0) {
      return new Result("every job terminal", false, "the run submitted no job");
    }
    if (unfinished.isEmpty()) {
      return new Result("every job terminal", true, workload.summaryLine());
    }
    List<String> shown = new ArrayList<>();
    for (Workload.Submitted s : unfinished.subList(0, Math.min(5, unfinished.size()))) {
      shown.add(s.id() + " (" + s.route().link() + ", " + workload.stateOf(s.id()) + ")");
    }
    return new Result(
        "every job terminal",
        false,
        unfinished.size() + " of " + total + " not terminal: " + String.join(", ", shown));
  }

  /**
   * Reads {@code GET /api/v1/consistency} until it answers a report checked after now (the checker
   * runs every 30 s), at most {@link #CONSISTENCY_WAIT}, and judges that report: a report from
   * before the last job ended would vouch for less than the run did.
   */
  public static Result consistency(DemoApi api, Clock clock, CountDownLatch stopped)
      throws InterruptedException {
    Instant after = clock.instant();
    Instant deadline = after.plus(CONSISTENCY_WAIT);
    DemoApi.Response r = api.get("/api/v1/consistency");
    while (!fresh(r, after) && clock.instant().isBefore(deadline)) {
      if (stopped.await(2, TimeUnit.SECONDS)) {
        break;
      }
      r = api.get("/api/v1/consistency");
    }
    if (r.ok() && !fresh(r, after)) {
      return new Result(
          "consistency ok (GET /api/v1/consistency)",
          false,
          "no report checked after " + after + " within " + CONSISTENCY_WAIT.toSeconds() + " s");
    }
    return consistencyOk(r);
  }

  /** Long enough for one scheduled run of the checker (every 30 s) plus its own time. */
  static final Duration CONSISTENCY_WAIT = Duration.ofSeconds(50);

  private static boolean fresh(DemoApi.Response r, Instant after) {
    if (!r.ok() || r.body() == null) {
      return false;
    }
    String at = r.body().path("checkedAt").asString("");
    try {
      return !at.isEmpty() && !Instant.parse(at).isBefore(after);
    } catch (RuntimeException e) {
      return false;
    }
  }

  /** {@code report} is the body of a 200 answer of {@code GET /api/v1/consistency}. */
  public static Result consistencyOk(DemoApi.Response r) {
    String what = "consistency ok (GET /api/v1/consistency)";
    if (!r.ok() || r.body() == null) {
      return new Result(what, false, "answered " + r.status() + ": " + oneLine(r.text()));
    }
    JsonNode report = r.body();
    String status = report.path("status").asString("");
    int checks = report.path("checks").size();
    if ("ok".equals(status) && checks > 0) {
      return new Result(what, true, checks + " checks ok");
    }
    if (checks == 0) {
      return new Result(what, false, "the report has no checks for the demo tenant");
    }
    List<String> drifting = new ArrayList<>();
    for (JsonNode c : report.path("checks")) {
      if (!"ok".equals(c.path("status").asString("ok"))) {
        drifting.add(oneLine(c.toString()));
      }
    }
    return new Result(what, false, "status " + status + ": " + String.join("; ", drifting));
  }

  /** {@code r} answers {@code GET /api/v1/anomalies?src=…&dst=…} for {@code link}. */
  public static Result flagged(String link, DemoApi.Response r) {
    String what = "link " + link + " flagged (GET /api/v1/anomalies)";
    Integer n = items(r);
    if (n == null) {
      return new Result(what, false, unreadable(r));
    }
    return n > 0
        ? new Result(what, true, n + " anomalies: " + describe(r.body()))
        : new Result(what, false, "no anomaly reported");
  }

  public static Result notFlagged(String link, DemoApi.Response r) {
    String what = "link " + link + " not flagged";
    Integer n = items(r);
    if (n == null) {
      return new Result(what, false, unreadable(r));
    }
    return n == 0
        ? new Result(what, true, "")
        : new Result(
            what, false, n + " anomalies reported on a healthy link: " + describe(r.body()));
  }

  /** Each anomaly as {@code window start, feature, grade}, at most three. */
  private static String describe(JsonNode page) {
    List<String> shown = new ArrayList<>();
    for (JsonNode a : page.path("items")) {
      if (shown.size() == 3) {
        shown.add("…");
        break;
      }
      shown.add(
          a.path("windowStart").asString("?")
              + " "
              + a.path("feature").asString("?")
              + String.format(java.util.Locale.ROOT, " grade %.2f", a.path("grade").asDouble()));
    }
    return String.join("; ", shown);
  }

  private static Integer items(DemoApi.Response r) {
    if (!r.ok() || r.body() == null || !r.body().path("items").isArray()) {
      return null;
    }
    return r.body().get("items").size();
  }

  private static String unreadable(DemoApi.Response r) {
    if (r.status() == 404) {
      return "answered 404: this build has no anomaly API";
    }
    return "answered " + r.status() + ": " + oneLine(r.text());
  }

  private static String oneLine(String s) {
    if (s == null) {
      return "";
    }
    String one = s.replace('\n', ' ');
    return one.length() > 300 ? one.substring(0, 300) + "…" : one;
  }
}
