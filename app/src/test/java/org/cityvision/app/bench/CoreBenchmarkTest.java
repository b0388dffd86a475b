package org.cityvision.app.bench;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.OutputStream;
import java.io.PrintStream;
import java.util.List;
import org.cityvision.core.model.ModelPackage;
import org.cityvision.core.model.TorchRuntime;
import org.cityvision.core.testing.TestImages;
import org.cityvision.serving.config.Home;
import org.junit.jupiter.api.Test;

class CoreBenchmarkTest {
  @Test
  void djlBaselineRunsTheNonSquareShippedWasteModel() throws Exception {
    ModelPackage waste = ModelPackage.read(Home.shippedModel("waste"));
    assertTrue(
        waste.spec().input().width() != waste.spec().input().height(),
        "the shipped waste model is 256x192");
    TorchRuntime.start(1);
    CoreBenchmark bench =
        new CoreBenchmark(waste, null, 0.3, new PrintStream(OutputStream.nullOutputStream()));

    double[] djl =
        bench.djlBaseline(List.of(TestImages.jpeg(512, 384, 1), TestImages.jpeg(512, 384, 2)));

    assertTrue(djl[0] > 0, "images per second: " + djl[0]);
  }
}
