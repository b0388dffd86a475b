package org.cityvision.app.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.Callable;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.cityvision.core.model.ModelPackage;
import org.cityvision.datasets.augment.AugmentSpec;
import org.cityvision.datasets.split.SplitSpec;
import org.cityvision.models.training.ClassifierTraining;
import org.cityvision.models.training.CompositeSpec;
import org.cityvision.models.training.MixSpec;
import org.cityvision.models.training.ProgressBar;
import org.cityvision.models.training.SceneSpec;
import org.cityvision.models.training.TrainingConfig;
import org.cityvision.models.training.TrainingResult;
import org.cityvision.serving.config.Home;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code cityvision train}: fine-tunes a pretrained backbone on an ImageFolder dataset and writes a
 * model package with its evaluation report, replay set and golden references, by default under
 * {@code trained/<task>}; a folder that already holds a package is replaced only with {@code
 * --force}. The shipped packages' exact commands are in their model cards ({@code
 * models/<task>/README.md}); see docs/TRAINING.md for training on several sources ({@code --extra},
 * {@code --source-balance}, {@code --holdout}).
 */
@Command(
    name = "train",
    mixinStandardHelpOptions = true,
    description =
        "Fine-tune a pretrained backbone on an ImageFolder dataset into a model package (with EVALUATION.md).")
public final class TrainCommand implements Callable<Integer> {
  @Option(
      names = "--task",
      required = true,
      description = "task and model name, e.g. waste or urban")
  String task;

  @Option(
      names = "--data",
      description = "ImageFolder dataset (default: ../shared/datasets/<task>)")
  Path data;

  @Option(
      names = "--extra",
      arity = "1..*",
      description = "extra ImageFolder datasets, e.g. exported reviewed frames")
  List<Path> extras = new ArrayList<>();

  @Option(
      names = "--backbone",
      description =
          "pretrained backbone folder (default: ../shared/pretrained/mobilenet_edgetpu_0.75_224)")
  Path backbone;

  @Option(
      names = "--out",
      description =
          "package folder to write (default: trained/<task> in the working directory;"
              + " the shipped packages under models/ are replaced only when named here, with --force)")
  Path out;

  @Option(names = "--force", description = "replace the model package already in --out")
  boolean force;

  @Option(
      names = "--model-version",
      description = "version written into the package (default: ${DEFAULT-VALUE})",
      defaultValue = "1.0.0")
  String version;

  @Option(names = "--views", description = "augmented views per image for phase 1 (default: 4)")
  Integer views;

  @Option(names = "--head-epochs", description = "most phase 1 epochs (default: 60)")
  Integer headEpochs;

  @Option(
      names = "--epochs",
      description = "most phase 2 (end-to-end) epochs; 0 trains the head only (default: 10)")
  Integer epochs;

  @Option(names = "--lr", description = "phase 2 learning rate (default: 1e-4)")
  Double learningRate;

  @Option(
      names = "--warmup",
      description = "phase 2 warm-up epochs: the learning rate rises from 10%% (default: 1)")
  Double warmup;

  @Option(
      names = "--average-from",
      description =
          "average the weights of this phase 2 epoch and every later one"
              + " (stochastic weight averaging); the average competes as one more checkpoint; 0 = off (default: 4)")
  Integer averageFrom;

  @Option(
      names = "--frozen",
      description = "leading fraction of backbone tensors frozen in phase 2 (default: 0.25)")
  Double frozen;

  @Option(names = "--seed", description = "training seed (default: 7)")
  Long seed;

  @Option(names = "--split-seed", description = "split seed (default: 42)")
  Long splitSeed;

  @Option(
      names = "--input-size",
      description =
          "input size, W or WxH, multiples of 32 (default: 224); TrashNet's 4:3"
              + " photos keep their shape at 256x192, which costs what 224 does")
  String inputSize;

  @Option(
      names = "--patience",
      description =
          "phase 2 epochs without a better validation score before stopping (default: 10)")
  Integer patience;

  @Option(
      names = "--fine-tune-augment",
      description =
          "phase 2 augmentation: standard, light, wide (light with stretching, adaptive equalisation and compression spread over every source) or none (default: light)")
  String fineTuneAugment;

  @Option(
      names = "--mix",
      description =
          "phase 2 batch mixing: none, cutmix or mixup, as KIND[:PROBABILITY[:ALPHA]]"
              + " (e.g. cutmix:0.5:1; default: none)")
  String mix;

  @Option(
      names = "--threads",
      description =
          "torch intra-op threads for training; above 1 needs ONEDNN_MAX_CPU_ISA"
              + " (set by the launcher) (default: 2 with it, else 1)")
  Integer threads;

  @Option(
      names = "--source-balance",
      description =
          "how far loss weights even out the sources within each class,"
              + " 0 (plain class weights) to 1 (every source of a class weighs the same) (default: 0)")
  Double sourceBalance;

