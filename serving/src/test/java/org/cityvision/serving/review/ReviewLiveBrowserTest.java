package org.cityvision.serving.review;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.File;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.support.ui.ExpectedConditions;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * The live queue and review leases in real headless Chromium: two reviewers with two keys on one
 * queue never see the same frame (and a reviewer who signs out hands hers back), and a flag stored
 * on this node or on a second node sharing the store shows as an "N new" banner within 2 s.
 */
class ReviewLiveBrowserTest extends SharedS3 {
  private static final File CHROMIUM = new File("/usr/bin/chromium");
  private static final File CHROMEDRIVER = new File("/usr/bin/chromedriver");

  @TempDir Path dir;

  @BeforeEach
  void needsChromium() {
    assumeTrue(
        CHROMIUM.canExecute() && CHROMEDRIVER.canExecute(),
        "skipped: needs Debian's chromium and chromium-driver (/usr/bin/chromium, /usr/bin/chromedriver); "
            + ".ci/run installs them");
  }

  private static ChromeDriver chromium(Path profile) {
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
        "--window-size=1280,800",
        "--user-data-dir=" + profile.toAbsolutePath());
    return new ChromeDriver(
        new ChromeDriverService.Builder()
            .usingDriverExecutable(CHROMEDRIVER)
            .usingAnyFreePort()
            .build(),
        options);
  }

  private static void signIn(WebDriver driver, ReviewServer node, String key) {
    WebDriverWait wait = new WebDriverWait(driver, Duration.ofSeconds(30));
    driver.get(node.base.resolve("/").toString());
    wait.until(ExpectedConditions.visibilityOfElementLocated(By.id("key"))).sendKeys(key);
    driver.findElement(By.cssSelector("#signin-form button[type=submit]")).click();
    wait.until(
        d ->
            !((String)
                    ((JavascriptExecutor) d)
                        .executeScript("return document.getElementById('list-status').textContent"))
                .startsWith("Loading"));
  }

  private static Set<String> tiles(WebDriver driver) {
    Set<String> ids = new HashSet<>();
    for (WebElement t : driver.findElements(By.cssSelector(".tile[data-frame-id]"))) {
      ids.add(t.getAttribute("data-frame-id"));
    }
    return ids;
  }

  @Test
  void twoReviewersWithTwoKeysOnOneQueueNeverSeeTheSameFrame() throws Exception {
    try (ReviewServer node =
        ReviewServer.start(vertx, s3, dir.resolve("data"), ReviewEvents.NONE)) {
      List<String> all = new ArrayList<>();
      for (int m = 0; m < 70; m++) {
        all.add(node.flagged("cam-" + (m % 5), "graffiti", 0.9, m).frameId());
      }
      ChromeDriver alice = chromium(dir.resolve("alice"));
      ChromeDriver bob = chromium(dir.resolve("bob"));
      try {
        signIn(alice, node, ReviewServer.ALICE);
        new WebDriverWait(alice, Duration.ofSeconds(30)).until(d -> !tiles(d).isEmpty());
        signIn(bob, node, ReviewServer.BOB);
        new WebDriverWait(bob, Duration.ofSeconds(30)).until(d -> !tiles(d).isEmpty());
        Set<String> a = tiles(alice);
        Set<String> b = tiles(bob);
        Set<String> both = new HashSet<>(a);
        both.retainAll(b);
        assertEquals(Set.of(), both, "frames shown to both reviewers");
        assertEquals(new HashSet<>(all), union(a, b), "every frame is shown to one of them");

        // Alice leaves: her leases are released, and Bob's next load shows her frames.
        alice.findElement(By.id("signout")).click();
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        String probe = a.iterator().next();
        while (node.store.leaseFlag(probe, "bob", Duration.ofSeconds(60)).isEmpty()) {
          assertTrue(System.nanoTime() < deadline, "alice's leases were not released within 10 s");
          LockSupport.parkNanos(Duration.ofMillis(50).toNanos());
        }
        bob.findElement(By.cssSelector("#tabs button[data-status=open]")).click();
        new WebDriverWait(bob, Duration.ofSeconds(30)).until(d -> tiles(d).containsAll(a));
      } finally {
        alice.quit();
        bob.quit();
      }
    }
  }

  private static Set<String> union(Set<String> a, Set<String> b) {
    Set<String> u = new HashSet<>(a);
    u.addAll(b);
    return u;
  }

  @Test
  void aFlagStoredOnThisOrASecondNodeShowsAsANewBannerWithinTwoSeconds() throws Exception {
    try (ReviewServer node = ReviewServer.start(vertx, s3, dir.resolve("a"), ReviewEvents.NONE);
        ReviewServer second =
            ReviewServer.start(vertx, s3, dir.resolve("b"), ReviewEvents.NONE, node.bucket)) {
      String first = node.flagged("cam-1", "graffiti", 0.9, 0).frameId();
      ChromeDriver driver = chromium(dir.resolve("profile"));
      try {
        signIn(driver, node, ReviewServer.ALICE);
        WebDriverWait wait = new WebDriverWait(driver, Duration.ofSeconds(10));
        wait.until(d -> tiles(d).contains(first));
        // The stream is open once the page has had its first event (the counts).
        wait.until(
            d ->
                ((Number)
                            ((JavascriptExecutor) d)
                                .executeScript("return window.CityVisionLive.timings.events"))
                        .intValue()
                    > 0);

        long start = System.nanoTime();
        String here = node.flagged("cam-2", "pothole", 0.7, 5).frameId();
        new WebDriverWait(driver, Duration.ofSeconds(2), Duration.ofMillis(20))
            .until(ExpectedConditions.attributeToBe(By.id("live-banner"), "data-count", "1"));
        long hereMs = (System.nanoTime() - start) / 1_000_000;

        start = System.nanoTime();
        String there = second.flagged("cam-3", "graffiti", 0.8, 6).frameId();
        new WebDriverWait(driver, Duration.ofSeconds(2), Duration.ofMillis(20))
            .until(ExpectedConditions.attributeToBe(By.id("live-banner"), "data-count", "2"));
        long thereMs = (System.nanoTime() - start) / 1_000_000;
        assertTrue(
            hereMs <= 2000 && thereMs <= 2000,
            "banner after " + hereMs + " ms and " + thereMs + " ms");

        assertEquals(Set.of(first), tiles(driver), "the grid does not move by itself");
        wait.until(ExpectedConditions.textToBe(By.cssSelector("[data-count=open]"), "3"));
        driver.findElement(By.id("live-banner")).click();
        wait.until(d -> tiles(d).equals(Set.of(first, here, there)));
        wait.until(ExpectedConditions.invisibilityOfElementLocated(By.id("live-banner")));
      } finally {
        driver.quit();
      }
    }
  }
}
