package org.cityvision.serving.review;

import static org.cityvision.serving.review.ReviewServer.ALICE;
import static org.cityvision.serving.review.ReviewServer.json;
import static org.cityvision.serving.testing.ReviewBrowser.tile;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.vertx.core.Vertx;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumSet;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.cityvision.core.frame.FrameId;
import org.cityvision.core.frame.FrameUpload;
import org.cityvision.core.image.ImageFormat;
import org.cityvision.core.image.SyntheticScene;
import org.cityvision.core.quality.CameraAlert;
import org.cityvision.core.quality.CameraState;
import org.cityvision.core.review.FlagRecord;
import org.cityvision.core.review.FlagStatus;
import org.cityvision.s3server.EmbeddedS3Server;
import org.cityvision.serving.testing.ReviewBrowser;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.opencv.core.CvType;
import org.opencv.core.Mat;
import org.opencv.core.Scalar;
import org.opencv.imgcodecs.Imgcodecs;
import org.openqa.selenium.By;
import org.openqa.selenium.Keys;
import org.openqa.selenium.NoSuchElementException;
import org.openqa.selenium.StaleElementReferenceException;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.support.ui.ExpectedConditions;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * Two review-page features in real headless Chromium against a real review server and store:
 * near-duplicate grouping (twenty near-identical frames of one camera become one tile with a count
 * badge under {@code G}, and one verdict on it judges all twenty) and camera alerts (the camera
 * panel shows a camera's open alert, the alerts panel lists the open alerts with the camera's
 * latest frame, and a reviewer confirms one by keyboard and dismisses another by mouse).
 */
class ReviewGroupsAndAlertsBrowserTest {
  @TempDir static Path dir;
  static EmbeddedS3Server s3;
  static Vertx vertx;
  static ReviewBrowser browser;

  @BeforeAll
  static void start() throws Exception {
    assumeTrue(ReviewBrowser.available(), ReviewBrowser.MISSING);
    s3 =
        EmbeddedS3Server.start(
            dir.resolve("s3"), 0, "groups-alerts-test", "groups-alerts-test-secret");
    vertx = Vertx.vertx();
    browser = ReviewBrowser.start(dir.resolve("profile"));
  }

  @AfterAll
  static void stop() throws Exception {
    if (browser != null) {
      browser.close();
    }
    if (vertx != null) {
      vertx.close().await(30, TimeUnit.SECONDS);
    }
    if (s3 != null) {
      s3.close();
    }
  }

  private int tiles() {
    return browser.driver.findElements(By.cssSelector("#grid .tile")).size();
  }

  @Test
  void twentyNearIdenticalFramesBecomeOneTileAndOneVerdictJudgesAllTwenty() throws Exception {
    try (ReviewServer api =
        ReviewServer.start(vertx, s3, dir.resolve("groups"), ReviewEvents.NONE)) {
      List<FlagRecord> shots = new ArrayList<>();
      for (int i = 0; i < 20; i++) {
        shots.add(api.flaggedShot("cam-1", 7, i, "garbage_dumping", i));
      }
      FlagRecord other = api.flaggedShot("cam-2", 99, 0, "graffiti", 30);
      String head = shots.get(19).frameId();

      browser.signIn(api.base, "", ALICE);
      browser.awaitSelected(other.frameId());
      browser.wait.until(d -> tiles() == 21);

      browser.keys("g");
      browser.wait.until(d -> tiles() == 2);
      String badge =
          browser.driver.findElement(By.cssSelector(tile(head) + " .group-count")).getText();
      assertEquals("×20", badge);
      browser.wait.until(d -> d.getCurrentUrl().contains("group=true"));
      assertEquals(
          "true",
          browser.driver.findElement(By.id("group-toggle")).getDomAttribute("aria-pressed"));

      // The grouping survives a reload (state in the URL); the keymap lists G.
      browser.driver.navigate().refresh();
      browser.wait.until(d -> tiles() == 2);
      browser.keys("?");
      assertTrue(
          browser.driver.findElement(By.id("help-keys")).getText().contains("near-identical"));
      browser.keys("?");

      browser.driver.findElement(By.cssSelector(tile(head))).click();
      browser.awaitSelected(head);
      browser.keys("c");
      // Twenty verdicts, each its own conditional write and log entry: on a loaded shared CI
      // machine
      // this takes longer than the browser's usual 30 s wait.
      new WebDriverWait(browser.driver, Duration.ofMinutes(3))
          .until(d -> hasStatus(d, tile(head), "confirmed"));

      JsonNode confirmed = json(api.get("/v1/flags?status=confirmed&limit=50", ALICE), 200);
      Set<String> judged = new HashSet<>();
      confirmed.get("items").forEach(i -> judged.add(i.get("frameId").asText()));
      assertEquals(
          new HashSet<>(shots.stream().map(FlagRecord::frameId).toList()),
          judged,
          "the one verdict judged each of the twenty frames, and only them");
      for (FlagRecord f : shots) {
        FlagRecord now = api.store.flag(f.frameId());
        assertEquals(FlagStatus.CONFIRMED, now.status());
        assertEquals("alice", now.reviewer());
      }
      assertEquals(FlagStatus.OPEN, api.store.flag(other.frameId()).status());
      assertEquals(
          20, json(api.get("/v1/flags/counts", ALICE), 200).get("confirmed").get("count").asInt());
    }
  }

