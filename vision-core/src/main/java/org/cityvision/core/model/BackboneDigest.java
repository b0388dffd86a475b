package org.cityvision.core.model;

import ai.djl.ndarray.NDArray;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.util.Pair;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import org.cityvision.core.digest.Sha256;
import org.cityvision.core.image.InputSpec;

/**
 * The identity of what turns an image into pooled features: SHA-256 over the input view (size,
 * resize, channel order, normalisation) and every backbone parameter's name, shape and float
 * values, written {@code sha256:<64 hex>}. Two packages whose backbones compute the same features
 * have the same digest whatever their heads and versions (a head-mode candidate and its parent); a
 * fine-tuned backbone or another input view gets another one. The head is not part of it.
 *
 * <p>Stateless and thread-safe; reading the parameters copies them out of native memory once (about
 * 12 MB for the shipped backbones, some tens of milliseconds), so callers compute it once per
 * loaded model.
 */
public final class BackboneDigest {
  private BackboneDigest() {}

  /**
   * The digest of {@code backbone} seeing images through {@code input}.
   *
   * @param backbone the feature extractor alone (the first child of a package's network)
   */
  public static String of(Block backbone, InputSpec input) {
    MessageDigest sha = Sha256.newDigest();
    update(sha, "input " + input.width() + "x" + input.height() + " " + input.resize());
    update(sha, " " + input.channelOrder() + " mean " + input.mean() + " std " + input.std());
    for (Pair<String, Parameter> p : backbone.getParameters()) {
      NDArray array = p.getValue().getArray();
      update(sha, "\n" + p.getKey() + " " + array.getShape() + " " + array.getDataType() + "\n");
      sha.update(array.toByteArray());
    }
    return "sha256:" + Sha256.hex(sha);
  }

  private static void update(MessageDigest sha, String text) {
    sha.update(text.getBytes(StandardCharsets.UTF_8));
  }
}
