package org.cityvision.models.training;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import org.cityvision.models.ModelRunException;

/**
 * What a pretrained backbone's {@code graph.json} says about its cost: the multiply-accumulates of
 * every convolution from the input to the pooled feature tensor, at any input size, and the feature
 * width. The model card and {@code model.json} report the cost of the backbone actually trained at
 * the size actually served, so that the 1.3 GFLOP budget is checked for each try, whichever
 * backbone and input shape it uses.
 *
 * <p>Convolutions use TF "same" padding (the graph's explicit padding was computed for it), so a
 * stride-s layer's output is ⌈input / s⌉ on each axis. One multiply-accumulate counts as two
 * floating-point operations. Element-wise additions, activations and the pooling are left out: they
 * are well under 1% of the total for these nets.
 *
 * @param name the backbone's name ({@code meta.name})
 * @param featureDim width of the pooled feature vector
 * @param graph the parsed graph
 */
public record BackboneGraph(String name, int featureDim, JsonNode graph) {

  /**
   * The graph of a backbone folder, or empty when it has no {@code graph.json} (a TorchScript
   * backbone from elsewhere, or one taken out of a model package): its cost is then unknown.
   */
  public static Optional<BackboneGraph> find(Path backboneDir) throws ModelRunException {
    return Files.isRegularFile(backboneDir.resolve("graph.json"))
        ? Optional.of(read(backboneDir))
        : Optional.empty();
  }

  /** Reads {@code graph.json} from a pretrained backbone folder. */
  public static BackboneGraph read(Path backboneDir) throws ModelRunException {
    Path file = backboneDir.resolve("graph.json");
    if (!Files.isRegularFile(file)) {
      throw new ModelRunException(
          "backbone folder " + backboneDir + " has no graph.json to compute its cost from");
    }
    try {
      JsonNode root = new ObjectMapper().readTree(file.toFile());
      JsonNode meta = root.path("meta");
      if (!root.path("nodes").isArray()
          || !meta.path("input").isTextual()
          || !meta.path("feature_tensor").isTextual()
          || !meta.path("feature_dim").canConvertToInt()) {
        throw new ModelRunException(
            file + " needs nodes[] and meta.input, meta.feature_tensor and meta.feature_dim");
      }
      return new BackboneGraph(
          meta.path("name").asText(backboneDir.getFileName().toString()),
          meta.path("feature_dim").asInt(),
          root);
    } catch (IOException e) {
      throw new ModelRunException("cannot read " + file + ": " + e.getMessage(), e);
    }
  }

  /**
   * Multiply-accumulates of one image of {@code width} × {@code height} pixels, input to pooled
   * features.
   */
  public long macs(int width, int height) throws ModelRunException {
    if (width <= 0 || height <= 0) {
      throw new ModelRunException("input size must be positive, got " + width + "x" + height);
    }
    JsonNode meta = graph.path("meta");
    String feature = meta.path("feature_tensor").asText();
    Map<String, int[]> sizes = new HashMap<>();
    sizes.put(meta.path("input").asText(), new int[] {height, width});
    long macs = 0;
    for (JsonNode node : graph.path("nodes")) {
      int[] in = sizes.get(node.path("inputs").path(0).asText());
      String out = node.path("outputs").path(0).asText();
      if (in == null) {
        continue;
      }
      int[] size = in;
      switch (node.path("op").asText()) {
        case "conv2d" -> {
          int sh = node.path("stride").path(0).asInt(1);
          int sw = node.path("stride").path(1).asInt(1);
          size = new int[] {ceilDiv(in[0], sh), ceilDiv(in[1], sw)};
          long inPerGroup =
              node.path("in_channels").asLong() / Math.max(1, node.path("groups").asLong(1));
          macs +=
              (long) size[0]
                  * size[1]
                  * node.path("out_channels").asLong()
                  * inPerGroup
                  * node.path("kernel").path(0).asLong(1)
                  * node.path("kernel").path(1).asLong(1);
        }
        case "global_avg_pool", "mean" -> size = new int[] {1, 1};
        default -> {}
      }
      sizes.put(out, size);
      if (out.equals(feature)) {
        return macs;
      }
    }
    throw new ModelRunException(
        name + "'s graph never reaches its feature tensor " + feature + " from its input");
  }

  /** Floating-point operations (two per multiply-accumulate), in billions, for one image. */
  public double gflops(int width, int height) throws ModelRunException {
    return 2.0 * macs(width, height) / 1e9;
  }

  private static int ceilDiv(int a, int b) {
    return (a + b - 1) / b;
  }
}
