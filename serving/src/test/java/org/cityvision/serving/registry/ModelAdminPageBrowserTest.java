package org.cityvision.serving.registry;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Set;
import java.util.regex.Pattern;
import org.cityvision.core.frame.FrameRecord;
import org.cityvision.core.frame.FrameUpload;
import org.cityvision.core.model.ModelPackage;
import org.cityvision.core.review.FlagRecord;
import org.cityvision.core.testing.TestImages;
import org.cityvision.serving.ServingNode;
import org.cityvision.serving.config.ModelsConfig;
import org.cityvision.serving.config.ServerConfig;
import org.cityvision.serving.testing.ReviewBrowser;
import org.cityvision.serving.testing.ServingFixture;
import org.cityvision.serving.testing.TestClient;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.StaleElementReferenceException;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.support.ui.ExpectedConditions;
import org.openqa.selenium.support.ui.Select;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * The review page on a real node (real models, ingest, camera health, registry and store) in real
 * headless Chromium: a camera frame's detail shows the camera's health and the model's top-k; the
 * model queues switch; an admin's Models section lists versions with the live one, refuses a
 * candidate without enough verdicts with the server's reason, trains one from verdicts, shows it
 * beside the live model, promotes it (forcing, after a confirm, when it is not better) and rolls
 * back. A reviewer key has no Models section.
 */
class ModelAdminPageBrowserTest {
  @TempDir static Path dir;
  static ServingNode node;
  static TestClient http;
  static String reviewer;
  static String liveVersion;

  @BeforeAll
  static void start() throws Exception {
    assumeTrue(ReviewBrowser.available(), ReviewBrowser.MISSING);
    ModelPackage pkg = CandidateJobsTest.wasteWithReplay(dir.resolve("waste"));
    ServerConfig c =
        ServingFixture.withModelsFlaggingEveryFrame(dir.resolve("data"), dir.resolve("scratch"));
    node =
        ServingFixture.start(
            c.withModels(new ModelsConfig(pkg.dir().toString(), c.models().urban(), true)));
    http = new TestClient(node.port());
    reviewer = http.newKey("reviewer", "page-reviewer");
    liveVersion = node.models().task("waste").orElseThrow().version();
  }

  @AfterAll
  static void stop() throws Exception {
    if (http != null) {
      http.close();
    }
    ServingFixture.stop(node);
  }

