package org.cityvision.models.training;

import java.nio.file.Path;
import java.util.Collections;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Pattern;
import org.cityvision.datasets.augment.AugmentSpec;
import org.cityvision.datasets.split.SplitSpec;

/**
 * Everything one training run needs; recorded in the package's {@code model.json}.
 *
 * @param task the task and the package's name ({@code waste}, {@code urban}, ...)
 * @param version the version written into the package
 * @param data the main ImageFolder dataset
 * @param extras extra ImageFolder datasets (for example exported reviewed frames), split with the
 *     rest
 * @param backbone a pretrained backbone folder (holding {@code model_features_ts.pt})
 * @param out the package folder to write
 * @param split fractions and seed of the split
 * @param inputWidth model input width (a multiple of 32); TrashNet's 4:3 photos keep their shape at
 *     256x192, which costs what 224x224 does
 * @param inputHeight model input height (a multiple of 32)
 * @param seed seed of augmentation, shuffling and initialisation
 * @param views augmented views per training image whose features train the head (phase 1)
 * @param headEpochs most epochs of head training on cached features
 * @param headLearningRate Adam learning rate of the head
 * @param headL2 L2 penalty on the head's weights
 * @param fineTuneEpochs most epochs of end-to-end fine-tuning (phase 2); 0 skips it
 * @param fineTuneLearningRate Adam learning rate of phase 2 (cosine decay to 5%)
 * @param warmupEpochs phase 2 epochs (fractions allowed) over which the learning rate rises from
 *     10% to {@code fineTuneLearningRate} before the cosine decay; 0 starts at the full rate
 * @param averageFrom phase 2 epoch from which the weights are averaged (stochastic weight
 *     averaging); the average of that and every later epoch competes as one more checkpoint; 0 =
 *     off
 * @param frozenFraction leading fraction of the backbone's parameter tensors kept frozen in phase
 *     2; the early, high-resolution layers are the costliest to back-propagate through and the most
 *     generic
 * @param batchSize phase 2 batch size
 * @param patience phase 2 epochs without a better validation score before stopping
 * @param labelSmoothing phase 2 label smoothing
 * @param maxTrainImages cap on training images (0 = all), for quick runs and tests
 * @param augment augmentation of phase 1's cached views
 * @param fineTuneAugment augmentation of phase 2's views (drawn fresh each epoch; the network sees
 *     each image once per epoch, so it can be lighter than phase 1's)
 * @param mix batch-level image mixing in phase 2 (CutMix or MixUp; {@link MixSpec#NONE} by default)
 * @param threads libtorch intra-op threads: 1 by default; more only with {@code ONEDNN_MAX_CPU_ISA}
 *     set (oneDNN's AVX-512 kernels compute wrong features with several threads, see {@code
 *     FineTuning.MAX_FORWARD_BATCH})
 * @param sourceBalance how far the loss weights even out the sources within each class, 0..1 (see
 *     {@link SampleWeights}); 0 is plain class weighting
 * @param holdout whether to run leave-one-source-out on the cached features, calibrate the head
 *     with the temperature fitted on the held-out predictions and choose thresholds on them (see
 *     {@link LeaveOneSourceOut}); without it thresholds are chosen on the validation split
 * @param featureCache a folder where the backbone features of the views are cached between runs, or
 *     null for none
 * @param composite which phase-1 views are composited onto new backgrounds ({@link
 *     CompositeSpec#OFF} by default)
 * @param wise weight-space interpolation of phase 2 (WiSE-FT): each value {@code a} is tried as
 *     {@code pretrained + a * (fine-tuned - pretrained)} over every trainable tensor (backbone and
 *     the phase-1-initialised head) and the best is kept: by mean accuracy over the excluded
 *     sources when there are any, else by validation macro-F1; empty keeps the fine-tuned weights
 * @param soup how many fine-tuning runs phase 2 makes from the same start (pretrained backbone,
 *     phase-1 head), each with its own seed for shuffling, augmentation and mixing; their weights
 *     are averaged tensor by tensor (a uniform model soup) before {@code wise}, so the model is one
 *     network at the cost of one at serving time. 1 (the default) is plain fine-tuning
 * @param excludeSources source tags left out of the split and of all training: their images are
 *     sites the model never sees, scored per source at the end (and used to choose {@code wise})
 * @param temperature a calibration temperature to divide the saved head by (0: none given; with
 *     {@code holdout} the one fitted on the held-out predictions is used), e.g. the one the runs
 *     that excluded each source fitted on their never-seen images
 * @param thresholdsFrom a model package whose thresholds this run ships instead of choosing its own
 *     (e.g. those an {@code excludeSources} run of the same recipe chose on sources it never saw),
 *     or null
 * @param floods which training images of street scenes also serve as synthetic street floods
 *     ({@link SceneSpec#OFF} by default)
 * @param potholes which training images of street scenes also serve with synthetic potholes ({@link
 *     SceneSpec#OFF} by default)
 * @param commandLine the command that started the run, for the model card
 */
