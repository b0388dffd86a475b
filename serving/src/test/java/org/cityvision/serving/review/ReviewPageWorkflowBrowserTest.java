package org.cityvision.serving.review;

import static org.cityvision.serving.review.ReviewServer.ALICE;
import static org.cityvision.serving.review.ReviewServer.BOB;
import static org.cityvision.serving.review.ReviewServer.json;
import static org.cityvision.serving.testing.ReviewBrowser.tile;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.vertx.core.Vertx;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import org.cityvision.core.review.FlagRecord;
import org.cityvision.core.review.FlagStatus;
import org.cityvision.s3server.EmbeddedS3Server;
import org.cityvision.serving.testing.ReviewBrowser;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.Keys;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.interactions.Actions;
import org.openqa.selenium.support.ui.ExpectedConditions;
import org.openqa.selenium.support.ui.Select;

/**
 * The review page's reviewer workflows in real headless Chromium against a real review server and
 * store (one bucket per test): notes that belong to their frame, undo, state in the URL with select
 * all and Shift ranges, the configurable keyboard map, and zoom, fullscreen and camera history.
 */
class ReviewPageWorkflowBrowserTest {
  @TempDir static Path dir;
  static EmbeddedS3Server s3;
  static Vertx vertx;
  static ReviewBrowser browser;
  @TempDir Path dataDir;
  ReviewServer api;

