package org.cityvision.models.training;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import org.cityvision.core.frame.FrameRecord;
import org.cityvision.core.frame.FrameUpload;
import org.cityvision.core.image.SyntheticScene;
import org.cityvision.core.model.ModelSpec;
import org.cityvision.core.review.FlagRecord;
import org.cityvision.core.review.FlagReview;
import org.cityvision.core.review.Verdict;
import org.cityvision.core.storage.FrameStore;
import org.cityvision.core.storage.FrameStores;
import org.cityvision.core.storage.StorageConfig;
import org.cityvision.core.testing.SharedData;
import org.cityvision.datasets.export.ReviewExport;
import org.cityvision.datasets.export.ReviewExportOptions;
import org.cityvision.datasets.export.ReviewExportReport;
import org.cityvision.s3server.EmbeddedS3Server;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Reviewers' verdicts, exported from a real store, are accepted by training as extra data. */
class ExportedReviewsTrainTest {
  @TempDir Path dir;

  @Test
  void trainingTakesExportedReviewsAsExtraData() throws Exception {
    Path backbone = SharedData.edgeTpu();
    Path base = dir.resolve("base");
    for (String label : List.of("garbage_dumping", "graffiti", "normal")) {
      Files.createDirectories(base.resolve(label));
      for (int i = 0; i < 8; i++) {
        Files.write(
            base.resolve(label).resolve(label + "-" + i + ".jpg"),
            SyntheticScene.jpeg(320, 240, label.hashCode() * 31L + i, 90));
      }
    }
    Path export = dir.resolve("export");
    ReviewExportReport report;
    try (EmbeddedS3Server s3 =
            EmbeddedS3Server.start(dir.resolve("s3"), 0, "train-test", "train-test-secret-key");
        FrameStore store =
            FrameStores.open(
                StorageConfig.embedded(dir.resolve("data"))
                    .withEndpoint(s3.endpoint(), s3.accessKey(), s3.secretKey())
                    .withBucket("export-train"))) {
      Instant t0 = Instant.parse("2026-11-01T08:00:00Z");
      for (int i = 0; i < 6; i++) {
        Instant at = t0.plusSeconds(60L * i);
        FrameRecord frame =
            store.putFrame(
                new FrameUpload(
                    "cam-4", at, "image/jpeg", SyntheticScene.jpeg(640, 360, 500 + i, 90), null));
        FlagRecord flag =
            store.createFlag(
                FlagRecord.open(frame.frameId(), "graffiti", 0.8, "urban", "1.0.0", at));
        Verdict verdict = i % 2 == 0 ? Verdict.CONFIRM : Verdict.RELABEL;
        store.reviewFlag(
            new FlagReview(
                flag.frameId(),
                verdict,
                i % 2 == 0 ? null : "garbage_dumping",
                null,
                "rita",
                false));
      }
      report = ReviewExport.run(store, ReviewExportOptions.to(export), ReviewExport.Progress.NONE);
    }
    assertEquals(6, report.reviewedFrames());

    TrainingConfig config =
        TrainingConfig.defaults("urban", base, backbone, dir.resolve("pkg")).toBuilder()
            .extras(List.of(export))
            .views(1)
            .headEpochs(20)
            .fineTuneEpochs(1)
            .commandLine("test --extra export")
            .build();
    TrainingResult result = ClassifierTraining.run(config, TrainingProgress.NONE);

    ModelSpec spec = result.pkg().spec();
    JsonNode dataset = spec.training().get("dataset");
    assertEquals(30, dataset.get("images").asInt(), dataset.toString());
    assertEquals(6, dataset.at("/sources/cityvision-review").asInt(), dataset.toString());
    assertEquals(export.toString(), dataset.get("extras").get(0).asText());
    assertEquals(List.of("garbage_dumping", "graffiti", "normal"), spec.labels());
    assertTrue(Files.isRegularFile(result.pkg().weightsFile()));
  }
}
