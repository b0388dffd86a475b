package org.cityvision.models.training;

import java.nio.file.Path;
import java.util.List;
import java.util.regex.Pattern;
import org.cityvision.datasets.augment.AugmentSpec;
import org.cityvision.datasets.split.SplitSpec;

/**
 * Everything one training run needs; recorded in the package's {@code model.json}.
 *
 * @param task the task and the package's name ({@code waste}, {@code urban}, ...)
 * @param version the version written into the package
 * @param data the main ImageFolder dataset
 * @param extras extra ImageFolder datasets (for example exported reviewed frames), split with the rest
 * @param backbone a pretrained backbone folder (holding {@code model_features_ts.pt})
 * @param out the package folder to write
 * @param split fractions and seed of the split
 * @param inputSize square input side (a multiple of 32)
 * @param seed seed of augmentation, shuffling and initialisation
 * @param views augmented views per training image whose features train the head (phase 1)
 * @param headEpochs most epochs of head training on cached features
 * @param headLearningRate Adam learning rate of the head
 * @param headL2 L2 penalty on the head's weights
 * @param fineTuneEpochs most epochs of end-to-end fine-tuning (phase 2); 0 skips it
 * @param fineTuneLearningRate Adam learning rate of phase 2 (cosine decay to 5%)
 * @param frozenFraction leading fraction of the backbone's parameter tensors kept frozen in phase 2;
 *     the early, high-resolution layers are the costliest to back-propagate through and the most
 *     generic
 * @param batchSize phase 2 batch size
 * @param patience phase 2 epochs without a better validation score before stopping
 * @param labelSmoothing phase 2 label smoothing
 * @param maxTrainImages cap on training images (0 = all), for quick runs and tests
 * @param augment augmentation of training views
 * @param threads libtorch intra-op threads: 1 by default; more only with {@code ONEDNN_MAX_CPU_ISA}
 *     set (oneDNN's AVX-512 kernels compute wrong features with several threads, see
 *     {@code FineTuning.MAX_FORWARD_BATCH})
 * @param commandLine the command that started the run, for the model card
 */
