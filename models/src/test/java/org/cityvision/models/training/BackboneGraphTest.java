package org.cityvision.models.training;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.cityvision.core.testing.SharedData;
import org.cityvision.models.ModelRunException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BackboneGraphTest {
  @TempDir Path dir;

  /**
   * A stride-2 3×3 convolution (3 → 8 channels), a depthwise 3×3 convolution, a 1×1 convolution to
   * 16 channels, pooling, then an ImageNet classifier that is past the feature tensor.
   */
  private static final String SMALL_NET =
      """
      {"meta": {"name": "tiny", "input": "in", "feature_tensor": "pooled", "feature_dim": 16},
       "nodes": [
        {"op": "conv2d", "inputs": ["in"], "outputs": ["a"], "stride": [2, 2], "groups": 1,
         "kernel": [3, 3], "in_channels": 3, "out_channels": 8},
        {"op": "conv2d", "inputs": ["a"], "outputs": ["b"], "stride": [1, 1], "groups": 8,
         "kernel": [3, 3], "in_channels": 8, "out_channels": 8},
        {"op": "add", "inputs": ["a", "b"], "outputs": ["c"]},
        {"op": "conv2d", "inputs": ["c"], "outputs": ["d"], "stride": [1, 1], "groups": 1,
         "kernel": [1, 1], "in_channels": 8, "out_channels": 16},
        {"op": "global_avg_pool", "inputs": ["d"], "outputs": ["pooled"]},
        {"op": "conv2d", "inputs": ["pooled"], "outputs": ["logits"], "stride": [1, 1],
         "groups": 1, "kernel": [1, 1], "in_channels": 16, "out_channels": 1001}
       ]}
      """;

  private Path write(String json) throws IOException {
    Files.writeString(dir.resolve("graph.json"), json);
    return dir;
  }

  @Test
  void countsEveryConvolutionUpToThePooledFeaturesWithSamePaddingOnOddSizes() throws Exception {
    BackboneGraph graph = BackboneGraph.read(write(SMALL_NET));
    assertEquals("tiny", graph.name());
    assertEquals(16, graph.featureDim());
    // 33x17 input: the stride-2 layer gives ceil(33/2) x ceil(17/2) = 17 x 9 = 153 positions.
    long positions = 17 * 9;
    long expected = positions * 8 * 3 * 9 + positions * 8 * 9 + positions * 16 * 8;
    assertEquals(expected, graph.macs(17, 33));
    assertEquals(2.0 * expected / 1e9, graph.gflops(17, 33), 1e-15);
    // Cost grows with the pixel count; the classifier behind the features never counts.
    assertEquals(4 * graph.macs(16, 16), graph.macs(32, 32));
  }

  @Test
  void refusesAGraphThatIsMissingOrNeverReachesItsFeatures() throws Exception {
    ModelRunException missing =
        assertThrows(ModelRunException.class, () -> BackboneGraph.read(dir.resolve("nowhere")));
    assertTrue(missing.getMessage().contains("no graph.json"), missing.getMessage());
    BackboneGraph broken =
        BackboneGraph.read(
            write(SMALL_NET.replace("\"outputs\": [\"pooled\"]", "\"outputs\": [\"p\"]")));
    ModelRunException unreachable =
        assertThrows(ModelRunException.class, () -> broken.macs(64, 64));
    assertTrue(unreachable.getMessage().contains("never reaches"), unreachable.getMessage());
    assertThrows(ModelRunException.class, () -> BackboneGraph.read(write("{\"nodes\": []}")));
    Path empty = Files.createDirectories(dir.resolve("empty"));
    assertThrows(ModelRunException.class, () -> BackboneGraph.read(empty));
    assertTrue(BackboneGraph.find(empty).isEmpty(), "no graph: cost unknown, not an error");
    assertEquals("tiny", BackboneGraph.find(write(SMALL_NET)).orElseThrow().name());
  }

  @Test
  void theSharedBackbonesCostWhatTheirReleasesState() throws Exception {
    // The pretrained README states 624M (EdgeTPU-0.75) and 300M (MobileNetV2) MACs at 224.
    BackboneGraph edgeTpu = BackboneGraph.read(SharedData.edgeTpu());
    assertEquals(1280, edgeTpu.featureDim());
    assertEquals(624e6, edgeTpu.macs(224, 224), 2e6);
    assertEquals(1.22, edgeTpu.gflops(256, 192), 0.005);
    BackboneGraph mobileNetV2 =
        BackboneGraph.read(SharedData.pretrained("mobilenet_v2_1.0_224_qat_tf"));
    assertEquals(300e6, mobileNetV2.macs(224, 224), 2e6);
  }
}
