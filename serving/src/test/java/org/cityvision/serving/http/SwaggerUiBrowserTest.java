package org.cityvision.serving.http;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.File;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.logging.Level;
import org.cityvision.serving.ServingNode;
import org.cityvision.serving.testing.ServingFixture;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.logging.LogEntry;
import org.openqa.selenium.logging.LogType;
import org.openqa.selenium.logging.LoggingPreferences;
import org.openqa.selenium.support.ui.ExpectedConditions;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * {@code /docs} in real headless Chromium: Swagger UI renders the node's own OpenAPI document under
 * the page's Content-Security-Policy, with no error in the console (a blocked script or style would
 * leave the page blank or log one).
 */
class SwaggerUiBrowserTest {
  private static final File CHROMIUM = new File("/usr/bin/chromium");
  private static final File CHROMEDRIVER = new File("/usr/bin/chromedriver");

  @TempDir Path dir;

  @Test
  void swaggerUiShowsTheApisOperationsWithNoConsoleError() throws Exception {
    assumeTrue(
        CHROMIUM.canExecute() && CHROMEDRIVER.canExecute(),
        "skipped: needs Debian's chromium and chromium-driver (/usr/bin/chromium, /usr/bin/chromedriver)");
    ServingNode node = ServingFixture.start(ServingFixture.config(dir.resolve("data")));
    try {
      ChromeOptions options = new ChromeOptions();
      options.setBinary(CHROMIUM);
      options.addArguments(
          "--headless=new",
          "--no-sandbox",
          "--disable-gpu",
          "--disable-dev-shm-usage",
          "--disable-background-networking",
          "--disable-component-update",
          "--disable-sync",
          "--no-first-run",
          "--window-size=1440,900",
          "--user-data-dir=" + dir.resolve("profile").toAbsolutePath());
      LoggingPreferences logs = new LoggingPreferences();
      logs.enable(LogType.BROWSER, Level.ALL);
      options.setCapability("goog:loggingPrefs", logs);
      ChromeDriver driver =
          new ChromeDriver(
              new ChromeDriverService.Builder()
                  .usingDriverExecutable(CHROMEDRIVER)
                  .usingAnyFreePort()
                  .build(),
              options);
      try {
        WebDriverWait wait = new WebDriverWait(driver, Duration.ofSeconds(60));
        driver.get("http://127.0.0.1:" + node.port() + "/docs");
        wait.until(
            ExpectedConditions.textToBePresentInElementLocated(
                By.cssSelector(".swagger-ui .info .title"), "CityVision API"));
        wait.until(ExpectedConditions.numberOfElementsToBeMoreThan(By.cssSelector(".opblock"), 20));
        assertTrue(
            driver.getPageSource().contains("/v1/cameras/{cameraId}/frames"),
            "the frames route is listed");
        List<String> errors =
            driver.manage().logs().get(LogType.BROWSER).getAll().stream()
                .filter(e -> e.getLevel().intValue() >= Level.SEVERE.intValue())
                .map(LogEntry::getMessage)
                .toList();
        assertTrue(errors.isEmpty(), "console errors: " + errors);
      } finally {
        driver.quit();
      }
    } finally {
      ServingFixture.stop(node);
    }
  }
}
