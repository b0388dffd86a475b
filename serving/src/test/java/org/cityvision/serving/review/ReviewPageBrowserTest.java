package org.cityvision.serving.review;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.vertx.core.Vertx;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.cityvision.core.review.FlagRecord;
import org.cityvision.core.review.FlagStatus;
import org.cityvision.s3server.EmbeddedS3Server;
import org.cityvision.serving.testing.ReviewBrowser;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.TakesScreenshot;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.interactions.Actions;
import org.openqa.selenium.support.ui.ExpectedConditions;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * The review page in real headless Chromium (the system's {@code chromium} and {@code
 * chromedriver}; Selenium Manager never runs): a reviewer signs in, sees a flagged frame's
 * thumbnail, presses C, and the verdict is in the store.
 */
class ReviewPageBrowserTest {
  private static final Path SCREENSHOT = Path.of("target", "screenshots", "review-page.png");

  @TempDir static Path dir;
  static EmbeddedS3Server s3;
  static Vertx vertx;

  @BeforeAll
  static void start() throws Exception {
    s3 = EmbeddedS3Server.start(dir.resolve("s3"), 0, "browser-test", "browser-test-secret");
    vertx = Vertx.vertx();
  }

  @AfterAll
  static void stop() throws Exception {
    if (vertx != null) {
      vertx.close().await(30, TimeUnit.SECONDS);
    }
    if (s3 != null) {
      s3.close();
    }
  }

  @Test
  void aReviewerSignsInSeesTheThumbnailPressesCAndTheVerdictIsStored() throws Exception {
    assumeTrue(ReviewBrowser.available(), ReviewBrowser.MISSING);
    try (ReviewServer api = ReviewServer.start(vertx, s3, dir.resolve("data"), ReviewEvents.NONE)) {
      api.flagged("cam-north", "flooding", 0.74, 0);
      api.flagged("cam-south", "garbage_dumping", 0.66, 1);
      FlagRecord newest = api.flagged("cam-north", "graffiti", 0.88, 2);

      try (ReviewBrowser browser = ReviewBrowser.start(dir.resolve("profile"))) {
        ChromeDriver driver = browser.driver;
        WebDriverWait wait = browser.wait;
        driver.get(api.base.resolve("/").toString());
        wait.until(ExpectedConditions.visibilityOfElementLocated(By.id("key")))
            .sendKeys(ReviewServer.ALICE);
        driver.findElement(By.cssSelector("#signin-form button[type=submit]")).click();

        String tile = ".tile[data-frame-id='" + newest.frameId() + "']";
        wait.until(d -> ReviewBrowser.imageShown(d, tile + " img"));
        wait.until(ExpectedConditions.attributeContains(By.cssSelector(tile), "class", "selected"));
        wait.until(ExpectedConditions.textToBe(By.cssSelector("[data-count=open]"), "3"));

        new Actions(driver).sendKeys("?").perform();
        wait.until(ExpectedConditions.visibilityOfElementLocated(By.id("help")));
        new Actions(driver).sendKeys("?").perform();
        new Actions(driver).sendKeys("\n").perform();
        wait.until(
            ExpectedConditions.numberOfElementsToBeMoreThan(By.cssSelector("#d-results .topk"), 0));
        wait.until(d -> ReviewBrowser.imageShown(d, "#d-image"));

        new Actions(driver).sendKeys("c").perform();
        wait.until(
            ExpectedConditions.attributeToBe(By.cssSelector(tile), "data-status", "confirmed"));
        wait.until(ExpectedConditions.textToBe(By.cssSelector("[data-count=confirmed]"), "1"));

        Files.createDirectories(SCREENSHOT.getParent());
        Files.write(SCREENSHOT, ((TakesScreenshot) driver).getScreenshotAs(OutputType.BYTES));
      }

      FlagRecord stored = api.store.flag(newest.frameId());
      assertEquals(FlagStatus.CONFIRMED, stored.status());
      assertEquals("alice", stored.reviewer());
      assertTrue(Files.size(SCREENSHOT) > 10_000, "the screenshot has content");
    }
  }
}