public record TrainingConfig(
    String task,
    String version,
    Path data,
    List<Path> extras,
    Path backbone,
    Path out,
    SplitSpec split,
    int inputWidth,
    int inputHeight,
    long seed,
    int views,
    int headEpochs,
    double headLearningRate,
    double headL2,
    int fineTuneEpochs,
    double fineTuneLearningRate,
    double warmupEpochs,
    int averageFrom,
    double frozenFraction,
    int batchSize,
    int patience,
    double labelSmoothing,
    int maxTrainImages,
    AugmentSpec augment,
    AugmentSpec fineTuneAugment,
    MixSpec mix,
    int threads,
    double sourceBalance,
    boolean holdout,
    Path featureCache,
    CompositeSpec composite,
    List<Double> wise,
    int soup,
    Set<String> excludeSources,
    double temperature,
    Path thresholdsFrom,
    SceneSpec floods,
    SceneSpec potholes,
    String commandLine) {

  private static final Pattern NAME = Pattern.compile("[a-z0-9][a-z0-9_-]{0,63}");

  /**
   * The default recipe: 4 augmented views for the head, then 10 epochs of fine-tuning (Adam 1e-4,
   * one warm-up epoch, light augmentation, weights averaged from epoch 4 as a candidate, no early
   * stop before the end, no batch mixing); plain class weights, no leave-one-source-out, no
   * compositing. Two torch threads when {@code ONEDNN_MAX_CPU_ISA} caps oneDNN's kernels (the
   * launcher and the build set it), else one: several threads are wrong otherwise on AVX-512 CPUs.
   * The shipped packages' own commands are in their model cards.
   */
  public static TrainingConfig defaults(String task, Path data, Path backbone, Path out) {
    int threads =
        FineTuning.isaCapped()
            ? Math.max(1, Math.min(2, Runtime.getRuntime().availableProcessors()))
            : 1;
    return new TrainingConfig(
        task,
        "1.0.0",
        data,
        List.of(),
        backbone,
        out,
        SplitSpec.DEFAULT,
        224,
        224,
        7,
        4,
        60,
        1e-3,
        1e-4,
        10,
        1e-4,
        1,
        4,
        0.25,
        16,
        10,
        0.1,
        0,
        AugmentSpec.standard(),
        AugmentSpec.light(),
        MixSpec.NONE,
        threads,
        0.0,
        false,
        null,
        CompositeSpec.OFF,
        List.of(),
        1,
        Set.of(),
        0,
        null,
        SceneSpec.OFF,
        SceneSpec.OFF,
        "");
  }

  public TrainingConfig {
    if (task == null || !NAME.matcher(task).matches()) {
      throw new IllegalArgumentException(
          "task must match " + NAME.pattern() + ", got '" + task + "'");
    }
    if (version == null || version.isBlank()) {
      throw new IllegalArgumentException("version is required");
    }
    if (data == null
        || backbone == null
        || out == null
        || split == null
        || augment == null
        || fineTuneAugment == null
        || mix == null) {
      throw new IllegalArgumentException(
          "data, backbone, out, split, both augmentations and mixing are required");
    }
    extras = extras == null ? List.of() : List.copyOf(extras);
    if (inputWidth < 64
        || inputWidth > 512
        || inputWidth % 32 != 0
        || inputHeight < 64
        || inputHeight > 512
        || inputHeight % 32 != 0) {
      throw new IllegalArgumentException(
          "input sides must be multiples of 32 in 64..512, got " + inputWidth + "x" + inputHeight);
    }
    if (views < 0 || views > 64) {
      throw new IllegalArgumentException("views must be 0..64, got " + views);
    }
    if (headEpochs < 1 || fineTuneEpochs < 0 || batchSize < 1 || patience < 1) {
      throw new IllegalArgumentException(
          "headEpochs, batchSize and patience must be positive and fineTuneEpochs"
              + " non-negative, got "
              + headEpochs
              + ", "
              + batchSize
              + ", "
              + patience
              + ", "
              + fineTuneEpochs);
    }
    if (!(headLearningRate > 0) || !(fineTuneLearningRate > 0) || headL2 < 0) {
      throw new IllegalArgumentException("learning rates must be positive and headL2 non-negative");
    }
    if (!(warmupEpochs >= 0 && warmupEpochs <= 100)) {
      throw new IllegalArgumentException("warmupEpochs must be in 0..100, got " + warmupEpochs);
    }
    if (averageFrom < 0) {
      throw new IllegalArgumentException(
          "averageFrom must be 0 (off) or an epoch, got " + averageFrom);
    }
    if (frozenFraction < 0 || frozenFraction >= 1 || labelSmoothing < 0 || labelSmoothing >= 0.5) {
      throw new IllegalArgumentException(
          "frozenFraction must be in [0, 1) and labelSmoothing in [0, 0.5), got "
              + frozenFraction
              + ", "
              + labelSmoothing);
    }
    if (maxTrainImages < 0 || threads < 1) {
      throw new IllegalArgumentException(
          "maxTrainImages must be non-negative and threads positive");
    }
    if (!(sourceBalance >= 0 && sourceBalance <= 1)) {
      throw new IllegalArgumentException("sourceBalance must be in 0..1, got " + sourceBalance);
    }
    composite = composite == null ? CompositeSpec.OFF : composite;
    wise = wise == null ? List.of() : List.copyOf(wise);
    for (double a : wise) {
      if (!(a >= 0 && a <= 1)) {
        throw new IllegalArgumentException("wise weights must be in 0..1, got " + a);
      }
    }
    if (soup < 1 || soup > 8) {
      throw new IllegalArgumentException("soup must be 1..8 fine-tuning runs, got " + soup);
    }
    if (soup > 1 && fineTuneEpochs == 0) {
      throw new IllegalArgumentException(
          "soup averages fine-tuned weights: it needs fineTuneEpochs > 0");
    }
    if (!wise.isEmpty() && fineTuneEpochs == 0) {
      throw new IllegalArgumentException(
          "wise interpolates fine-tuned weights: it needs fineTuneEpochs > 0");
    }
    excludeSources =
        excludeSources == null
            ? Set.of()
            : Collections.unmodifiableSet(new TreeSet<>(excludeSources));
    if (!(temperature == 0 || (temperature >= 0.05 && temperature <= 20))) {
      throw new IllegalArgumentException(
          "temperature must be 0 (none) or in 0.05..20, got " + temperature);
    }
    floods = floods == null ? SceneSpec.OFF : floods;
    potholes = potholes == null ? SceneSpec.OFF : potholes;
    commandLine = commandLine == null ? "" : commandLine;
  }

  /** A builder holding this configuration's values, to change some of them. */
  public Builder toBuilder() {
    return new Builder(this);
  }

  /** Changes some values of a configuration; {@link #build()} validates the result. */
  public static final class Builder {
    private String task;
    private String version;
    private Path data;
    private List<Path> extras;
    private Path backbone;
    private Path out;
    private SplitSpec split;
    private int inputWidth;
    private int inputHeight;
    private long seed;
    private int views;
    private int headEpochs;
    private double headLearningRate;
    private double headL2;
    private int fineTuneEpochs;
    private double fineTuneLearningRate;
    private double warmupEpochs;
    private int averageFrom;
    private double frozenFraction;
    private int batchSize;
    private int patience;
    private double labelSmoothing;
    private int maxTrainImages;
    private AugmentSpec augment;
    private AugmentSpec fineTuneAugment;
    private MixSpec mix;
    private int threads;
    private double sourceBalance;
    private boolean holdout;
    private Path featureCache;
    private CompositeSpec composite;
    private List<Double> wise;
    private int soup;
    private Set<String> excludeSources;
    private double temperature;
    private Path thresholdsFrom;
    private SceneSpec floods;
    private SceneSpec potholes;
    private String commandLine;

    private Builder(TrainingConfig c) {
      task = c.task;
      version = c.version;
      data = c.data;
      extras = c.extras;
      backbone = c.backbone;
      out = c.out;
      split = c.split;
      inputWidth = c.inputWidth;
      inputHeight = c.inputHeight;
      seed = c.seed;
      views = c.views;
      headEpochs = c.headEpochs;
      headLearningRate = c.headLearningRate;
      headL2 = c.headL2;
      fineTuneEpochs = c.fineTuneEpochs;
      fineTuneLearningRate = c.fineTuneLearningRate;
      warmupEpochs = c.warmupEpochs;
      averageFrom = c.averageFrom;
      frozenFraction = c.frozenFraction;
      batchSize = c.batchSize;
      patience = c.patience;
      labelSmoothing = c.labelSmoothing;
      maxTrainImages = c.maxTrainImages;
      augment = c.augment;
      fineTuneAugment = c.fineTuneAugment;
      mix = c.mix;
      threads = c.threads;
      sourceBalance = c.sourceBalance;
      holdout = c.holdout;
      featureCache = c.featureCache;
      composite = c.composite;
      wise = c.wise;
      soup = c.soup;
      excludeSources = c.excludeSources;
      temperature = c.temperature;
      thresholdsFrom = c.thresholdsFrom;
      floods = c.floods;
      potholes = c.potholes;
      commandLine = c.commandLine;
    }

    public Builder version(String v) {
      version = v;
      return this;
    }

    public Builder extras(List<Path> v) {
      extras = v;
      return this;
    }

    public Builder split(SplitSpec v) {
      split = v;
      return this;
    }

    public Builder out(Path v) {
      out = v;
      return this;
    }

    public Builder input(int width, int height) {
      inputWidth = width;
      inputHeight = height;
      return this;
    }

    public Builder seed(long v) {
      seed = v;
      return this;
    }

    public Builder views(int v) {
      views = v;
      return this;
    }

    public Builder headEpochs(int v) {
      headEpochs = v;
      return this;
    }

    public Builder fineTuneEpochs(int v) {
      fineTuneEpochs = v;
      return this;
    }

    public Builder fineTuneLearningRate(double v) {
      fineTuneLearningRate = v;
      return this;
    }

    public Builder warmupEpochs(double v) {
      warmupEpochs = v;
      return this;
    }

    public Builder averageFrom(int v) {
      averageFrom = v;
      return this;
    }

    public Builder frozenFraction(double v) {
      frozenFraction = v;
      return this;
    }

    public Builder patience(int v) {
      patience = v;
      return this;
    }

    public Builder labelSmoothing(double v) {
      labelSmoothing = v;
      return this;
    }

    public Builder maxTrainImages(int v) {
      maxTrainImages = v;
      return this;
    }

    public Builder augment(AugmentSpec v) {
      augment = v;
      return this;
    }

    public Builder fineTuneAugment(AugmentSpec v) {
      fineTuneAugment = v;
      return this;
    }

    public Builder mix(MixSpec v) {
      mix = v;
      return this;
    }

    public Builder threads(int v) {
      threads = v;
      return this;
    }

    public Builder sourceBalance(double v) {
      sourceBalance = v;
      return this;
    }

    public Builder holdout(boolean v) {
      holdout = v;
      return this;
    }

    public Builder featureCache(Path v) {
      featureCache = v;
      return this;
    }

    public Builder composite(CompositeSpec v) {
      composite = v;
      return this;
    }

    public Builder headL2(double v) {
      headL2 = v;
      return this;
    }

    public Builder soup(int v) {
      soup = v;
      return this;
    }

    public Builder wise(List<Double> v) {
      wise = v;
      return this;
    }

    public Builder excludeSources(Set<String> v) {
      excludeSources = v;
      return this;
    }

    public Builder temperature(double v) {
      temperature = v;
      return this;
    }

    public Builder thresholdsFrom(Path v) {
      thresholdsFrom = v;
      return this;
    }

    public Builder floods(SceneSpec v) {
      floods = v;
      return this;
    }

    public Builder potholes(SceneSpec v) {
      potholes = v;
      return this;
    }

    public Builder commandLine(String v) {
      commandLine = v;
      return this;
    }

    public TrainingConfig build() {
      return new TrainingConfig(
          task,
          version,
          data,
          extras,
          backbone,
          out,
          split,
          inputWidth,
          inputHeight,
          seed,
          views,
          headEpochs,
          headLearningRate,
          headL2,
          fineTuneEpochs,
          fineTuneLearningRate,
          warmupEpochs,
          averageFrom,
          frozenFraction,
          batchSize,
          patience,
          labelSmoothing,
          maxTrainImages,
          augment,
          fineTuneAugment,
          mix,
          threads,
          sourceBalance,
          holdout,
          featureCache,
          composite,
          wise,
          soup,
          excludeSources,
          temperature,
          thresholdsFrom,
          floods,
          potholes,
          commandLine);
    }
  }
}