  @Option(
      names = "--holdout",
      description =
          "leave-one-source-out on cached features: report every source held out,"
              + " calibrate the head with the temperature fitted on the held-out predictions, choose thresholds on them")
  boolean holdout;

  @Option(
      names = "--feature-cache",
      description =
          "folder to cache backbone features of the views in between runs" + " (default: none)")
  Path featureCache;

  @Option(
      names = "--composite",
      description =
          "composite phase-1 views of items shot on a plain sheet onto new"
              + " backgrounds: SOURCE[,SOURCE...]:PROBABILITY, e.g. trashnet:0.5 (default: off)")
  String composite;

  @Option(
      names = "--composite-min-scale",
      description =
          "with --composite: the smallest scale an item is placed at on its new background, 0.1-1 "
              + "(default 0.5); smaller shows items further from the camera, moved further across the frame")
  Double compositeMinScale;

  @Option(
      names = "--synthesize-floods",
      description =
          "SOURCE[,SOURCE...]:FRACTION or all:FRACTION: that share of the training split's normal "
              + "street scenes from those sources also joins the training split flooded (a muddy, "
              + "mirroring water surface from a random waterline down), labelled flooding; needs the "
              + "classes flooding and normal")
  String synthesizeFloods;

  @Option(
      names = "--synthesize-potholes",
      description =
          "SOURCE[,SOURCE...]:FRACTION or all:FRACTION: that share of the training split's normal "
              + "street scenes from those sources also joins the training split with one to three "
              + "potholes in the road (dark, shaded holes with a broken lip, sometimes water, and "
              + "cracks), labelled pothole_road_damage; needs the classes pothole_road_damage and normal")
  String synthesizePotholes;

  @Option(
      names = "--composite-scenes",
      description =
          "folder of photos whose random crops are also used as"
              + " compositing backgrounds, e.g. ../shared/datasets/urban")
  Path compositeScenes;

  @Option(
      names = "--head-l2",
      description = "L2 penalty on the head's weights in phase 1 (default: ${DEFAULT-VALUE})",
      defaultValue = "1e-4")
  double headL2;

  @Option(
      names = "--wise",
      split = ",",
      description =
          "WiSE-FT: after phase 2, try these weights a (0..1) of pretrained + a * (fine-tuned -"
              + " pretrained) and keep the best: by mean accuracy over --exclude-sources, else by"
              + " validation macro-F1 (default: keep the fine-tuned weights)")
  List<Double> wise = new ArrayList<>();

  @Option(
      names = "--soup",
      description =
          "fine-tune this many times from the same start (seeds --seed, --seed + 1, ...) and"
              + " average the runs' weights before --wise: one network, less dependent on one"
              + " run's luck (default: 1)")
  Integer soup;

  @Option(
      names = "--exclude-sources",
      split = ",",
      description =
          "source tags left out of the split and of all training; their images are scored per"
              + " source at the end as sites the model never saw (and choose --wise)")
  Set<String> excludeSources = new TreeSet<>();

  @Option(
      names = "--temperature",
      description =
          "calibration temperature the saved head is divided by, e.g. fitted by runs with"
              + " --exclude-sources on sources they never saw (default: none; with --holdout the"
              + " one fitted on the held-out predictions)")
  Double temperature;

  @Option(
      names = "--thresholds-from",
      description =
          "ship the thresholds of this model package instead of choosing them, e.g. those a run"
              + " with --exclude-sources chose on the sources it never saw")
  Path thresholdsFrom;

  @Option(
      names = "--max-images",
      description = "cap on training images, for quick trials (default: all)")
  Integer maxImages;

