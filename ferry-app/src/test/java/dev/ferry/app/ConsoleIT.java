package dev.ferry.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.ferry.model.Json;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Predicate;
import java.util.function.Supplier;
import java.util.logging.Level;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.By;
import org.openqa.selenium.Dimension;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.NoSuchElementException;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.StaleElementReferenceException;
import org.openqa.selenium.TakesScreenshot;
import org.openqa.selenium.WebDriverException;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.logging.LogEntry;
import org.openqa.selenium.logging.LogType;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The web console in headless Chromium against the embedded runtime: sign in with a tenant token,
 * see the links that the jobs made on the overview, open jobs, cancel a running one from its page
 * (and find it {@code CANCELLED} through the API), and see the telemetry pages say that telemetry
 * is not available yet. Screenshots of every page go to {@code target/console-screenshots/}.
 *
 * <p>Uses the system's Chromium and chromedriver ({@code /usr/bin/chromium}, {@code
 * /usr/bin/chromedriver}, Debian's {@code chromium} and {@code chromium-driver}); nothing is
 * downloaded. Without them the test is skipped, unless {@code FERRY_REQUIRE_CHROMIUM=1}, where it
 * fails.
 *
 * <p>The worker executes only {@code SITE_B}'s tasks (a task executes at its destination site), so
 * a job to {@code SITE_C} stays {@code RUNNING} until the test cancels it.
 */
class ConsoleIT {
  private static final Duration WAIT = Duration.ofSeconds(20);
  private static final Set<String> SETTLED =
      Set.of("SUCCEEDED", "PARTIALLY_SUCCEEDED", "FAILED", "CANCELLED");

  private static final JsonMapper JSON = Json.mapper();
  private static final HttpClient HTTP = HttpClient.newHttpClient();

  private static Path tmp;
  private static Path shots;
  private static FerryRuntime runtime;
  private static String base;
  private static String token;
  private static ChromeDriver browser;

  @BeforeAll
  static void start() throws Exception {
    assumeTrue(
        HeadlessChromium.available(),
        "console test skipped: Chromium and chromedriver are needed (Debian: apt-get install -y"
            + " chromium chromium-driver)");

    tmp = Files.createTempDirectory("ferry-console-it");
    shots = Path.of(System.getProperty("basedir", ".")).resolve("target/console-screenshots");
    Files.createDirectories(shots);
    try (var old = Files.list(shots)) {
      for (Path p : old.toList()) {
        Files.deleteIfExists(p);
      }
    }
    ServerOptions options = new ServerOptions();
    options.dataDir = tmp.resolve("data");
    options.port = 0;
    options.site = "SITE_B";
    runtime = FerryRuntime.start(options, true, new PrintStream(new ByteArrayOutputStream()));
    base = runtime.baseUrl();
    String root = Files.readString(options.dataDir.resolve("admin-token")).strip();
    token =
        send(root, "POST", "/api/v1/tenants", Map.of("name", "console"))
            .path("adminToken")
            .path("token")
            .asString();

    browser = HeadlessChromium.start(tmp.resolve("chromium-profile"));
  }

  @AfterAll
  static void stop() {
    if (browser != null) {
      browser.quit();
    }
    if (runtime != null) {
      runtime.close();
    }
  }

