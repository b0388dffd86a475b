package org.cityvision.app.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import org.cityvision.core.frame.FrameRecord;
import org.cityvision.core.frame.FrameUpload;
import org.cityvision.core.model.ModelPackage;
import org.cityvision.core.model.ReplaySet;
import org.cityvision.core.review.FlagRecord;
import org.cityvision.core.review.FlagReview;
import org.cityvision.core.review.Verdict;
import org.cityvision.core.storage.FrameStore;
import org.cityvision.core.storage.FrameStores;
import org.cityvision.core.storage.ModelLabel;
import org.cityvision.core.storage.StorageConfig;
import org.cityvision.core.testing.TestImages;
import org.cityvision.models.candidate.VerdictSplit;
import org.cityvision.s3server.EmbeddedS3Server;
import org.cityvision.serving.registry.CandidateFixtures;
import org.cityvision.serving.testing.ServingFixture;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code cityvision models candidates} as an admin runs it against a data directory: it trains a
 * candidate in the foreground from the verdicts in the store with the real engine, lists the jobs,
 * shows one beside the live model, cancels a running one, and answers bad arguments with their exit
 * codes.
 */
class CandidatesCommandTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  @TempDir Path dir;
  private int verdicts;

  /** The embedded S3 server over the data folder, as the command runs one; per test. */
  private EmbeddedS3Server s3;

  @AfterEach
  void stopS3() {
    if (s3 != null) {
      s3.close();
    }
  }

  private FrameStore open(Path data) throws Exception {
    if (s3 == null) {
      s3 = EmbeddedS3Server.start(data.resolve("s3"), 0, "test", "test-secret");
    }
    return FrameStores.open(
        StorageConfig.embedded(data).withEndpoint(s3.endpoint(), s3.accessKey(), s3.secretKey()));
  }

  /**
   * A store whose live waste model ships a replay set, with at least {@code confirmed} confirmed
   * flags (more until 3 are in the holdout, when any are asked for); returns the data folder and
   * sets {@link #verdicts}.
   */
  private String store(int confirmed) throws Exception {
    ModelPackage pkg = ServingFixture.wasteCopy(dir.resolve("waste"), "7.0.0");
    if (ReplaySet.of(pkg).isEmpty()) {
      CandidateFixtures.syntheticReplay(pkg, 11).write(pkg.dir().resolve(ReplaySet.FILE));
    }
    Path data = dir.resolve("data");
    try (FrameStore store = open(data)) {
      store.models().seed(ModelPackage.read(pkg.dir()));
      int holdout = 0;
      for (int i = 0; i < confirmed || (confirmed > 0 && holdout < 3); i++) {
        String id =
            review(
                store,
                TestImages.jpeg(320, 240, 300 + i),
                i % 2 == 0 ? "glass" : "metal",
                Verdict.CONFIRM,
                null,
                i);
        holdout += VerdictSplit.isHoldout(id) ? 1 : 0;
        verdicts = i + 1;
      }
    }
    return data.toString();
  }

  private static String review(
      FrameStore store, byte[] jpeg, String flagged, Verdict verdict, String label, int i)
      throws Exception {
    FrameRecord frame =
        store.putFrame(
            new FrameUpload("machine-1", Instant.now().plusMillis(i), "image/jpeg", jpeg, null));
    store.createFlag(
        FlagRecord.open(frame.frameId(), flagged, 0.5, "waste", "7.0.0", Instant.now()));
    store.reviewFlag(new FlagReview(frame.frameId(), verdict, label, null, "rita", false));
    return frame.frameId();
  }

  @Test
  void startTrainsACandidateHereAndListAndIdShowItBesideTheLiveModel() throws Exception {
    String data = store(30);
    try (FrameStore store = open(Path.of(data))) {
      store.models().addLabel("waste", new ModelLabel("battery", "", "admin", Instant.now()));
      for (int i = 0; i < 2; i++) {
        review(
            store,
            TestImages.jpeg(320, 240, 900 + i),
            "metal",
            Verdict.RELABEL,
            "battery",
            900 + i);
      }
    }

    CliRun started =
        CliRun.of("models", "candidates", "waste", "--data", data, "--start", "head", "--json");
    assertEquals(0, started.exit(), started.err());
    JsonObject job = new JsonObject(started.out().strip());
    assertEquals("done", job.getString("state"), job.encodePrettily());
    assertEquals(verdicts, job.getInteger("verdicts"));
    assertEquals(
        2,
        job.getJsonObject("heldBack").getInteger("battery"),
        "a new label with 2 verdicts waits");
    assertTrue(job.getJsonObject("evaluation").containsKey("better"), job.encode());
    assertTrue(started.err().contains("training candidate " + job.getString("id")), started.err());
    try (FrameStore store = open(Path.of(data))) {
      assertTrue(
          store.models().manifest("waste", job.getString("version")).isPresent(),
          "the candidate is a version in the store");
    }

    CliRun listed = CliRun.of("models", "candidates", "waste", "--data", data);
    assertEquals(0, listed.exit(), listed.err());
    List<String> lines = listed.out().strip().lines().toList();
    assertEquals(2, lines.size(), listed.out());
    assertTrue(
        lines.get(1).startsWith(job.getString("id")) && lines.get(1).contains("done"),
        listed.out());

    CliRun shown =
        CliRun.of("models", "candidates", "waste", "--data", data, "--id", job.getString("id"));
    assertEquals(0, shown.exit(), shown.err());
    assertTrue(
        shown.out().contains("verdict holdout") && shown.out().contains("package validation"),
        shown.out());
    assertTrue(
        shown.out().contains("held back (new labels with too few verdicts): {\"battery\":2}"),
        shown.out());
  }

  @Test
  void cancelAsksARunningJobToStopAndRefusesAFinishedOne() throws Exception {
    String data = store(0);
    ObjectNode running =
        JSON.createObjectNode()
            .put("id", "c20261206T000000Z-aaaaaa")
            .put("model", "waste")
            .put("mode", "head")
            .put("state", "running")
            .put("createdAt", Instant.now().toString())
            .put("updatedAt", Instant.now().toString())
            .put("verdicts", 40)
            .put("cancelRequested", false);
    running.putObject("progress").put("stage", "features").put("done", 8).put("steps", 40);
    ObjectNode finished =
        running.deepCopy().put("id", "c20261205T000000Z-bbbbbb").put("state", "cancelled");
    try (FrameStore store = open(Path.of(data))) {
      store.models().putCandidate("waste", running.path("id").asText(), running);
      store.models().putCandidate("waste", finished.path("id").asText(), finished);
    }

    CliRun cancelled =
        CliRun.of(
            "models",
            "candidates",
            "waste",
            "--data",
            data,
            "--cancel",
            "c20261206T000000Z-aaaaaa");
    assertEquals(0, cancelled.exit(), cancelled.err());
    try (FrameStore store = open(Path.of(data))) {
      assertTrue(
          store
              .models()
              .candidate("waste", "c20261206T000000Z-aaaaaa")
              .orElseThrow()
              .path("cancelRequested")
              .asBoolean(),
          "the runner reads the request from the store");
    }
    CliRun again =
        CliRun.of(
            "models",
            "candidates",
            "waste",
            "--data",
            data,
            "--cancel",
            "c20261205T000000Z-bbbbbb");
    assertEquals(ModelsCommand.REFUSED, again.exit(), again.err());
    assertTrue(again.err().contains("is cancelled"), again.err());

    CliRun listed = CliRun.of("models", "candidates", "waste", "--data", data, "--json");
    List<String> ids =
        listed.out().strip().lines().map(l -> new JsonObject(l).getString("id")).toList();
    assertEquals(
        List.of("c20261206T000000Z-aaaaaa", "c20261205T000000Z-bbbbbb"), ids, "newest first");
    CliRun progress = CliRun.of("models", "candidates", "waste", "--data", data);
    assertTrue(progress.out().contains("features 8/40"), progress.out());

    assertEquals(
        ModelsCommand.NOT_FOUND,
        CliRun.of(
                "models", "candidates", "waste", "--data", data, "--id", "c19990101T000000Z-000000")
            .exit());
    assertEquals(
        ModelsCommand.NOT_FOUND, CliRun.of("models", "candidates", "urban", "--data", data).exit());
    CliRun badMode =
        CliRun.of("models", "candidates", "waste", "--data", data, "--start", "everything");
    assertEquals(ModelsCommand.BAD_ARGUMENTS, badMode.exit(), badMode.err());
    assertTrue(badMode.err().contains("head or fine-tune"), badMode.err());
    assertEquals(
        ModelsCommand.BAD_ARGUMENTS,
        CliRun.of(
                "models",
                "candidates",
                "waste",
                "--data",
                data,
                "--start",
                "head",
                "--id",
                "c20261206T000000Z-aaaaaa")
            .exit());
    CliRun tooFew = CliRun.of("models", "candidates", "waste", "--data", data, "--start", "head");
    assertEquals(ModelsCommand.REFUSED, tooFew.exit(), tooFew.err());
    assertTrue(tooFew.err().contains("25"), tooFew.err());
    assertFalse(tooFew.err().isBlank());
  }
}
