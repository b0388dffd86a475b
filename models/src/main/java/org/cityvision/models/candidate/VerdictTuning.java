package org.cityvision.models.candidate;

import ai.djl.nn.Parameter;
import ai.djl.training.optimizer.Optimizer;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.function.BooleanSupplier;
import org.cityvision.core.image.InputSpec;
import org.cityvision.models.training.FineTuning;

/**
 * Fine-tune mode's second step: the last quarter of the backbone's tensors learn from the training
 * verdicts' images at a low learning rate, while the head trained on replay rows and verdicts stays
 * fixed. The replay set holds features, not images, so the old data cannot pass through the changed
 * layers; keeping the head (which carries the old classes' boundaries) fixed, freezing three
 * quarters of the backbone and taking few small steps is what limits forgetting, and the old
 * validation data can no longer measure it exactly (the evaluation says so).
 *
 * <p>Not thread-safe: the training thread.
 */
final class VerdictTuning {
  static final double FROZEN_FRACTION = 0.75;
  static final double LEARNING_RATE = 2e-5;
  static final int EPOCHS = 3;
  static final int BATCH = 16;
  static final double LABEL_SMOOTHING = 0.1;

  private VerdictTuning() {}

  static void tune(
      CandidateModel model,
      InputSpec input,
      VerdictFeatures train,
      int classes,
      CandidateProgress progress,
      BooleanSupplier cancelled)
      throws CandidateException {
    FineTuning tuning = model.tuning();
    List<Parameter> trainable = new ArrayList<>(tuning.trainable(FROZEN_FRACTION));
    // The head is the last two tensors (weight, bias): it keeps what the replay rows taught it.
    for (int i = 0; i < 2; i++) {
      trainable.remove(trainable.size() - 1).freeze(true);
    }
    int stepsPerEpoch = (train.size() + BATCH - 1) / BATCH;
    Optimizer optimizer =
        FineTuning.adam(LEARNING_RATE, stepsPerEpoch * EPOCHS, Math.max(1, stepsPerEpoch / 2));
    double[] classWeight = new double[classes];
    for (int y : train.y()) {
      classWeight[y]++;
    }
    int present = 0;
    for (double c : classWeight) {
      present += c > 0 ? 1 : 0;
    }
    for (int k = 0; k < classes; k++) {
      classWeight[k] = classWeight[k] == 0 ? 0 : train.size() / (present * classWeight[k]);
    }
    progress.stage("fine-tune", stepsPerEpoch * EPOCHS);
    int step = 0;
    for (int epoch = 1; epoch <= EPOCHS; epoch++) {
      List<Integer> order = new ArrayList<>();
      for (int i = 0; i < train.size(); i++) {
        order.add(i);
      }
      Collections.shuffle(order, new Random(CandidateTraining.SEED * 31 + epoch));
      List<VerdictExample> verdicts = order.stream().map(train::verdict).toList();
      int[] labels = order.stream().mapToInt(i -> train.y()[i]).toArray();
      try (VerdictImages images = new VerdictImages(verdicts, input, BATCH)) {
        for (VerdictImages.Batch b; (b = images.next(cancelled, "fine-tune")) != null; ) {
          if (b.size() == 0) {
            continue;
          }
          int[] y = new int[b.size()];
          for (int i = 0; i < b.size(); i++) {
            y[i] = labels[b.index()[i]];
          }
          float[] target = FineTuning.targets(y, b.size(), classes, classWeight, LABEL_SMOOTHING);
          tuning.step(
              b.data(), target, b.size(), input.width(), input.height(), trainable, optimizer);
          progress.advance(++step);
        }
      }
    }
  }

  static ObjectNode describe() {
    ObjectNode node = JsonNodeFactory.instance.objectNode();
    node.put(
        "what",
        "last "
            + Math.round((1 - FROZEN_FRACTION) * 100)
            + "% of backbone tensors tuned on the training"
            + " verdicts' images (serving view), head fixed; Adam with warm-up and cosine decay, class-balanced,"
            + " label smoothing "
            + LABEL_SMOOTHING);
    node.put("epochs", EPOCHS);
    node.put("learningRate", LEARNING_RATE);
    node.put("batchSize", BATCH);
    node.put(
        "replayRows",
        "features of the parent backbone; the verdict rows are recomputed with the tuned one");
    return node;
  }
}