  @Test
  void shouldSignInShowTheLinksOpenJobsAndCancelARunningOne() throws Exception {
    assertStaticFilesArePublic();
    Path a = dir("site-a"), b = dir("site-b"), c = dir("site-c");
    for (int i = 0; i < 24; i++) {
      Files.write(a.resolve("data/part-" + i + ".bin"), new byte[8 * 1024 + i * 512]);
    }
    for (int i = 0; i < 5; i++) {
      Files.writeString(c.resolve("data/report-" + i + ".csv"), "id,value\n" + i + ",42\n");
    }
    for (String site : List.of("SITE_A", "SITE_B", "SITE_C")) {
      send(token, "POST", "/api/v1/sites", Map.of("name", site, "description", "test " + site));
    }
    endpoint("a", "SITE_A", a);
    endpoint("b", "SITE_B", b);
    endpoint("c", "SITE_C", c);
    endpoint("gone", "SITE_A", tmp.resolve("no-such-directory"));

    String copied = submit("a", "data", "b", "from-a"); // SITE_A → SITE_B, succeeds
    String planningFailed = submit("gone", "", "b", "nothing"); // SITE_A → SITE_B, fails
    String fromC = submit("c", "data", "b", "from-c"); // SITE_C → SITE_B, succeeds
    String running = submit("a", "data", "c", "to-c"); // SITE_A → SITE_C: no worker there
    assertThat(awaitJob(copied, SETTLED::contains)).isEqualTo("SUCCEEDED");
    assertThat(awaitJob(planningFailed, SETTLED::contains)).isEqualTo("FAILED");
    assertThat(awaitJob(fromC, SETTLED::contains)).isEqualTo("SUCCEEDED");
    assertThat(awaitJob(running, "RUNNING"::equals)).isEqualTo("RUNNING");

    // A wrong token is refused with the problem document's title and detail.
    browser.get(base + "/");
    signIn("ferry_" + "x".repeat(43));
    WebElement problem =
        await("sign-in problem", () -> visible(By.cssSelector("#login-status .problem")));
    assertThat(problem.getText()).contains("Unauthorized", "unknown or revoked");
    screenshot("00-sign-in-refused");

    // Overview: the three links the jobs made, on the map and in the table; no fake telemetry.
    signIn(token);
    awaitText(By.cssSelector("main"), "SITE_A → SITE_C");
    String overview = text(By.cssSelector("main"));
    assertThat(overview).contains("SITE_A → SITE_B", "SITE_A → SITE_C", "SITE_C → SITE_B");
    assertThat(browser.findElements(By.cssSelector("svg.linkmap a.link"))).hasSize(3);
    assertThat(browser.findElements(By.cssSelector("svg.linkmap a.link.bad"))).hasSize(1);
    assertTelemetryPanel(
        "/api/v1/links",
        By.id("telemetry-cards"),
        "Throughput: telemetry not available yet",
        "Failure ratio: telemetry not available yet",
        "Freshness: telemetry not available yet");
    assertThat(browser.executeScript("return sessionStorage.getItem('ferry.token')"))
        .isEqualTo(token);
    screenshot("01-overview");

    // Jobs: all four, then filtered by state.
    browser.findElement(By.linkText("Jobs")).click();
    awaitText(By.id("jobs-list"), short8(running));
    assertThat(text(By.id("jobs-list")))
        .contains(short8(copied), short8(planningFailed), short8(fromC), short8(running));
    screenshot("02-jobs");
    browser.findElement(By.cssSelector("#filter-state option[value='RUNNING']")).click();
    await(
        "jobs filtered by state",
        () ->
            browser.getCurrentUrl().endsWith("state=RUNNING")
                && !text(By.id("jobs-list")).contains(short8(copied)));
    assertThat(text(By.id("jobs-list"))).contains(short8(running));

    // A succeeded job: its tasks and history.
    browser.get(base + "/#/jobs/" + copied);
    awaitText(By.id("job-state"), "SUCCEEDED");
    String done = text(By.cssSelector("main"));
    assertThat(done).contains("24 of 24 files copied", "No failed files.", "state → SUCCEEDED");
    assertThat(browser.findElements(By.cssSelector("[aria-label='Job progress']")))
        .singleElement()
        .extracting(e -> e.getAttribute("aria-valuenow"))
        .isEqualTo("100");
    assertThat(browser.findElements(By.id("cancel-job"))).isEmpty();
    screenshot("03-job-succeeded");

    // A job whose source could not be listed: its first and last error.
    browser.get(base + "/#/jobs/" + planningFailed);
    awaitText(By.id("job-state"), "FAILED");
    assertThat(text(By.id("first-error"))).contains("planning", "cannot list the source");
    screenshot("04-job-failed");
    // It has no failed files to retry: the API's 409 is shown as its problem document.
    browser.findElement(By.id("retry-job")).click();
    await("confirmation", () -> visible(By.id("confirm-ok"))).click();
    awaitText(By.cssSelector("#action-status .problem"), "Retry failed: Conflict");
    assertThat(text(By.cssSelector("#action-status .problem"))).contains("HTTP 409");
    screenshot("04b-retry-refused");

    // Cancel the running job from its page, after the confirmation.
    browser.get(base + "/#/jobs/" + running);
    awaitText(By.id("job-state"), "RUNNING");
    browser.findElement(By.id("cancel-job")).click();
    WebElement confirm = await("confirmation", () -> visible(By.id("confirm-ok")));
    assertThat(text(By.cssSelector("dialog.confirm"))).contains("Cancel job " + short8(running));
    screenshot("05-cancel-confirmation");
    confirm.click();
    awaitText(By.id("job-state"), "CANCELLED");
    assertThat(send(token, "GET", "/api/v1/jobs/" + running, null).path("state").asString())
        .isEqualTo("CANCELLED");
    awaitText(By.cssSelector("main"), "state → CANCELLED");
    assertThat(browser.findElements(By.id("cancel-job"))).isEmpty();
    screenshot("06-job-cancelled");

    // The link page: its jobs, and no series until telemetry exists.
    browser.findElement(By.linkText("SITE_A → SITE_C")).click();
    awaitText(By.cssSelector("main"), "Jobs on this link");
    assertThat(text(By.cssSelector("main")))
        .contains(short8(running))
        .doesNotContain(short8(copied));
    assertTelemetryPanel(
        "/api/v1/links/SITE_A/SITE_C/series",
        By.cssSelector("main"),
        "Throughput and latency over time: telemetry not available yet");
    screenshot("07-link");

    // The link that moved data: a chart once the telemetry role has windows for it.
    browser.get(base + "/#/links/SITE_A/SITE_B");
    awaitText(By.cssSelector("main"), "Jobs on this link");
    JsonNode windows =
        status("/api/v1/links/SITE_A/SITE_B/series") == 200
            ? send(token, "GET", "/api/v1/links/SITE_A/SITE_B/series", null)
            : null;
    if (windows != null && !windows.isEmpty()) {
      await("a series chart", () -> visible(By.cssSelector("figure.chart svg")));
    }
    screenshot("07b-link-a-b");

    browser.findElement(By.linkText("Anomalies")).click();
    awaitText(By.cssSelector("main h1"), "Anomalies");
    assertTelemetryPanel(
        "/api/v1/anomalies", By.cssSelector("main"), "Anomalies: telemetry not available yet");
    screenshot("08-anomalies");
    browser.findElement(By.linkText("Consistency")).click();
    awaitText(By.cssSelector("main h1"), "Consistency");
    assertTelemetryPanel(
        "/api/v1/consistency", By.cssSelector("main"), "Consistency: telemetry not available yet");
    screenshot("09-consistency");

    // An API error on a page is the problem document: another tenant's or no job is a 404.
    browser.get(base + "/#/jobs/00000000-0000-4000-8000-000000000000");
    awaitText(By.cssSelector("main .problem"), "does not exist");
    assertThat(text(By.cssSelector("main .problem"))).contains("Not found", "HTTP 404");

    browser.findElement(By.id("logout")).click();
    await("the sign-in form", () -> visible(By.id("token")));
    assertThat(browser.executeScript("return sessionStorage.getItem('ferry.token')")).isNull();

    // No script errors and no Content-Security-Policy violations on the way; the answers the
    // console expects (401 for the wrong token, 404 for what does not exist, 409 for the refused
    // retry) are not errors.
    assertThat(
            browser.manage().logs().get(LogType.BROWSER).getAll().stream()
                .filter(e -> e.getLevel().intValue() >= Level.SEVERE.intValue())
                .map(LogEntry::getMessage)
                .filter(m -> !m.matches("(?s).*status of (401|404|409|503).*"))
                .toList())
        .as("errors in the browser console")
        .isEmpty();
  }

