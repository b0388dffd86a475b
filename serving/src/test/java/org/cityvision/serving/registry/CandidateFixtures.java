package org.cityvision.serving.registry;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.List;
import java.util.Random;
import org.cityvision.core.model.ModelPackage;
import org.cityvision.core.model.ReplaySet;
import org.cityvision.serving.testing.TestClient;

/**
 * What candidate tests share: a replay set for a package that ships none, and waiting for a job.
 */
public final class CandidateFixtures {
  private CandidateFixtures() {}

  /**
   * 120 rows (a quarter VAL) whose classes are separable: enough for a candidate's mechanics, for a
   * test package that ships no replay set.
   */
  public static ReplaySet syntheticReplay(ModelPackage pkg, long seed) {
    List<String> labels = pkg.spec().labels();
    int dim = pkg.spec().backbone().featureSize();
    Random random = new Random(seed);
    ReplaySet.Builder b = ReplaySet.builder(labels, dim);
    for (int i = 0; i < 120; i++) {
      float[] f = new float[dim];
      int label = i % labels.size();
      for (int k = 0; k < dim; k++) {
        f[k] =
            (float)
                Math.max(0, random.nextGaussian() * 0.3 + (k % labels.size() == label ? 1.0 : 0.0));
      }
      b.add(
          f,
          labels.get(label),
          i % 4 == 0 ? ReplaySet.Split.VAL : ReplaySet.Split.TRAIN,
          "synthetic");
    }
    return b.build();
  }

  /** Polls a candidate job over HTTP until it is no longer running; fails after {@code limit}. */
  public static JsonObject awaitFinished(
      TestClient http, String admin, String model, String id, Duration limit)
      throws InterruptedException {
    JsonObject state = null;
    for (long end = System.nanoTime() + limit.toNanos(); System.nanoTime() < end; ) {
      TestClient.Response r = http.get("/v1/models/" + model + "/candidates/" + id, admin);
      assertEquals(200, r.status(), r.text());
      state = r.json();
      if (!state.getString("state").equals("running")) {
        return state;
      }
      Thread.sleep(200);
    }
    throw new AssertionError(
        "candidate " + id + " still running after " + limit.toSeconds() + " s: " + state);
  }
}