  /** Three frames of one plain colour from {@code camera}, observed and stored as ingest does. */
  private static String sendPlain(ReviewServer api, String camera, double grey) throws Exception {
    Mat plain = new Mat(360, 640, CvType.CV_8UC3, Scalar.all(grey));
    byte[] jpeg = SyntheticScene.encode(plain, ".jpg", Imgcodecs.IMWRITE_JPEG_QUALITY, 90);
    plain.release();
    String last = null;
    for (int i = 0; i < 3; i++) {
      Instant at = Instant.now();
      FrameId id = FrameId.generate(camera, at);
      api.cameras.observe(camera, jpeg, EnumSet.allOf(ImageFormat.class), id.value(), at, at);
      api.store.putFrame(new FrameUpload(camera, at, "image/jpeg", jpeg, jpeg, id));
      last = id.value();
    }
    return last;
  }

  private static CameraAlert alertOf(ReviewServer api, String camera) throws Exception {
    CameraState state = api.cameras.camera(camera).orElseThrow();
    return state.alerts().stream().max(Comparator.comparing(CameraAlert::at)).orElseThrow();
  }

  @Test
  void aReviewerSeesOpenCameraAlertsAndConfirmsByKeyboardAndDismissesByMouse() throws Exception {
    try (ReviewServer api =
        ReviewServer.startWithCameras(vertx, s3, dir.resolve("alerts"), ReviewEvents.NONE)) {
      String dark = sendPlain(api, "cam-dark", 0);
      sendPlain(api, "cam-bright", 255);
      assertEquals(CameraAlert.Status.OPEN, alertOf(api, "cam-dark").status());
      assertEquals(CameraAlert.Status.OPEN, alertOf(api, "cam-bright").status());
      // A flag of the dark camera's frame, so that its camera panel can be opened.
      api.store.createFlag(FlagRecord.open(dark, "graffiti", 0.9, "urban", "1.0.0", Instant.now()));

      browser.signIn(api.base, "", ALICE);
      browser.awaitSelected(dark);
      browser.wait.until(d -> !d.findElement(By.id("alerts-count")).getText().equals("–"));
      int open = Integer.parseInt(browser.driver.findElement(By.id("alerts-count")).getText());
      assertTrue(open >= 2, "both cameras' alerts are counted: " + open);

      // The camera panel shows the camera's open alert and leads to it.
      browser.keys(Keys.ENTER);
      browser.wait.until(ExpectedConditions.visibilityOfElementLocated(By.id("d-camera-alert")));
      assertTrue(
          browser.driver.findElement(By.id("d-camera")).getText().contains("black"),
          browser.driver.findElement(By.id("d-camera")).getText());
      browser.driver.findElement(By.id("d-camera-alert")).click();
      browser.wait.until(ExpectedConditions.visibilityOfElementLocated(By.id("alerts")));
      browser.wait.until(d -> d.findElements(By.cssSelector("#al-list li")).size() == open);
      String selected = "#al-list li.selected";
      assertEquals(
          "cam-dark",
          browser.driver.findElement(By.cssSelector(selected)).getDomAttribute("data-camera-id"));
      browser.wait.until(
          d ->
              ReviewBrowser.imageShown(d, "#al-list li[data-camera-id='cam-dark'] img")
                  && ReviewBrowser.imageShown(d, "#al-list li[data-camera-id='cam-bright'] img"));
      String bright =
          browser
              .driver
              .findElement(By.cssSelector("#al-list li[data-camera-id='cam-bright']"))
              .getText()
              .toLowerCase(Locale.ROOT); // the kind is shown capitalised
      assertTrue(
          bright.startsWith(alertOf(api, "cam-bright").to().wireName())
              && bright.contains("cam-bright"),
          "the row names what happened and where: " + bright);

      // Keyboard: C confirms the selected alert; the page judges nothing else.
      browser.keys("c");
      browser.wait.until(d -> hasStatus(d, "#al-list li[data-camera-id='cam-dark']", "confirmed"));
      CameraAlert confirmed = alertOf(api, "cam-dark");
      assertEquals(CameraAlert.Status.CONFIRMED, confirmed.status());
      assertEquals("alice", confirmed.reviewer());
      assertEquals("open", api.store.flag(dark).status().keyName());

      // Mouse: Dismiss on the other alert.
      browser
          .driver
          .findElement(
              By.cssSelector("#al-list li[data-camera-id='cam-bright'] [data-verdict=dismiss]"))
          .click();
      browser.wait.until(
          d -> hasStatus(d, "#al-list li[data-camera-id='cam-bright']", "dismissed"));
      assertEquals(CameraAlert.Status.DISMISSED, alertOf(api, "cam-bright").status());
      browser.wait.until(
          ExpectedConditions.textToBe(By.id("alerts-count"), String.valueOf(open - 2)));

      // L closes the panel; Esc too.
      browser.keys("l");
      browser.wait.until(ExpectedConditions.invisibilityOfElementLocated(By.id("alerts")));
      browser.keys("l");
      browser.wait.until(ExpectedConditions.visibilityOfElementLocated(By.id("alerts")));
      browser.keys(Keys.ESCAPE);
      browser.wait.until(ExpectedConditions.invisibilityOfElementLocated(By.id("alerts")));
    }
  }

  /**
   * Whether the element (an alert row, a tile) has that status; lists are redrawn as verdicts land,
   * so an element found a moment ago may be gone: that reads as not yet.
   */
  private static boolean hasStatus(WebDriver d, String css, String status) {
    try {
      return status.equals(d.findElement(By.cssSelector(css)).getDomAttribute("data-status"));
    } catch (StaleElementReferenceException | NoSuchElementException e) {
      return false;
    }
  }
}