  /**
   * A telemetry panel tells the truth about its endpoint: where the API has no such endpoint (404)
   * it says "not available yet"; where it has one (data, or 503 while telemetry is not ready), it
   * shows that and no error.
   */
  private void assertTelemetryPanel(String apiPath, By panel, String... notAvailable)
      throws Exception {
    int status = status(apiPath);
    if (status == 404) {
      for (String expected : notAvailable) {
        awaitText(panel, expected);
      }
    } else {
      assertThat(status).as("GET %s", apiPath).isIn(200, 503);
      await("the panel for " + apiPath, () -> visible(panel));
      assertThat(browser.findElement(panel).findElements(By.cssSelector(".problem")))
          .as("errors shown for %s (HTTP %d)", apiPath, status)
          .isEmpty();
    }
  }

  private static int status(String path) throws Exception {
    return HTTP.send(
            HttpRequest.newBuilder(URI.create(base + path))
                .header("Authorization", "Bearer " + token)
                .build(),
            HttpResponse.BodyHandlers.discarding())
        .statusCode();
  }

  private static void assertStaticFilesArePublic() throws Exception {
    for (String path : List.of("/", "/index.html", "/assets/js/app.js", "/assets/console.css")) {
      HttpResponse<String> r =
          HTTP.send(
              HttpRequest.newBuilder(URI.create(base + path)).build(),
              HttpResponse.BodyHandlers.ofString());
      assertThat(r.statusCode()).as("GET %s without a token", path).isEqualTo(200);
    }
  }

