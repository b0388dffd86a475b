package org.cityvision.serving.testing;

import java.io.File;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import org.openqa.selenium.By;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.interactions.Actions;
import org.openqa.selenium.support.ui.ExpectedConditions;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * The review page in real headless Chromium (Debian's {@code /usr/bin/chromium} and {@code
 * /usr/bin/chromedriver}; Selenium Manager never runs), driven as a reviewer would: keys and
 * clicks. Owns its browser; close it.
 */
public final class ReviewBrowser implements AutoCloseable {
  public static final File CHROMIUM = new File("/usr/bin/chromium");
  public static final File CHROMEDRIVER = new File("/usr/bin/chromedriver");

  /** Why a browser test is skipped on a machine without them. */
  public static final String MISSING =
      "skipped: needs Debian's chromium and chromium-driver (/usr/bin/chromium, "
          + "/usr/bin/chromedriver); .ci/run installs them";

  public final ChromeDriver driver;
  public final WebDriverWait wait;

  private ReviewBrowser(ChromeDriver driver) {
    this.driver = driver;
    this.wait = new WebDriverWait(driver, Duration.ofSeconds(30));
  }

  /** {@code true} when Chromium and its driver are installed. */
  public static boolean available() {
    return CHROMIUM.canExecute() && CHROMEDRIVER.canExecute();
  }

  /** A 1440×900 headless browser with its profile in {@code profile}. */
  public static ReviewBrowser start(Path profile) {
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
        "--user-data-dir=" + profile.toAbsolutePath());
    ChromeDriverService service =
        new ChromeDriverService.Builder()
            .usingDriverExecutable(CHROMEDRIVER)
            .usingAnyFreePort()
            .build();
    return new ReviewBrowser(new ChromeDriver(service, options));
  }

  /**
   * Opens the page at {@code base} (plus {@code query}), signs in with {@code key}, waits for the
   * first tile.
   */
  public void signIn(URI base, String query, String key) {
    driver.get(base.resolve("/" + query).toString());
    wait.until(ExpectedConditions.visibilityOfElementLocated(By.id("key"))).sendKeys(key);
    driver.findElement(By.cssSelector("#signin-form button[type=submit]")).click();
    wait.until(ExpectedConditions.visibilityOfElementLocated(By.id("app")));
  }

  /** Presses keys on whatever has focus. */
  public void keys(CharSequence... keys) {
    new Actions(driver).sendKeys(keys).perform();
  }

  /** The CSS selector of the tile of {@code frameId}. */
  public static String tile(String frameId) {
    return ".tile[data-frame-id='" + frameId + "']";
  }

  public void awaitSelected(String frameId) {
    wait.until(
        ExpectedConditions.attributeContains(By.cssSelector(tile(frameId)), "class", "selected"));
  }

  public void awaitStatus(String frameId, String status) {
    wait.until(
        ExpectedConditions.attributeToBe(By.cssSelector(tile(frameId)), "data-status", status));
  }

  public Object script(String js, Object... args) {
    return ((JavascriptExecutor) driver).executeScript(js, args);
  }

  /** {@code true} when the image at {@code selector} shows a blob fetched with the key. */
  public static boolean imageShown(WebDriver driver, String selector) {
    Object loaded =
        ((JavascriptExecutor) driver)
            .executeScript(
                "const img = document.querySelector(arguments[0]);"
                    + "return !!img && img.complete && img.naturalWidth > 0 && img.src.startsWith('blob:');",
                selector);
    return Boolean.TRUE.equals(loaded);
  }

  @Override
  public void close() {
    driver.quit();
  }
}