  @Test
  void anAdminSeesCameraHealthSwitchesQueuesAndTrainsPromotesAndRollsBackACandidate()
      throws Exception {
    String camera = http.newKey("camera", "page-camera");
    TestClient.Response posted =
        http.post("/v1/cameras/cam-p/frames", camera, "image/jpeg", TestImages.jpeg(640, 360, 3));
    assertEquals(201, posted.status(), posted.text());
    String frameId = posted.json().getString("frameId");
    assertTrue(posted.json().getBoolean("flagged"), posted.text());
    // A waste flag too, so that the queues differ.
    FrameRecord machine =
        node.store()
            .putFrame(
                new FrameUpload(
                    "machine-1",
                    Instant.now(),
                    "image/jpeg",
                    TestImages.jpeg(320, 240, 9),
                    TestImages.jpeg(160, 120, 9)));
    node.store()
        .createFlag(
            FlagRecord.open(machine.frameId(), "glass", 0.5, "waste", liveVersion, Instant.now()));

    try (ReviewBrowser browser = ReviewBrowser.start(dir.resolve("profile"))) {
      browser.signIn(base(node), "", ServingFixture.ADMIN_KEY);
      browser.wait.until(ExpectedConditions.numberOfElementsToBe(By.cssSelector(".tile"), 2));

      // The model queues: waste shows the machine's flag only, urban the camera's.
      new Select(browser.driver.findElement(By.id("f-model"))).selectByValue("urban");
      browser.wait.until(ExpectedConditions.numberOfElementsToBe(By.cssSelector(".tile"), 1));
      browser.awaitSelected(frameId);
      browser.wait.until(ExpectedConditions.urlContains("model=urban"));

      // Camera panel and top-k.
      browser.script("document.activeElement.blur()");
      browser.keys("\n");
      browser.wait.until(
          ExpectedConditions.attributeToBe(By.id("detail"), "data-frame-id", frameId));
      browser.wait.until(
          ExpectedConditions.numberOfElementsToBeMoreThan(By.cssSelector("#d-results .topk"), 0));
      browser.wait.until(
          d -> {
            String state = d.findElement(By.id("d-camera")).getDomAttribute("data-state");
            return state != null && !state.isEmpty();
          });
      String state = browser.driver.findElement(By.id("d-camera")).getDomAttribute("data-state");
      assertTrue(Set.of("ok", "degraded", "fault").contains(state), "camera state " + state);
      assertTrue(browser.driver.findElement(By.id("d-camera")).getText().contains("Last frame"));
      browser.keys("\u001b");

      // Models section: versions with the live one.
      browser.keys("m");
      browser.wait.until(ExpectedConditions.visibilityOfElementLocated(By.id("admin")));
      new Select(browser.driver.findElement(By.id("a-model"))).selectByValue("waste");
      browser.wait.until(
          ExpectedConditions.presenceOfElementLocated(
              By.cssSelector("#a-versions tr.live[data-version='" + liveVersion + "']")));

      // Too few verdicts: the server's reason, shown as it is.
      browser.driver.findElement(By.id("a-head")).click();
      browser.wait.until(
          ExpectedConditions.textMatches(
              By.id("a-status"), Pattern.compile("Refused \\(400 not_enough_verdicts\\)")));

      CandidateJobsTest.confirmFlags(node, http, reviewer, liveVersion, 50, 500);
      browser.driver.findElement(By.id("a-head")).click();
      browser.wait.until(
          ExpectedConditions.textMatches(
              By.id("a-status"),
              Pattern.compile("Candidate \\S+ started \\(head mode, 50 verdicts\\)")));
      // The panel reads the job again every 2 s while it runs.
      WebDriverWait training = new WebDriverWait(browser.driver, Duration.ofSeconds(240));
      training.ignoring(StaleElementReferenceException.class);
      String id =
          training.until(
              d ->
                  d.findElements(By.cssSelector(".candidate")).stream()
                      .filter(e -> e.getText().contains(" · done · "))
                      .map(e -> e.getDomAttribute("data-candidate"))
                      .findFirst()
                      .orElse(null));
      WebElement candidate =
          browser.driver.findElement(By.cssSelector(".candidate[data-candidate='" + id + "']"));
      assertTrue(
          candidate.getText().contains("Verdict holdout")
              && candidate.getText().contains("Package validation"),
          candidate.getText());
      boolean better = candidate.findElements(By.cssSelector("p.better")).size() == 1;

      candidate.findElement(By.cssSelector("button[data-act=promote]")).click();
      By outcome = By.cssSelector(".candidate[data-candidate='" + id + "'] .outcome");
      if (!better) {
        browser.wait.until(
            ExpectedConditions.textMatches(
                outcome, Pattern.compile("Not promoted \\(409 candidate_not_better\\)")));
        browser
            .driver
            .findElement(
                By.cssSelector(".candidate[data-candidate='" + id + "'] button[data-act=force]"))
            .click();
        browser.wait.until(ExpectedConditions.alertIsPresent()).accept();
      }
      browser.wait.until(
          ExpectedConditions.textMatches(outcome, Pattern.compile("Promoted: waste ")));
      JsonObject live =
          http.get("/v1/models/waste/candidates/" + id, ServingFixture.ADMIN_KEY).json();
      String candidateVersion = live.getString("version");
      // The panel reads the model again after a promote: wait on the text, not on one element.
      browser.wait.until(
          ExpectedConditions.textMatches(
              outcome, Pattern.compile(Pattern.quote(candidateVersion))));
      assertEquals(candidateVersion, node.store().models().history("waste", 1).get(0).version());

      browser.driver.findElement(By.id("a-rollback")).click();
      browser.wait.until(
          ExpectedConditions.textToBe(
              By.id("a-status"), "Rolled back: waste " + liveVersion + " is live again."));
      assertEquals(liveVersion, node.store().models().history("waste", 1).get(0).version());

      // A reviewer's key has no Models section.
      browser.driver.findElement(By.id("a-close")).click();
      browser.driver.findElement(By.id("signout")).click();
      browser.signIn(base(node), "", reviewer);
      browser.wait.until(
          ExpectedConditions.numberOfElementsToBeMoreThan(By.cssSelector(".tile"), 0));
      assertFalse(browser.driver.findElement(By.id("admin-button")).isDisplayed());
      browser.keys("m");
      assertFalse(browser.driver.findElement(By.id("admin")).isDisplayed());
    }
  }

  private static URI base(ServingNode node) {
    return URI.create("http://127.0.0.1:" + node.port() + "/");
  }
}