  // --------------------------------------------------------------------------------- browser

  private void signIn(String secret) {
    WebElement field = await("the token field", () -> visible(By.id("token")));
    field.clear();
    field.sendKeys(secret);
    browser.findElement(By.id("sign-in")).click();
  }

  private static WebElement visible(By by) {
    List<WebElement> found = browser.findElements(by);
    return found.isEmpty() || !found.get(0).isDisplayed() ? null : found.get(0);
  }

  private static String text(By by) {
    return browser.findElement(by).getText();
  }

  private void awaitText(By by, String expected) {
    await(
        "'" + expected + "' in " + by,
        () -> {
          WebElement e = visible(by);
          return e != null && e.getText().contains(expected);
        });
  }

  /**
   * Polls {@code probe} until it answers non-null and not false; screenshot and fail on timeout.
   */
  private <T> T await(String what, Supplier<T> probe) {
    long deadline = System.nanoTime() + WAIT.toNanos();
    while (true) {
      try {
        T value = probe.get();
        if (value != null && !Boolean.FALSE.equals(value)) {
          return value;
        }
      } catch (StaleElementReferenceException | NoSuchElementException e) {
        // the page is re-rendering; look again
      }
      if (System.nanoTime() > deadline) {
        screenshot("failed-" + what.replaceAll("[^A-Za-z0-9]+", "-"));
        fail(
            "waited %s for %s on %s; the page says:%n%s",
            WAIT, what, browser.getCurrentUrl(), browser.findElement(By.tagName("body")).getText());
      }
      sleep(100);
    }
  }

  /** The whole page, not only the window: the window grows to the page's height for the shot. */
  private static void screenshot(String name) {
    try {
      Dimension window = browser.manage().window().getSize();
      Number height =
          (Number)
              ((JavascriptExecutor) browser)
                  .executeScript("return document.documentElement.scrollHeight");
      browser
          .manage()
          .window()
          .setSize(new Dimension(window.getWidth(), Math.min(4000, height.intValue() + 120)));
      byte[] png = ((TakesScreenshot) browser).getScreenshotAs(OutputType.BYTES);
      Files.write(shots.resolve(name + ".png"), png);
      browser.manage().window().setSize(window);
    } catch (IOException | WebDriverException e) {
      System.err.println("screenshot " + name + " failed: " + e);
    }
  }

  // --------------------------------------------------------------------------------- API

  private static Path dir(String name) throws IOException {
    return Files.createDirectories(tmp.resolve(name).resolve("data")).getParent();
  }

  private static void endpoint(String name, String site, Path root) throws Exception {
    send(
        token,
        "POST",
        "/api/v1/endpoints",
        Map.of("name", name, "site", site, "uri", root.toUri().toString()));
  }

  private static String submit(String src, String srcPath, String dst, String dstPath)
      throws Exception {
    return send(
            token,
            "POST",
            "/api/v1/jobs",
            Map.of(
                "source", Map.of("endpoint", src, "path", srcPath),
                "destination", Map.of("endpoint", dst, "path", dstPath)))
        .path("id")
        .asString();
  }

  private static String awaitJob(String id, Predicate<String> until) throws Exception {
    long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
    while (true) {
      String state = send(token, "GET", "/api/v1/jobs/" + id, null).path("state").asString();
      if (until.test(state)) {
        return state;
      }
      assertThat(System.nanoTime()).as("job %s is still %s", id, state).isLessThan(deadline);
      sleep(100);
    }
  }

  private static JsonNode send(String bearer, String method, String path, Object body)
      throws IOException, InterruptedException {
    HttpRequest.Builder b =
        HttpRequest.newBuilder(URI.create(base + path))
            .header("Authorization", "Bearer " + bearer)
            .header("Content-Type", "application/json")
            .method(
                method,
                body == null
                    ? HttpRequest.BodyPublishers.noBody()
                    : HttpRequest.BodyPublishers.ofString(JSON.writeValueAsString(body)));
    HttpResponse<String> r = HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
    assertThat(r.statusCode()).as(method + " " + path + ": " + r.body()).isLessThan(300);
    return JSON.readTree(r.body());
  }

  private static String short8(String id) {
    return id.substring(0, 8);
  }

  private static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while waiting", e);
    }
  }
}