  @BeforeAll
  static void start() throws Exception {
    assumeTrue(ReviewBrowser.available(), ReviewBrowser.MISSING);
    s3 = EmbeddedS3Server.start(dir.resolve("s3"), 0, "workflow-test", "workflow-test-secret");
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

  @BeforeEach
  void startServer() throws Exception {
    api = ReviewServer.start(vertx, s3, dataDir, ReviewEvents.NONE);
  }

  @AfterEach
  void stopServer() throws Exception {
    api.close();
  }

  private void awaitDetailOf(String frameId) {
    browser.wait.until(ExpectedConditions.attributeToBe(By.id("detail"), "data-frame-id", frameId));
    browser.wait.until(ExpectedConditions.visibilityOfElementLocated(By.id("detail")));
  }

  private String noteValue() {
    return browser.driver.findElement(By.id("d-note")).getDomProperty("value");
  }

  private String focusedId() {
    return String.valueOf(
        browser.script("return document.activeElement && document.activeElement.id"));
  }

  private void awaitStored(String frameId, FlagStatus status) {
    browser.wait.until(
        d -> {
          try {
            return api.store.flag(frameId).status() == status;
          } catch (Exception e) {
            return false;
          }
        });
  }

  /** Three open flags of cam-1, newest first (A, B, C); Alice signed in with A selected. */
  private List<FlagRecord> threeFlagsSignedIn() throws Exception {
    FlagRecord c = api.flagged("cam-1", "graffiti", 0.7, 0);
    FlagRecord b = api.flagged("cam-1", "flooding", 0.8, 1);
    FlagRecord a = api.flagged("cam-1", "graffiti", 0.9, 2);
    browser.signIn(api.base, "", ALICE);
    browser.awaitSelected(a.frameId());
    return List.of(a, b, c);
  }

  @Test
  void aNoteStaysWithItsFrameSurvivesEscAndIsSentByAFocusedButtonOrCtrlEnter() throws Exception {
    List<FlagRecord> flags = threeFlagsSignedIn();
    FlagRecord a = flags.get(0);
    FlagRecord b = flags.get(1);
    FlagRecord c = flags.get(2);

    // Typed for A, switching to B, back to A: A keeps its note, B starts empty.
    browser.keys(Keys.ENTER);
    awaitDetailOf(a.frameId());
    browser.keys("n");
    browser.wait.until(d -> focusedId().equals("d-note"));
    browser.keys("bags next to the bin");
    browser.keys(Keys.ESCAPE);
    browser.wait.until(d -> !focusedId().equals("d-note"));
    browser.keys(Keys.ARROW_RIGHT);
    awaitDetailOf(b.frameId());
    assertEquals("", noteValue());
    browser.keys(Keys.ARROW_LEFT);
    awaitDetailOf(a.frameId());
    assertEquals("bags next to the bin", noteValue());

    // Esc then C: the note goes with the verdict.
    browser.keys("n");
    browser.wait.until(d -> focusedId().equals("d-note"));
    browser.keys(Keys.ESCAPE);
    browser.keys("c");
    browser.awaitStatus(a.frameId(), "confirmed");
    assertEquals("bags next to the bin", api.store.flag(a.frameId()).note());

    // Enter on a focused button is that button's click, not swallowed.
    awaitDetailOf(b.frameId());
    assertEquals("", noteValue());
    browser.keys("n");
    browser.keys("a shadow, no water");
    browser.keys(Keys.TAB);
    browser.wait.until(
        d ->
            Boolean.TRUE.equals(
                browser.script(
                    "return document.activeElement.matches('#detail [data-verdict=confirm]')")));
    browser.keys(Keys.ENTER);
    browser.awaitStatus(b.frameId(), "confirmed");
    assertEquals("a shadow, no water", api.store.flag(b.frameId()).note());

    // Ctrl+Enter in the note confirms with it.
    awaitDetailOf(c.frameId());
    browser.keys("n");
    browser.keys("paint on the bridge");
    new Actions(browser.driver)
        .keyDown(Keys.CONTROL)
        .sendKeys(Keys.ENTER)
        .keyUp(Keys.CONTROL)
        .perform();
    browser.awaitStatus(c.frameId(), "confirmed");
    assertEquals("paint on the bridge", api.store.flag(c.frameId()).note());
  }

  @Test
  void theNextTileIsSelectedAsTheKeyIsPressedAndARefusedVerdictBringsTheSelectionBack()
      throws Exception {
    List<FlagRecord> flags = threeFlagsSignedIn();
    FlagRecord a = flags.get(0);
    FlagRecord b = flags.get(1);
    // Bob judges B while Alice's page still shows it open.
    json(api.post("/v1/flags/" + b.frameId() + "/review", BOB, "{\"verdict\":\"reject\"}"), 200);

    // The page selects B in the same task as the key press, before A's verdict is answered.
    Object selectedAtOnce =
        browser.script(
            "document.body.dispatchEvent(new KeyboardEvent('keydown', {key: 'c', bubbles: true}));"
                + " return document.querySelector('.tile.selected').dataset.frameId;");
    assertEquals(b.frameId(), selectedAtOnce);
    browser.awaitStatus(a.frameId(), "confirmed");
    awaitStored(a.frameId(), FlagStatus.CONFIRMED);

    browser.keys("c");
    browser.wait.until(
        ExpectedConditions.textMatches(By.id("toast-text"), Pattern.compile("override")));
    browser.awaitSelected(b.frameId());
    assertEquals(
        0L,
        browser.script("return document.querySelectorAll('.tile.saving').length"),
        "no tile is left waiting for its verdict");
    assertEquals(FlagStatus.REJECTED, api.store.flag(b.frameId()).status());
    assertEquals("bob", api.store.flag(b.frameId()).reviewer());
  }

  @Test
  void theCountsOnScreenStayExactThroughQuickVerdictsAnUndoAndAnotherReviewersVerdict()
      throws Exception {
    for (int i = 0; i < 8; i++) {
      api.flagged("cam-2", "graffiti", 0.7, i);
    }
    FlagRecord newest = api.flagged("cam-2", "flooding", 0.9, 8);
    FlagRecord others = api.flagged("cam-3", "flooding", 0.9, -1);
    browser.signIn(api.base, "", ALICE);
    browser.awaitSelected(newest.frameId());
    browser.wait.until(ExpectedConditions.textToBe(By.cssSelector("[data-count=open]"), "10"));

    // Five verdicts as fast as the keys go (their answers may come back in any order), while the
    // live stream reports each of them too; Z then undoes the last key's verdict.
    browser.keys("c", "x", "c", "x", "c");
    json(
        api.post("/v1/flags/" + others.frameId() + "/review", BOB, "{\"verdict\":\"reject\"}"),
        200);
    browser.wait.until(ExpectedConditions.textToBe(By.cssSelector("[data-count=open]"), "4"));
    browser.wait.until(ExpectedConditions.textToBe(By.cssSelector("[data-count=confirmed]"), "3"));
    browser.wait.until(ExpectedConditions.textToBe(By.cssSelector("[data-count=rejected]"), "3"));
    browser.keys("z");
    browser.wait.until(ExpectedConditions.textToBe(By.cssSelector("[data-count=open]"), "5"));
    Thread.sleep(1_500); // live events and counts answers still in flight must not move them
    assertEquals("5", browser.driver.findElement(By.cssSelector("[data-count=open]")).getText());
    assertEquals(
        "2", browser.driver.findElement(By.cssSelector("[data-count=confirmed]")).getText());
    assertEquals(
        "3", browser.driver.findElement(By.cssSelector("[data-count=rejected]")).getText());
    assertEquals(5, api.store.flagCounts().of(FlagStatus.OPEN));
  }

  @Test
  void zAndTheToastButtonUndoTheLastVerdictAndAVerdictGivenSinceIsNotUndone() throws Exception {
    FlagRecord b = api.flagged("cam-1", "flooding", 0.8, 0);
    FlagRecord a = api.flagged("cam-1", "graffiti", 0.9, 1);
    browser.signIn(api.base, "", ALICE);
    browser.awaitSelected(a.frameId());

    browser.keys("c");
    browser.awaitStatus(a.frameId(), "confirmed");
    browser.awaitSelected(b.frameId());
    browser.keys("z");
    browser.awaitStatus(a.frameId(), "open");
    browser.awaitSelected(a.frameId());
    FlagRecord reopened = api.store.flag(a.frameId());
    assertEquals(FlagStatus.OPEN, reopened.status());
    assertEquals(3, reopened.revision());

    browser.keys("c");
    browser.awaitStatus(a.frameId(), "confirmed");
    json(
        api.post(
            "/v1/flags/" + a.frameId() + "/review",
            BOB,
            "{\"verdict\":\"reject\",\"override\":true}"),
        200);
    browser.keys("z");
    browser.wait.until(
        ExpectedConditions.textMatches(By.id("toast-text"), Pattern.compile("not undone: .*bob")));
    FlagRecord kept = api.store.flag(a.frameId());
    assertEquals(FlagStatus.REJECTED, kept.status());
    assertEquals("bob", kept.reviewer());

    browser.awaitSelected(b.frameId());
    browser.keys("x");
    browser.awaitStatus(b.frameId(), "rejected");
    browser.wait.until(ExpectedConditions.elementToBeClickable(By.id("toast-undo"))).click();
    browser.awaitStatus(b.frameId(), "open");
    assertEquals(FlagStatus.OPEN, api.store.flag(b.frameId()).status());
  }

  @Test
  void filtersTabOrderAndSelectedFrameRoundTripThroughTheUrlAndMarksCoverPagesAndRanges()
      throws Exception {
    FlagRecord low = api.flagged("cam-a", "graffiti", 0.55, 0);
    FlagRecord mid = api.flagged("cam-a", "graffiti", 0.75, 1);
    FlagRecord upper = api.flagged("cam-a", "flooding", 0.85, 2);
    api.flagged("cam-b", "graffiti", 0.65, 3);
    api.flagged("cam-a", "graffiti", 0.95, 4);
    browser.signIn(api.base, "", ALICE);
    browser.wait.until(ExpectedConditions.numberOfElementsToBe(By.cssSelector(".tile"), 5));

    browser.driver.findElement(By.id("f-camera")).sendKeys("cam-a");
    browser.driver.findElement(By.id("f-min")).sendKeys("60");
    browser.driver.findElement(By.id("f-max")).sendKeys("90");
    new Select(browser.driver.findElement(By.id("f-order"))).selectByValue("least_confident");
    browser.driver.findElement(By.cssSelector("#filters button[type=submit]")).click();
    browser.wait.until(ExpectedConditions.numberOfElementsToBe(By.cssSelector(".tile"), 2));
    List<String> shown =
        browser.driver.findElements(By.cssSelector(".tile")).stream()
            .map(t -> t.getDomAttribute("data-frame-id"))
            .toList();
    assertEquals(List.of(mid.frameId(), upper.frameId()), shown);
    browser.awaitSelected(mid.frameId());
    browser.script("document.activeElement.blur()");
    browser.keys(Keys.ARROW_RIGHT);
    browser.awaitSelected(upper.frameId());
    browser.wait.until(ExpectedConditions.urlContains("frame=" + upper.frameId()));
    String url = browser.driver.getCurrentUrl();
    for (String part :
        List.of("cameraId=cam-a", "minScore=0.6", "maxScore=0.9", "order=least_confident")) {
      assertTrue(url.contains(part), part + " in " + url);
    }

    // The link restores the filters and opens the frame (the key stays in this tab's session
    // storage).
    browser.driver.get(url);
    browser.awaitSelected(upper.frameId());
    awaitDetailOf(upper.frameId());
    assertEquals("cam-a", browser.driver.findElement(By.id("f-camera")).getDomProperty("value"));
    assertEquals("60", browser.driver.findElement(By.id("f-min")).getDomProperty("value"));
    assertEquals("90", browser.driver.findElement(By.id("f-max")).getDomProperty("value"));
    assertEquals(
        "least_confident", browser.driver.findElement(By.id("f-order")).getDomProperty("value"));
    assertEquals(2, browser.driver.findElements(By.cssSelector(".tile")).size());
    browser.keys(Keys.ESCAPE);
    browser.wait.until(ExpectedConditions.invisibilityOfElementLocated(By.id("detail")));

    // Select all on the page (A), twice to clear; then a Shift range and one bulk verdict.
    browser.keys("a");
    browser.wait.until(ExpectedConditions.numberOfElementsToBe(By.cssSelector(".tile.marked"), 2));
    browser.keys("a");
    browser.wait.until(ExpectedConditions.numberOfElementsToBe(By.cssSelector(".tile.marked"), 0));
    browser.driver.findElement(By.cssSelector(tile(mid.frameId()))).click();
    WebElement last = browser.driver.findElement(By.cssSelector(tile(upper.frameId())));
    new Actions(browser.driver).keyDown(Keys.SHIFT).click(last).keyUp(Keys.SHIFT).perform();
    browser.wait.until(ExpectedConditions.numberOfElementsToBe(By.cssSelector(".tile.marked"), 2));
    browser.keys("x");
    browser.awaitStatus(mid.frameId(), "rejected");
    browser.awaitStatus(upper.frameId(), "rejected");
    assertEquals(FlagStatus.OPEN, api.store.flag(low.frameId()).status());

    // The tab is in the URL too.
    browser.driver.findElement(By.cssSelector("#tabs [data-status=rejected]")).click();
    browser.wait.until(ExpectedConditions.urlContains("status=rejected"));
    browser.driver.get(browser.driver.getCurrentUrl());
    browser.wait.until(
        ExpectedConditions.attributeToBe(
            By.cssSelector("#tabs [data-status=rejected]"), "aria-pressed", "true"));
    browser.wait.until(
        ExpectedConditions.numberOfElementsToBe(By.cssSelector(".tile[data-status=rejected]"), 2));
  }

  @Test
  void theQuestionMarkShowsTheKeysAndAChangedKeyActsAndIsKept() throws Exception {
    List<FlagRecord> flags = threeFlagsSignedIn();
    FlagRecord a = flags.get(0);
    FlagRecord b = flags.get(1);
    FlagRecord c = flags.get(2);

    browser.keys("?");
    browser.wait.until(ExpectedConditions.visibilityOfElementLocated(By.id("help")));
    By confirmKey = By.cssSelector("#help-keys button[data-action=confirm]");
    assertEquals("C", browser.driver.findElement(confirmKey).getText());
    assertTrue(
        browser.driver.findElements(By.cssSelector("#help-keys button[data-action]")).size() >= 20,
        "every action is listed with its key");
    browser.driver.findElement(confirmKey).click();
    browser.wait.until(ExpectedConditions.textToBe(confirmKey, "press a key…"));
    browser.keys("k");
    browser.wait.until(ExpectedConditions.textToBe(confirmKey, "K"));
    browser.keys(Keys.ESCAPE);
    browser.wait.until(ExpectedConditions.invisibilityOfElementLocated(By.id("help")));

    // C no longer confirms; K does. Had C acted, K would have judged B and X would have rejected C.
    browser.keys("c");
    browser.keys("k");
    browser.awaitStatus(a.frameId(), "confirmed");
    browser.awaitSelected(b.frameId());
    browser.keys("x");
    browser.awaitStatus(b.frameId(), "rejected");
    assertEquals(FlagStatus.CONFIRMED, api.store.flag(a.frameId()).status());
    assertEquals(FlagStatus.REJECTED, api.store.flag(b.frameId()).status());
    assertEquals(FlagStatus.OPEN, api.store.flag(c.frameId()).status());

    // Kept in this browser; Reset brings the defaults back.
    browser.driver.navigate().refresh();
    browser.wait.until(ExpectedConditions.visibilityOfElementLocated(By.id("app")));
    browser.keys("?");
    browser.wait.until(ExpectedConditions.textToBe(confirmKey, "K"));
    browser.driver.findElement(By.id("keys-reset")).click();
    browser.wait.until(ExpectedConditions.textToBe(confirmKey, "C"));
    browser.keys("?");
    browser.wait.until(ExpectedConditions.invisibilityOfElementLocated(By.id("help")));
  }

  @Test
  void theFrameZoomsAndPansGoesFullscreenAndShowsTheCamerasPreviousFramesSideBySide()
      throws Exception {
    FlagRecord first = api.flagged("cam-1", "graffiti", 0.7, 0);
    api.flagged("cam-2", "flooding", 0.8, 1);
    FlagRecord second = api.flagged("cam-1", "graffiti", 0.8, 2);
    FlagRecord newest = api.flagged("cam-1", "graffiti", 0.9, 3);
    browser.signIn(api.base, "", ALICE);
    browser.awaitSelected(newest.frameId());
    assertEquals(
        "contain",
        browser.script("return getComputedStyle(document.querySelector('.tile img')).objectFit"),
        "thumbnails are letterboxed");

    browser.keys(Keys.ENTER);
    awaitDetailOf(newest.frameId());
    browser.wait.until(d -> ReviewBrowser.imageShown(d, "#d-image"));
    By viewer = By.id("d-viewer");
    browser.keys("+");
    browser.wait.until(ExpectedConditions.attributeToBe(viewer, "data-zoom", "1.250"));
    browser.keys("+");
    browser.wait.until(ExpectedConditions.attributeToBe(viewer, "data-zoom", "1.563"));
    browser.keys("-");
    browser.wait.until(ExpectedConditions.attributeToBe(viewer, "data-zoom", "1.250"));
    String before = browser.driver.findElement(By.id("d-image")).getDomAttribute("style");
    new Actions(browser.driver)
        .moveToElement(browser.driver.findElement(viewer))
        .clickAndHold()
        .moveByOffset(-60, -20)
        .release()
        .perform();
    browser.wait.until(
        d -> !before.equals(d.findElement(By.id("d-image")).getDomAttribute("style")));
    browser.keys("0");
    browser.wait.until(ExpectedConditions.attributeToBe(viewer, "data-zoom", "1.000"));
    browser.script(
        "const v = document.getElementById('d-viewer'); const r = v.getBoundingClientRect();"
            + "v.dispatchEvent(new WheelEvent('wheel', {deltaY: -100, clientX: r.left + 20, clientY: r.top + 20,"
            + " bubbles: true, cancelable: true}));");
    browser.wait.until(ExpectedConditions.attributeToBe(viewer, "data-zoom", "1.250"));

    browser.keys("f");
    browser.wait.until(ExpectedConditions.attributeContains(viewer, "class", "fullscreen"));
    browser.keys(Keys.ESCAPE);
    browser.wait.until(d -> !d.findElement(viewer).getDomAttribute("class").contains("fullscreen"));
    assertTrue(
        browser.driver.findElement(By.id("detail")).isDisplayed(), "Esc leaves fullscreen first");

    browser.keys("h");
    browser.wait.until(ExpectedConditions.visibilityOfElementLocated(By.id("d-strip")));
    browser.wait.until(ExpectedConditions.numberOfElementsToBe(By.cssSelector("#d-strip li"), 3));
    List<String> strip =
        browser.driver.findElements(By.cssSelector("#d-strip li")).stream()
            .map(li -> li.getDomAttribute("data-frame-id"))
            .toList();
    assertEquals(List.of(newest.frameId(), second.frameId(), first.frameId()), strip);
    browser
        .driver
        .findElement(By.cssSelector("#d-strip li[data-frame-id='" + first.frameId() + "']"))
        .click();
    browser.wait.until(ExpectedConditions.attributeToBe(viewer, "data-showing", first.frameId()));
    browser.wait.until(d -> ReviewBrowser.imageShown(d, "#d-image"));
    browser.wait.until(
        ExpectedConditions.numberOfElementsToBeMoreThan(By.cssSelector("#d-results .topk"), 0));
    // This server has no camera health routes: the panel says so instead of failing.
    browser.wait.until(
        ExpectedConditions.attributeToBe(By.id("d-camera"), "data-state", "unknown"));
    assertNotEquals(FlagStatus.CONFIRMED, api.store.flag(newest.frameId()).status());
  }
}