public record TrainingConfig(String task, String version, Path data, List<Path> extras, Path backbone, Path out,
    SplitSpec split, int inputSize, long seed, int views, int headEpochs, double headLearningRate, double headL2,
    int fineTuneEpochs, double fineTuneLearningRate, double frozenFraction, int batchSize, int patience,
    double labelSmoothing, int maxTrainImages, AugmentSpec augment, int threads, String commandLine) {

  private static final Pattern NAME = Pattern.compile("[a-z0-9][a-z0-9_-]{0,63}");

  /** The defaults used for the shipped models. */
  public static TrainingConfig defaults(String task, Path data, Path backbone, Path out) {
    return new TrainingConfig(task, "1.0.0", data, List.of(), backbone, out, SplitSpec.DEFAULT, 224, 7, 8, 60, 1e-3,
        1e-4, 6, 5e-5, 0.25, 16, 3, 0.1, 0, AugmentSpec.standard(), 1, "");
  }

  public TrainingConfig {
    if (task == null || !NAME.matcher(task).matches()) {
      throw new IllegalArgumentException("task must match " + NAME.pattern() + ", got '" + task + "'");
    }
    if (version == null || version.isBlank()) {
      throw new IllegalArgumentException("version is required");
    }
    if (data == null || backbone == null || out == null || split == null || augment == null) {
      throw new IllegalArgumentException("data, backbone, out, split and augment are required");
    }
    extras = extras == null ? List.of() : List.copyOf(extras);
    if (inputSize < 64 || inputSize > 512 || inputSize % 32 != 0) {
      throw new IllegalArgumentException("inputSize must be a multiple of 32 in 64..512, got " + inputSize);
    }
    if (views < 0 || views > 64) {
      throw new IllegalArgumentException("views must be 0..64, got " + views);
    }
    if (headEpochs < 1 || fineTuneEpochs < 0 || batchSize < 1 || patience < 1) {
      throw new IllegalArgumentException("headEpochs, batchSize and patience must be positive and fineTuneEpochs"
          + " non-negative, got " + headEpochs + ", " + batchSize + ", " + patience + ", " + fineTuneEpochs);
    }
    if (!(headLearningRate > 0) || !(fineTuneLearningRate > 0) || headL2 < 0) {
      throw new IllegalArgumentException("learning rates must be positive and headL2 non-negative");
    }
    if (frozenFraction < 0 || frozenFraction >= 1 || labelSmoothing < 0 || labelSmoothing >= 0.5) {
      throw new IllegalArgumentException("frozenFraction must be in [0, 1) and labelSmoothing in [0, 0.5), got "
          + frozenFraction + ", " + labelSmoothing);
    }
    if (maxTrainImages < 0 || threads < 1) {
      throw new IllegalArgumentException("maxTrainImages must be non-negative and threads positive");
    }
    commandLine = commandLine == null ? "" : commandLine;
  }

  public TrainingConfig withEpochs(int newHeadEpochs, int newFineTuneEpochs) {
    return new TrainingConfig(task, version, data, extras, backbone, out, split, inputSize, seed, views, newHeadEpochs,
        headLearningRate, headL2, newFineTuneEpochs, fineTuneLearningRate, frozenFraction, batchSize, patience,
        labelSmoothing, maxTrainImages, augment, threads, commandLine);
  }

  public TrainingConfig withViews(int newViews) {
    return new TrainingConfig(task, version, data, extras, backbone, out, split, inputSize, seed, newViews, headEpochs,
        headLearningRate, headL2, fineTuneEpochs, fineTuneLearningRate, frozenFraction, batchSize, patience,
        labelSmoothing, maxTrainImages, augment, threads, commandLine);
  }

  public TrainingConfig withMaxTrainImages(int n) {
    return new TrainingConfig(task, version, data, extras, backbone, out, split, inputSize, seed, views, headEpochs,
        headLearningRate, headL2, fineTuneEpochs, fineTuneLearningRate, frozenFraction, batchSize, patience,
        labelSmoothing, n, augment, threads, commandLine);
  }

  public TrainingConfig withExtras(List<Path> newExtras) {
    return new TrainingConfig(task, version, data, newExtras, backbone, out, split, inputSize, seed, views, headEpochs,
        headLearningRate, headL2, fineTuneEpochs, fineTuneLearningRate, frozenFraction, batchSize, patience,
        labelSmoothing, maxTrainImages, augment, threads, commandLine);
  }

  public TrainingConfig withFineTune(int epochs, double learningRate, double newFrozenFraction) {
    return new TrainingConfig(task, version, data, extras, backbone, out, split, inputSize, seed, views, headEpochs,
        headLearningRate, headL2, epochs, learningRate, newFrozenFraction, batchSize, patience, labelSmoothing,
        maxTrainImages, augment, threads, commandLine);
  }

  public TrainingConfig withSeed(long newSeed) {
    return new TrainingConfig(task, version, data, extras, backbone, out, split, inputSize, newSeed, views, headEpochs,
        headLearningRate, headL2, fineTuneEpochs, fineTuneLearningRate, frozenFraction, batchSize, patience,
        labelSmoothing, maxTrainImages, augment, threads, commandLine);
  }

  public TrainingConfig withSplit(SplitSpec newSplit) {
    return new TrainingConfig(task, version, data, extras, backbone, out, newSplit, inputSize, seed, views, headEpochs,
        headLearningRate, headL2, fineTuneEpochs, fineTuneLearningRate, frozenFraction, batchSize, patience,
        labelSmoothing, maxTrainImages, augment, threads, commandLine);
  }

  public TrainingConfig withThreads(int newThreads) {
    return new TrainingConfig(task, version, data, extras, backbone, out, split, inputSize, seed, views, headEpochs,
        headLearningRate, headL2, fineTuneEpochs, fineTuneLearningRate, frozenFraction, batchSize, patience,
        labelSmoothing, maxTrainImages, augment, newThreads, commandLine);
  }

  public TrainingConfig withInputSize(int newInputSize) {
    return new TrainingConfig(task, version, data, extras, backbone, out, split, newInputSize, seed, views, headEpochs,
        headLearningRate, headL2, fineTuneEpochs, fineTuneLearningRate, frozenFraction, batchSize, patience,
        labelSmoothing, maxTrainImages, augment, threads, commandLine);
  }

  public TrainingConfig withCommandLine(String newCommandLine) {
    return new TrainingConfig(task, version, data, extras, backbone, out, split, inputSize, seed, views, headEpochs,
        headLearningRate, headL2, fineTuneEpochs, fineTuneLearningRate, frozenFraction, batchSize, patience,
        labelSmoothing, maxTrainImages, augment, threads, newCommandLine);
  }

  public TrainingConfig withVersion(String newVersion) {
    return new TrainingConfig(task, newVersion, data, extras, backbone, out, split, inputSize, seed, views, headEpochs,
        headLearningRate, headL2, fineTuneEpochs, fineTuneLearningRate, frozenFraction, batchSize, patience,
        labelSmoothing, maxTrainImages, augment, threads, commandLine);
  }
}