  @Override
  public Integer call() throws Exception {
    Path dataDir = data != null ? data : Home.shared().resolve("datasets").resolve(task);
    Path backboneDir =
        backbone != null
            ? backbone
            : Home.shared().resolve("pretrained/mobilenet_edgetpu_0.75_224");
    Path outDir = out != null ? out : Path.of("trained", task);
    if (!force && Files.exists(outDir.resolve(ModelPackage.SPEC_FILE))) {
      throw new IllegalArgumentException(
          outDir
              + " already holds a model package; choose another --out, or pass"
              + " --force to replace it");
    }
    TrainingConfig.Builder b =
        TrainingConfig.defaults(task, dataDir, backboneDir, outDir).toBuilder()
            .extras(extras)
            .version(version);
    if (views != null) {
      b.views(views);
    }
    if (headEpochs != null) {
      b.headEpochs(headEpochs);
    }
    if (epochs != null) {
      b.fineTuneEpochs(epochs);
    }
    if (learningRate != null) {
      b.fineTuneLearningRate(learningRate);
    }
    if (warmup != null) {
      b.warmupEpochs(warmup);
    }
    if (averageFrom != null) {
      b.averageFrom(averageFrom);
    }
    if (frozen != null) {
      b.frozenFraction(frozen);
    }
    if (seed != null) {
      b.seed(seed);
    }
    if (splitSeed != null) {
      SplitSpec split = SplitSpec.DEFAULT;
      b.split(new SplitSpec(split.val(), split.test(), splitSeed));
    }
    if (maxImages != null) {
      b.maxTrainImages(maxImages);
    }
    if (inputSize != null) {
      int[] wh = parseSize(inputSize);
      b.input(wh[0], wh[1]);
    }
    if (patience != null) {
      b.patience(patience);
    }
    if (fineTuneAugment != null) {
      b.fineTuneAugment(AugmentSpec.named(fineTuneAugment));
    }
    if (mix != null) {
      b.mix(MixSpec.parse(mix));
    }
    if (threads != null) {
      b.threads(threads);
    }
    if (sourceBalance != null) {
      b.sourceBalance(sourceBalance);
    }
    b.holdout(holdout).featureCache(featureCache).headL2(headL2).wise(wise);
    if (soup != null) {
      b.soup(soup);
    }
    b.excludeSources(excludeSources);
    if (temperature != null) {
      b.temperature(temperature);
    }
    b.thresholdsFrom(thresholdsFrom);
    if (synthesizeFloods != null) {
      b.floods(SceneSpec.parse(synthesizeFloods));
    }
    if (synthesizePotholes != null) {
      b.potholes(SceneSpec.parse(synthesizePotholes));
    }
    if (composite != null) {
      b.composite(
          compositeMinScale == null
              ? CompositeSpec.parse(composite, compositeScenes)
              : CompositeSpec.parse(composite, compositeScenes, compositeMinScale));
    }
    TrainingConfig c = b.commandLine(commandLine()).build();
    TrainingResult result = ClassifierTraining.run(c, new ProgressBar(System.err));
    System.out.printf(
        Locale.ROOT,
        "%s: test accuracy %.4f, macro-F1 %.4f (%.0f s); package %s%n",
        task,
        result.test().overall().accuracy(),
        result.test().overall().macroF1(),
        result.seconds(),
        result.pkg().dir());
    return 0;
  }

  /** {@code 224} or {@code 256x192}. */
  static int[] parseSize(String size) {
    Matcher m = Pattern.compile("(\\d{2,4})(?:x(\\d{2,4}))?").matcher(size.trim());
    if (!m.matches()) {
      throw new IllegalArgumentException("--input-size must be W or WxH, got '" + size + "'");
    }
    int w = Integer.parseInt(m.group(1));
    return new int[] {w, m.group(2) == null ? w : Integer.parseInt(m.group(2))};
  }

  private String commandLine() {
    StringBuilder sb = new StringBuilder("cityvision train --task ").append(task);
    if (data != null) {
      sb.append(" --data ").append(data);
    }
    extras.forEach(e -> sb.append(" --extra ").append(e));
    if (backbone != null) {
      sb.append(" --backbone ").append(backbone);
    }
    if (out != null) {
      sb.append(" --out ").append(out);
    }
    sb.append(" --model-version ").append(version);
    append(sb, "--views", views);
    append(sb, "--head-epochs", headEpochs);
    append(sb, "--epochs", epochs);
    append(sb, "--lr", learningRate);
    append(sb, "--warmup", warmup);
    append(sb, "--average-from", averageFrom);
    append(sb, "--frozen", frozen);
    append(sb, "--seed", seed);
    append(sb, "--split-seed", splitSeed);
    append(sb, "--max-images", maxImages);
    append(sb, "--input-size", inputSize);
    append(sb, "--patience", patience);
    append(sb, "--fine-tune-augment", fineTuneAugment);
    append(sb, "--mix", mix);
    append(sb, "--threads", threads);
    append(sb, "--source-balance", sourceBalance);
    if (holdout) {
      sb.append(" --holdout");
    }
    append(sb, "--composite", composite);
    append(sb, "--composite-scenes", compositeScenes);
    append(sb, "--composite-min-scale", compositeMinScale);
    append(sb, "--synthesize-floods", synthesizeFloods);
    append(sb, "--synthesize-potholes", synthesizePotholes);
    if (headL2 != 1e-4) {
      append(sb, "--head-l2", headL2);
    }
    if (!excludeSources.isEmpty()) {
      append(sb, "--exclude-sources", String.join(",", excludeSources));
    }
    append(sb, "--soup", soup);
    if (!wise.isEmpty()) {
      append(sb, "--wise", String.join(",", wise.stream().map(a -> Double.toString(a)).toList()));
    }
    append(sb, "--temperature", temperature);
    append(sb, "--thresholds-from", thresholdsFrom);
    return sb.toString();
  }

  private static void append(StringBuilder sb, String option, Object value) {
    if (value != null) {
      sb.append(' ').append(option).append(' ').append(value);
    }
  }
}
