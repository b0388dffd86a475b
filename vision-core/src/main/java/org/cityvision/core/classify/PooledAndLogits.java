package org.cityvision.core.classify;

import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.Block;
import ai.djl.nn.SequentialBlock;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;

/**
 * A package's network (backbone, then linear head) that returns the head's logits <i>and</i> the
 * backbone's pooled features of one forward pass, {@code (logits, features)}: the classifier keeps
 * the features with the result without running the backbone twice. It wraps the loaded blocks
 * themselves (no copy of any weight), so it computes exactly what the package's network does.
 *
 * <p>Thread-safety as the wrapped blocks: forward passes from several predictors at once are fine.
 */
final class PooledAndLogits extends AbstractBlock {
  private final Block backbone;
  private final Block head;

  private PooledAndLogits(Block backbone, Block head) {
    this.backbone = addChildBlock("backbone", backbone);
    this.head = addChildBlock("head", head);
  }

  /**
   * The two-output form of {@code network}, when it is a package's backbone-then-head network; else
   * {@code null}.
   */
  static PooledAndLogits of(Block network) {
    if (network instanceof SequentialBlock s && s.getChildren().size() == 2) {
      return new PooledAndLogits(
          s.getChildren().get(0).getValue(), s.getChildren().get(1).getValue());
    }
    return null;
  }

  Block backbone() {
    return backbone;
  }

  @Override
  protected NDList forwardInternal(
      ParameterStore parameterStore,
      NDList inputs,
      boolean training,
      PairList<String, Object> params) {
    NDList features = backbone.forward(parameterStore, inputs, training, params);
    NDList logits = head.forward(parameterStore, features, training, params);
    return new NDList(logits.singletonOrThrow(), features.singletonOrThrow());
  }

  @Override
  public Shape[] getOutputShapes(Shape[] inputShapes) {
    Shape[] features = backbone.getOutputShapes(inputShapes);
    return new Shape[] {head.getOutputShapes(features)[0], features[0]};
  }
}
