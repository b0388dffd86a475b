package org.cityvision.app.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.cityvision.core.testing.TestImages;
import org.cityvision.core.testing.TestModels;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class EvaluateCommandTest {
  @TempDir Path dir;

  @Test
  void writesEveryImagesProbabilitiesNextToTheReport() throws Exception {
    Path model =
        TestModels.untrainedPackage(dir.resolve("model"), "waste", TestModels.WASTE_LABELS, 224)
            .dir();
    Path data = dir.resolve("data");
    int seed = 0;
    for (String label : List.of("glass", "metal")) {
      Files.createDirectories(data.resolve(label));
      for (String source : List.of("shop", "web")) {
        for (int i = 0; i < 3; i++) {
          Files.write(
              data.resolve(label).resolve(source + "__" + i + ".jpg"),
              TestImages.jpeg(160, 120, seed++));
        }
      }
    }
    Path csv = dir.resolve("out/predictions.csv");

    CliRun r =
        CliRun.of(
            "evaluate",
            "--model",
            model.toString(),
            "--data",
            data.toString(),
            "--split",
            "all",
            "--report",
            dir.resolve("report").toString(),
            "--predictions",
            csv.toString());

    assertEquals(0, r.exit(), r.err());
    List<String> lines = Files.readAllLines(csv);
    assertEquals(
        "image,source,truth,predicted,p_cardboard,p_glass,p_metal,p_paper,p_plastic,p_trash",
        lines.get(0));
    assertEquals(13, lines.size(), "a header and one row per image");
    Set<String> ids = new HashSet<>();
    for (String line : lines.subList(1, lines.size())) {
      String[] f = line.split(",");
      assertEquals(10, f.length, line);
      ids.add(f[0]);
      assertTrue(Set.of("shop", "web").contains(f[1]), line);
      assertTrue(f[0].startsWith(f[2] + "/"), "truth is the image's folder: " + line);
      double sum = 0;
      double top = -1;
      String best = null;
      for (int k = 4; k < 10; k++) {
        double p = Double.parseDouble(f[k]);
        sum += p;
        if (p > top) {
          top = p;
          best = TestModels.WASTE_LABELS.get(k - 4);
        }
      }
      assertEquals(1.0, sum, 1e-4, line);
      assertEquals(best, f[3], "predicted is the most probable class: " + line);
    }
    assertEquals(12, ids.size());
    assertTrue(Files.exists(dir.resolve("report/EVALUATION.md")));
  }
}
