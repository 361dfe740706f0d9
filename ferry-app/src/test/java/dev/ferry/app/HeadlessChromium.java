package dev.ferry.app;

import static org.assertj.core.api.Assertions.fail;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.logging.Level;
import java.util.logging.Logger;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.logging.LogType;
import org.openqa.selenium.logging.LoggingPreferences;

/**
 * The system's headless Chromium through its chromedriver ({@code /usr/bin/chromium}, {@code
 * /usr/bin/chromedriver}: Debian's {@code chromium} and {@code chromium-driver}); nothing is
 * downloaded. Shared by the browser tests ({@link ConsoleIT}, {@link DemoHeadlessIT}).
 */
final class HeadlessChromium {
  static final Path CHROMIUM = Path.of("/usr/bin/chromium");
  static final Path CHROMEDRIVER = Path.of("/usr/bin/chromedriver");

  // java.util.logging keeps loggers weakly: hold Selenium's to keep it quiet.
  private static final Logger SELENIUM_LOG = Logger.getLogger("org.openqa.selenium");

  private HeadlessChromium() {}

  /**
   * Whether the browser is installed. Without it a browser test is skipped, unless {@code
   * FERRY_REQUIRE_CHROMIUM=1} (as {@code .ci/run} sets), where this fails the test instead.
   */
  static boolean available() {
    boolean present = Files.isExecutable(CHROMIUM) && Files.isExecutable(CHROMEDRIVER);
    if (!present && "1".equals(System.getenv("FERRY_REQUIRE_CHROMIUM"))) {
      fail(
          "FERRY_REQUIRE_CHROMIUM=1 but Chromium is missing: %s and %s are needed (Debian:"
              + " apt-get install -y chromium chromium-driver)",
          CHROMIUM, CHROMEDRIVER);
    }
    return present;
  }

  /** A fresh headless browser with its own profile under {@code profile}, 1360 px wide. */
  static ChromeDriver start(Path profile) throws IOException {
    SELENIUM_LOG.setLevel(Level.SEVERE);
    System.setProperty("webdriver.chrome.driver", CHROMEDRIVER.toString());
    ChromeOptions chrome = new ChromeOptions();
    LoggingPreferences logs = new LoggingPreferences();
    logs.enable(LogType.BROWSER, Level.ALL);
    chrome.setCapability(ChromeOptions.LOGGING_PREFS, logs);
    chrome.setBinary(CHROMIUM.toFile());
    chrome.addArguments(
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-dev-shm-usage",
        "--lang=en-US",
        "--window-size=1360,900",
        "--user-data-dir=" + Files.createDirectories(profile));
    ChromeDriverService service =
        new ChromeDriverService.Builder()
            .usingDriverExecutable(CHROMEDRIVER.toFile())
            .usingAnyFreePort()
            .build();
    ChromeDriver browser = new ChromeDriver(service, chrome);
    browser.manage().timeouts().scriptTimeout(Duration.ofSeconds(10));
    return browser;
  }
}
