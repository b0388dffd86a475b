package org.cityvision.serving.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Predicate;
import java.util.function.Supplier;
import org.cityvision.core.model.ModelException;
import org.cityvision.core.model.ModelPackage;
import org.cityvision.core.model.ReplaySet;
import org.cityvision.core.testing.TestImages;
import org.cityvision.serving.registry.CandidateFixtures;

/**
 * The learning loop's test helpers: a waste package that can train candidates, and polling with a
 * deadline.
 */
public final class LoopFixture {
  private LoopFixture() {}

  /**
   * A copy of the test waste package under {@code version} with a replay set: the package's own
   * when it ships one, else a small synthetic one (class-dependent features), which serves a
   * candidate job's mechanics.
   */
  public static ModelPackage wasteWithReplay(Path to, String version)
      throws IOException, ModelException {
    ModelPackage pkg = ServingFixture.wasteCopy(to, version);
    if (ReplaySet.of(pkg).isEmpty()) {
      CandidateFixtures.syntheticReplay(pkg, 5).write(pkg.dir().resolve(ReplaySet.FILE));
    }
    return pkg;
  }

  /**
   * Reads {@code value} every 50 ms until {@code done} holds, failing with the last value after
   * {@code within}.
   */
  public static <T> T await(Duration within, Supplier<T> value, Predicate<T> done, String what) {
    long deadline = System.nanoTime() + within.toNanos();
    T last = value.get();
    while (!done.test(last)) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError(
            what + " not reached within " + within.toSeconds() + " s; last: " + last);
      }
      LockSupport.parkNanos(Duration.ofMillis(50).toNanos());
      last = value.get();
    }
    return last;
  }

  /** Waits for a candidate job to leave {@code running} and returns its state. */
  public static JsonObject finishedCandidate(
      TestClient http, String admin, String model, String id) {
    return await(
        Duration.ofSeconds(240),
        () -> {
          TestClient.Response r = http.get("/v1/models/" + model + "/candidates/" + id, admin);
          assertEquals(200, r.status(), r.text());
          return r.json();
        },
        s -> !"running".equals(s.getString("state")),
        "candidate " + id + " finished");
  }

  /** One sorting answer that was captured: its frame, and the live label and version. */
  public record Captured(String frameId, String label, String version) {}

  /**
   * Classifies {@code n} synthetic images through {@code POST /v1/classify/waste} on a node that
   * captures every answer, and returns each answer's frame.
   */
  public static List<Captured> capture(TestClient http, String sorter, int n, int seed0) {
    List<Captured> out = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      TestClient.Response r =
          http.post(
              "/v1/classify/waste", sorter, "image/jpeg", TestImages.jpeg(320, 240, seed0 + i));
      assertEquals(200, r.status(), r.text());
      String frameId = r.json().getString("frameId");
      if (frameId == null) {
        throw new AssertionError("the node did not capture the answer: " + r.text());
      }
      out.add(new Captured(frameId, r.json().getString("label"), r.json().getString("version")));
    }
    return out;
  }

  /**
   * Gives each captured frame the verdict {@code relabel} to {@code labels[i % labels.size()]}
   * through {@code POST /v1/flags/{frameId}/review}, waiting for each flag to be written (captures
   * are written behind the answers).
   */
  public static void relabel(
      TestClient http, String reviewer, List<Captured> frames, List<String> labels) {
    for (int i = 0; i < frames.size(); i++) {
      String frameId = frames.get(i).frameId();
      JsonObject verdict =
          new JsonObject().put("verdict", "relabel").put("label", labels.get(i % labels.size()));
      TestClient.Response r =
          await(
              Duration.ofSeconds(20),
              () -> http.postJson("/v1/flags/" + frameId + "/review", reviewer, verdict),
              x -> x.status() != 404,
              "flag of captured frame " + frameId);
      assertEquals(200, r.status(), r.text());
    }
  }

  /**
   * Captures answers and relabels them (round robin over {@code labels}) until a {@code head}
   * candidate can start: 30 first, then 10 more at a time while the node answers 400 {@code
   * not_enough_verdicts} (the holdout takes about one frame in five, by random frame id). Returns
   * the job's state as {@code POST /v1/models/waste/candidates} answered it.
   *
   * @param capture the node whose answers are captured
   * @param review the node whose review API relabels them
   */
  public static JsonObject candidateFromCaptures(
      TestClient capture, TestClient review, String sorter, String reviewer, List<String> labels) {
    int seed = 10_000;
    relabel(review, reviewer, capture(capture, sorter, 30, seed), labels);
    for (int round = 0; round < 5; round++) {
      TestClient.Response r =
          review.postJson(
              "/v1/models/waste/candidates",
              ServingFixture.ADMIN_KEY,
              new JsonObject().put("mode", "head"));
      if (r.status() == 202) {
        return r.json();
      }
      assertEquals("not_enough_verdicts", r.errorCode(), r.text());
      seed += 100;
      relabel(review, reviewer, capture(capture, sorter, 10, seed), labels);
    }
    throw new AssertionError("no candidate after 70 verdicts");
  }
}
