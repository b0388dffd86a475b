package org.cityvision.serving.registry;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.cityvision.core.frame.ResultRecord;
import org.cityvision.core.model.ModelPackage;
import org.cityvision.core.model.PooledFeatures;
import org.cityvision.core.storage.FrameStore;
import org.cityvision.serving.ServingNode;
import org.cityvision.serving.config.CaptureConfig;
import org.cityvision.serving.config.FeaturesConfig;
import org.cityvision.serving.config.ModelsConfig;
import org.cityvision.serving.config.ServerConfig;
import org.cityvision.serving.testing.LoopFixture;
import org.cityvision.serving.testing.ServingFixture;
import org.cityvision.serving.testing.TestClient;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Features kept at classification time, on a real node (PyTorch engine, embedded S3, HTTP on port
 * 0): a captured sorting answer's result holds the pooled features of its forward pass, tagged with
 * the live backbone; a head candidate from the verdicts reads them instead of running the backbone,
 * says how many it read, and computes the features of a frame whose result carries another
 * backbone's from its image. With {@code features.keep} off, results hold none.
 */
class StoredFeaturesTest {
  @TempDir Path dir;
  ServingNode node;
  TestClient http;

  private void start(boolean keep) throws Exception {
    ModelPackage waste = LoopFixture.wasteWithReplay(dir.resolve("waste"), "9.0.0");
    ServerConfig c = ServingFixture.withModels(dir.resolve("data"));
    node =
        ServingFixture.start(
            c.withModels(new ModelsConfig(waste.dir().toString(), "", true))
                .withCapture(new CaptureConfig("always", "never", 0.15, 256))
                .withFeatures(new FeaturesConfig(keep)));
    http = new TestClient(node.port());
  }

  @AfterEach
  void stop() throws Exception {
    if (http != null) {
      http.close();
    }
    ServingFixture.stop(node);
  }

  @Test
  void aHeadCandidateReadsTheFeaturesKeptWhenItsFramesWereClassified() throws Exception {
    start(true);
    String sorter = http.newKey("sorter", "features-sorter");
    String reviewer = http.newKey("reviewer", "features-reviewer");
    String digest =
        node.models().task("waste").orElseThrow().classifier().backboneDigest().orElseThrow();
    List<String> labels = node.models().task("waste").orElseThrow().spec().labels();
    FrameStore store = node.store();

    List<LoopFixture.Captured> frames = LoopFixture.capture(http, sorter, 60, 31_000);
    LoopFixture.relabel(http, reviewer, frames, labels);
    for (LoopFixture.Captured f : frames) {
      ResultRecord result = store.result(f.frameId(), "waste", f.version()).orElseThrow();
      PooledFeatures kept = result.pooledFeatures().orElseThrow();
      assertEquals(digest, kept.backbone());
      assertEquals(1280, kept.size());
      assertFalse(result.payload().has("features"), "the API's payload stays the answer");
    }
    // Three frames as if another backbone had classified them: their features must not be read.
    for (LoopFixture.Captured f : frames.subList(0, 3)) {
      ResultRecord r = store.result(f.frameId(), "waste", f.version()).orElseThrow();
      PooledFeatures kept = r.pooledFeatures().orElseThrow();
      String other = "sha256:" + "0".repeat(64);
      store.putResult(
          new ResultRecord(
              r.frameId(),
              r.model(),
              r.version(),
              r.classifiedAt(),
              r.payload(),
              new PooledFeatures(kept.model(), kept.version(), other, kept.float16())));
    }

    TestClient.Response started =
        http.postJson(
            "/v1/models/waste/candidates",
            ServingFixture.ADMIN_KEY,
            new JsonObject().put("mode", "head"));
    assertEquals(202, started.status(), started.text());
    JsonObject done =
        LoopFixture.finishedCandidate(
            http, ServingFixture.ADMIN_KEY, "waste", started.json().getString("id"));

    assertEquals("done", done.getString("state"), done.encode());
    assertEquals(
        new JsonObject(Map.of("stored", frames.size() - 3, "computed", 3)),
        done.getJsonObject("features"),
        done.encode());
  }

  @Test
  void withFeaturesKeepOffResultsHoldNoFeatures() throws Exception {
    start(false);
    String sorter = http.newKey("sorter", "plain-sorter");

    List<LoopFixture.Captured> frames = LoopFixture.capture(http, sorter, 3, 32_000);

    for (LoopFixture.Captured f : frames) {
      ResultRecord result =
          LoopFixture.await(
                  Duration.ofSeconds(20),
                  () -> {
                    try {
                      return node.store().result(f.frameId(), "waste", f.version());
                    } catch (Exception e) {
                      throw new AssertionError(e);
                    }
                  },
                  Optional::isPresent,
                  "result of " + f.frameId())
              .orElseThrow();
      assertTrue(result.pooledFeatures().isEmpty(), result.toString());
    }
  }
}
