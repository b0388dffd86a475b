package org.cityvision.models.training;

import ai.djl.Model;
import ai.djl.nn.Parameter;
import ai.djl.training.optimizer.Optimizer;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.cityvision.core.VisionException;
import org.cityvision.core.classify.Classifier;
import org.cityvision.core.classify.ClassifierOptions;
import org.cityvision.core.classify.GoldenReferences;
import org.cityvision.core.image.ImageDecoder;
import org.cityvision.core.image.ImageLimits;
import org.cityvision.core.image.InputSpec;
import org.cityvision.core.image.OpenCvRuntime;
import org.cityvision.core.image.Preprocessor;
import org.cityvision.core.model.BackboneSpec;
import org.cityvision.core.model.ModelException;
import org.cityvision.core.model.ModelPackage;
import org.cityvision.core.model.ModelSpec;
import org.cityvision.core.model.ReplaySet;
import org.cityvision.core.model.Thresholds;
import org.cityvision.core.model.TorchRuntime;
import org.cityvision.datasets.DatasetException;
import org.cityvision.datasets.augment.Augmenter;
import org.cityvision.datasets.augment.Compositor;
import org.cityvision.datasets.folder.ImageFolder;
import org.cityvision.datasets.folder.Sample;
import org.cityvision.datasets.split.DatasetSplit;
import org.cityvision.models.ModelRunException;
import org.cityvision.models.evaluation.EvaluationSummary;
import org.cityvision.models.evaluation.Evaluator;
import org.cityvision.models.evaluation.Metrics;
import org.cityvision.models.evaluation.ModelEvaluation;
import org.cityvision.models.evaluation.Predictions;
import org.cityvision.models.evaluation.Temperature;
import org.cityvision.models.evaluation.ThresholdChoice;

/**
 * Trains a classifier package from a pretrained backbone and an ImageFolder dataset:
 *
 * <ol>
 *   <li>split the data (stratified by class and source, duplicates grouped);
 *   <li>phase 1: backbone features of the serving view plus {@code views} augmented views of every
 *       training image are computed once; a softmax head is trained on them in Java (seconds) and
 *       copied into the model;
 *   <li>phase 2: end-to-end fine-tuning at a low learning rate with fresh augmentation each epoch,
 *       the early backbone layers frozen, batches optionally mixed (CutMix or MixUp); validation
 *       after each epoch through the serving path; the best checkpoint (validation macro-F1, then
 *       NLL; phase 1's head counts as a candidate) is kept, and training stops after {@code
 *       patience} epochs without improvement;
 *   <li>thresholds chosen on validation, evaluation on the test split, report written, package
 *       saved with its training record and metrics.
 * </ol>
 *
 * Class weights {@code n / (classes × n_class)} balance the loss in both phases.
 *
 * <p>Blocking; runs on the calling thread, which must be the only one training in this JVM
 * (libtorch gradient mode and thread counts are process-wide or per-thread state it sets).
 */
public final class ClassifierTraining {
  /** Labels that are "nothing to report" and never flag. */
  public static final Set<String> NEGATIVE_LABELS = Set.of("normal");

  /** Accuracy that answers above the uncertain threshold aim for, on validation. */
  public static final double UNCERTAIN_TARGET_ACCURACY = 0.98;

  /** Precision that flags aim for, on validation. */
  public static final double FLAG_TARGET_PRECISION = 0.9;

  private static final int FEATURE_BATCH =
      FineTuning.MAX_FORWARD_BATCH; // serving-size batches: cheap, and safe anywhere

  /** The pooled feature width both pretrained backbones have, and the replay set stores. */
  static final int FEATURE_DIM = 1280;

  private ClassifierTraining() {}

  public static TrainingResult run(TrainingConfig config, TrainingProgress progress)
      throws ModelRunException {
    if (config.floods().isOff() && config.potholes().isOff()) {
      return train(config, progress, null);
    }
    Path sceneDir;
    try {
      sceneDir = Files.createTempDirectory("cityvision-scenes");
    } catch (IOException e) {
      throw new ModelRunException(
          "cannot make a working folder for synthetic street scenes: " + e.getMessage(), e);
    }
    try {
      return train(config, progress, sceneDir);
    } finally {
      deleteQuietly(sceneDir);
    }
  }

  /**
   * {@code train} and the synthetic images of {@code kind} its spec asks for, made in {@code dir}.
   */
  private static List<Sample> withSynthetic(
      List<Sample> train,
      List<String> known,
      TrainingConfig config,
      SyntheticScenes.Kind kind,
      Path dir,
      TrainingProgress progress)
      throws ModelRunException {
    SceneSpec spec = kind == SyntheticScenes.Kind.FLOOD ? config.floods() : config.potholes();
    if (spec.isOff()) {
      return train;
    }
    if (!known.contains(kind.label) || !known.contains(SyntheticScenes.BASE_LABEL)) {
      throw new ModelRunException(
          "synthetic "
              + kind.plural
              + " need the classes '"
              + kind.label
              + "' and '"
              + SyntheticScenes.BASE_LABEL
              + "'; this data has "
              + known);
    }
    List<Sample> made = SyntheticScenes.make(train, spec, kind, config.seed(), dir);
    progress.note(
        String.format(
            Locale.ROOT,
            "synthetic %s: made from %d street scenes of the training split (%s)",
            kind.plural,
            made.size(),
            spec));
    List<Sample> out = new ArrayList<>(train);
    out.addAll(made);
    return out;
  }

  private static long count(List<Sample> samples, SyntheticScenes.Kind kind) {
    return samples.stream().filter(x -> kind.source.equals(x.source())).count();
  }

  private static void deleteQuietly(Path dir) {
    try (Stream<Path> files = Files.walk(dir)) {
      for (Path f : files.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(f);
      }
    } catch (IOException ignored) {
      // a temporary folder; the system cleans it up eventually
    }
  }

  private static TrainingResult train(
      TrainingConfig config, TrainingProgress progress, Path sceneDir) throws ModelRunException {
    long started = System.nanoTime();
    if (config.threads() > 1 && !FineTuning.isaCapped()) {
      throw new ModelRunException(
          "training with "
              + config.threads()
              + " torch threads needs ONEDNN_MAX_CPU_ISA=AVX2"
              + " (oneDNN's AVX-512 kernels compute wrong features with several threads); the launcher sets it");
    }
    TorchRuntime.start(config.threads());
    OpenCvRuntime.load();
    ImageFolder data;
    DatasetSplit split;
    List<Sample> excluded;
    try {
      data = ImageFolder.read(config.data(), config.extras());
      excluded = excluded(data, config.excludeSources());
      if (!excluded.isEmpty()) {
        Set<Sample> out = new HashSet<>(excluded);
        data =
            new ImageFolder(
                data.roots(),
                data.labels(),
                data.samples().stream().filter(x -> !out.contains(x)).toList());
      }
      split = DatasetSplit.of(data, config.split());
    } catch (DatasetException e) {
      throw new ModelRunException(e.getMessage(), e);
    }
    List<Sample> train = cap(split.train(), config.maxTrainImages(), config.seed());
    List<Sample> val = cap(split.val(), config.maxTrainImages() / 2, config.seed());
    List<Sample> test = cap(split.test(), config.maxTrainImages() / 2, config.seed());
    train =
        withSynthetic(train, data.labels(), config, SyntheticScenes.Kind.FLOOD, sceneDir, progress);
    train =
        withSynthetic(
            train, data.labels(), config, SyntheticScenes.Kind.POTHOLE, sceneDir, progress);
    List<String> labels = data.labels();
    progress.note(
        String.format(
            Locale.ROOT,
            "%s: %d images, classes %s, sources %s; split train %d / val %d / test %d"
                + " (%d duplicate groups kept together)",
            config.task(),
            data.samples().size(),
            data.classCounts(),
            data.sourceCounts(),
            train.size(),
            val.size(),
            test.size(),
            split.groups()));

    int width = config.inputWidth();
    int height = config.inputHeight();
    InputSpec input = InputSpec.mobileNet(width, height);
    double[] classWeight = classWeights(train, labels);
    ObjectNode record = trainingRecord(config, data, split, train, val, test, classWeight, labels);
    Optional<BackboneGraph> graph = BackboneGraph.find(config.backbone());
    if (graph.isPresent() && graph.get().featureDim() != FEATURE_DIM) {
      throw new ModelRunException(
          graph.get().name()
              + " pools "
              + graph.get().featureDim()
              + " features; training, the replay set and stored features expect "
              + FEATURE_DIM);
    }
    double gflops = graph.isPresent() ? graph.get().gflops(width, height) : 0;
    if (graph.isEmpty()) {
      progress.note(
          "backbone folder "
              + config.backbone()
              + " has no graph.json: its cost per image is recorded as unknown (0)");
    }
    ModelSpec spec =
        new ModelSpec(
            config.task(),
            config.version(),
            config.task(),
            labels,
            input,
            new BackboneSpec(
                config.backbone().toAbsolutePath().normalize().getFileName().toString(),
                FEATURE_DIM,
                gflops),
            "model",
            Thresholds.NONE,
            record,
            null);

    List<EpochRecord> history = new ArrayList<>();
    Best best = new Best();
    LeaveOneSourceOut.Result holdout = null;
    FeatureBank replayBank = null;
    List<Sample> replaySamples = List.of();
    try (Model model =
        ModelPackage.fromPretrained(config.backbone(), config.task(), labels.size())) {
      FineTuning tuning = new FineTuning(model, labels.size());
      ImageDecoder decoder = new ImageDecoder(ImageLimits.DEFAULT);
      Preprocessor preprocessor = new Preprocessor(input);
      Augmenter augmenter = new Augmenter(config.augment(), width, height);
      Augmenter fineTuneAugmenter = new Augmenter(config.fineTuneAugment(), width, height);

      // Phase 1: cached features of several views of every image, a head trained on the training
      // split's.
      long t1 = System.nanoTime();
      List<Sample> all = new ArrayList<>(train);
      all.addAll(val);
      all.addAll(test);
      ViewLoader.Compositing compositing =
          config.composite().isOff()
              ? ViewLoader.Compositing.NONE
              : new ViewLoader.Compositing(
                  new Compositor(config.composite().sceneFiles(), config.composite().minScale()),
                  config.composite().probability(),
                  config.composite().sources());
      FeatureBank bank =
          FeatureBank.compute(
              tuning,
              all,
              labels,
              config.views(),
              width,
              height,
              decoder,
              preprocessor,
              augmenter,
              compositing,
              config.composite().isOff()
                  ? config.augment().toString()
                  : config.augment() + "|" + config.composite(),
              config.seed(),
              config.backbone().resolve(ModelPackage.BACKBONE_FILE),
              config.featureCache(),
              progress);
      double featureSeconds = (System.nanoTime() - t1) / 1e9;
      List<Integer> trainIdx = range(0, train.size());
      List<Integer> valIdx = range(train.size(), train.size() + val.size());
      LeaveOneSourceOut.HeadRecipe recipe =
          new LeaveOneSourceOut.HeadRecipe(
              config.headEpochs(),
              config.headLearningRate(),
              config.headL2(),
              config.sourceBalance(),
              config.seed());
      LeaveOneSourceOut.TrainedHead trained =
          LeaveOneSourceOut.trainHead(bank, all, trainIdx, valIdx, labels, recipe, progress);
      SoftmaxHead head = trained.head();
      tuning.setHead(head.weight(), head.bias());
      history.addAll(trained.history());
      progress.note(
          String.format(
              Locale.ROOT,
              "phase 1: features of %d images x %d views in %.0fs, head trained in %d" + " epochs",
              all.size(),
              config.views() + 1,
              featureSeconds,
              trained.history().size()));
      if (config.holdout()) {
        Set<Sample> valSet = new HashSet<>(val);
        holdout = LeaveOneSourceOut.run(bank, all, valSet::contains, labels, recipe, progress);
        record.set(
            "heldOutSources",
            LeaveOneSourceOut.report(
                holdout,
                labels,
                ClassifierTraining::isExtra,
                config.backbone().toAbsolutePath().normalize().getFileName().toString()));
        progress.note(
            String.format(
                Locale.ROOT, "held-out sources: temperature %.3f", holdout.temperature().value()));
      }
      replayBank = bank;
      replaySamples = all;
      best.tuning = tuning;
      if (holdout != null) {
        best.temperature = holdout.temperature();
      }
      if (config.temperature() > 0) {
        best.temperature = new Temperature(config.temperature());
      }

      ClassifierOptions validation =
          new ClassifierOptions(
              1,
              config.threads(),
              FineTuning.MAX_FORWARD_BATCH,
              Duration.ofMillis(1),
              64,
              labels.size(),
              false,
              ImageLimits.DEFAULT);
      try (Classifier classifier = Classifier.wrap(model, spec, validation)) {
        Metrics served = validate(classifier, val, progress);
        progress.note(
            String.format(
                Locale.ROOT,
                "phase 1 head through the serving path: val accuracy %.4f, macro-F1 %.4f",
                served.accuracy(),
                served.macroF1()));
        best.consider(served, "head", 0, model, spec, config, progress);

        // Phase 2: end-to-end fine-tuning.
        if (config.fineTuneEpochs() > 0) {
          List<Parameter> trainable = tuning.trainable(config.frozenFraction());
          int stepsPerEpoch = (train.size() + config.batchSize() - 1) / config.batchSize();
          progress.note(
              String.format(
                  Locale.ROOT,
                  "phase 2: %d of %d backbone tensors trainable, %d steps per epoch%s",
                  trainable.size() - 2,
                  tuning.backboneTensors(),
                  stepsPerEpoch,
                  config.soup() > 1 ? ", " + config.soup() + " runs averaged" : ""));
          FineTuning.Snapshot start = FineTuning.Snapshot.of(trainable);
          FineTuning.WeightAverage soupAverage = new FineTuning.WeightAverage(trainable);
          ArrayNode soupRuns = config.soup() > 1 ? record.putArray("soup") : null;
          for (int run = 0; run < config.soup(); run++) {
            if (run > 0) {
              start.restore();
            }
            // The first run draws with the run's own seed, so --soup 1 is plain fine-tuning.
            long seed = config.seed() + run;
            String phase = config.soup() > 1 ? "fine-tune run " + (run + 1) : "fine-tune";
            fineTune(
                config,
                seed,
                phase,
                train,
                val,
                labels,
                classWeight,
                width,
                height,
                stepsPerEpoch,
                trainable,
                tuning,
                decoder,
                preprocessor,
                fineTuneAugmenter,
                compositing,
                classifier,
                best,
                model,
                spec,
                record,
                history,
                progress);
            if (soupRuns != null) {
              ObjectNode row = soupRuns.addObject().put("run", run + 1).put("seed", seed);
              scoreSoup(
                  "soup run " + (run + 1) + "/" + config.soup(),
                  row,
                  classifier,
                  val,
                  excluded,
                  progress);
              soupAverage.add();
            }
          }
          if (soupRuns != null) {
            soupAverage.apply();
            String what = "average of " + config.soup() + " fine-tuning runs";
            ObjectNode row = record.putObject("soupAverage").put("runs", config.soup());
            Metrics m = scoreSoup(what, row, classifier, val, excluded, progress);
            // The soup is the run's model whatever an ingredient's own validation score was.
            best.force(m, what, model, spec, config, progress);
          }
          if (!config.wise().isEmpty()) {
            chooseWise(
                config,
                start,
                trainable,
                classifier,
                val,
                excluded,
                best,
                model,
                spec,
                record,
                progress);
          }
        }
      }
    } catch (ModelException e) {
      throw new ModelRunException(e.getMessage(), e);
    }
    Replay replay = new Replay(replayBank, replaySamples, train.size(), val.size());
    return finish(
        config, spec, record, history, best, val, test, excluded, holdout, replay, started,
        progress);
  }

  /**
   * One fine-tuning run of phase 2 from the weights the trainable tensors hold now, with its own
   * optimizer and {@code seed} for shuffling, augmentation and mixing. Each epoch is recorded under
   * {@code phase} and offered to {@code best}; patience counts epochs without a better validation
   * score within this run. With {@link TrainingConfig#averageFrom()} the run ends on its averaged
   * weights.
   */
  private static void fineTune(
      TrainingConfig config,
      long seed,
      String phase,
      List<Sample> train,
      List<Sample> val,
      List<String> labels,
      double[] classWeight,
      int width,
      int height,
      int stepsPerEpoch,
      List<Parameter> trainable,
      FineTuning tuning,
      ImageDecoder decoder,
      Preprocessor preprocessor,
      Augmenter fineTuneAugmenter,
      ViewLoader.Compositing compositing,
      Classifier classifier,
      Best best,
      Model model,
      ModelSpec spec,
      ObjectNode record,
      List<EpochRecord> history,
      TrainingProgress progress)
      throws ModelRunException, ModelException {
    Optimizer optimizer =
        FineTuning.adam(
            config.fineTuneLearningRate(),
            stepsPerEpoch * config.fineTuneEpochs(),
            (int) Math.round(stepsPerEpoch * config.warmupEpochs()));
    int sinceBest = 0;
    double runBestF1 = -1;
    FineTuning.WeightAverage average = new FineTuning.WeightAverage(trainable);
    BatchMixer mixer = new BatchMixer(config.mix(), seed * 31 + 5);
    int lastEpoch = 0;
    for (int epoch = 1; epoch <= config.fineTuneEpochs(); epoch++) {
      lastEpoch = epoch;
      long e0 = System.nanoTime();
      List<Sample> order = new ArrayList<>(train);
      Collections.shuffle(order, new Random(seed * 7919 + epoch));
      progress.stage(
          String.format(Locale.ROOT, "%s epoch %d/%d", phase, epoch, config.fineTuneEpochs()),
          stepsPerEpoch);
      double lossSum = 0;
      int steps = 0;
      try (ViewLoader loader =
          new ViewLoader(
              jobs(order, labels, false, 1),
              config.batchSize(),
              decoder,
              preprocessor,
              fineTuneAugmenter,
              compositing,
              seed + 1000L * epoch)) {
        for (ViewLoader.Batch b; (b = loader.next()) != null; ) {
          float[] target =
              FineTuning.targets(
                  b.labels(), b.size(), labels.size(), classWeight, config.labelSmoothing());
          mixer.mix(b.data(), target, b.size(), width, height, labels.size());
          lossSum += tuning.step(b.data(), target, b.size(), width, height, trainable, optimizer);
          steps++;
          progress.advance(steps, String.format(Locale.ROOT, "loss %.3f", lossSum / steps));
        }
      }
      Metrics m = validate(classifier, val, progress);
      boolean improved = best.consider(m, phase, epoch, model, spec, config, progress);
      EpochRecord r =
          new EpochRecord(
              phase,
              epoch,
              lossSum / Math.max(1, steps),
              m.nll(),
              m.accuracy(),
              m.macroF1(),
              (System.nanoTime() - e0) / 1e9,
              improved);
      history.add(r);
      progress.epoch(r);
      if (config.averageFrom() > 0 && epoch >= config.averageFrom()) {
        average.add();
      }
      boolean runImproved = m.macroF1() > runBestF1 + 1e-9;
      runBestF1 = Math.max(runBestF1, m.macroF1());
      sinceBest = runImproved ? 0 : sinceBest + 1;
      if (sinceBest >= config.patience()) {
        progress.note("early stop: no better validation score for " + sinceBest + " epochs");
        break;
      }
    }
    if (average.count() >= 2) {
      average.apply();
      Metrics m = validate(classifier, val, progress);
      String what = "average of epochs " + config.averageFrom() + "-" + lastEpoch;
      boolean improved = best.consider(m, what, 0, model, spec, config, progress);
      progress.note(
          String.format(
              Locale.ROOT,
              "%s: val accuracy %.4f, macro-F1 %.4f, NLL %.4f%s",
              what,
              m.accuracy(),
              m.macroF1(),
              m.nll(),
              improved ? " (best)" : ""));
      ObjectNode avg =
          record.has("weightAverage")
              ? (ObjectNode) record.get("weightAverage")
              : record.putObject("weightAverage");
      avg.put("epochs", config.averageFrom() + "-" + lastEpoch);
      avg.put("valAccuracy", m.accuracy());
      avg.put("valMacroF1", m.macroF1());
      avg.put("valLoss", m.nll());
      avg.put("chosen", improved);
    }
  }

  /**
   * Scores the weights the model holds now for {@code --soup}'s record: validation accuracy and
   * macro-F1 into {@code row}, with the per-source accuracy on the excluded sources when there are
   * any; returns the validation metrics.
   */
  private static Metrics scoreSoup(
      String what,
      ObjectNode row,
      Classifier classifier,
      List<Sample> val,
      List<Sample> excluded,
      TrainingProgress progress)
      throws ModelRunException {
    Metrics m = validate(classifier, val, progress);
    row.put("valAccuracy", EvaluationSummary.round(m.accuracy()));
    row.put("valMacroF1", EvaluationSummary.round(m.macroF1()));
    if (!excluded.isEmpty()) {
      progress.stage("excluded sources", excluded.size());
      row.set("excludedSources", perSource(Evaluator.predict(classifier, excluded, progress)));
    }
    progress.note(
        String.format(
            Locale.ROOT, "%s: val accuracy %.4f, macro-F1 %.4f", what, m.accuracy(), m.macroF1()));
    return m;
  }

  /**
   * WiSE-FT: tries every {@link TrainingConfig#wise()} weight between the weights phase 2 started
   * from ({@code start}: pretrained backbone, phase-1 head) and where it ended, and keeps the best
   * (by mean accuracy over the excluded sources when there are any, else by validation macro-F1) as
   * the run's checkpoint, whatever the validation score of earlier checkpoints.
   */
  private static void chooseWise(
      TrainingConfig config,
      FineTuning.Snapshot start,
      List<Parameter> trainable,
      Classifier classifier,
      List<Sample> val,
      List<Sample> excluded,
      Best best,
      Model model,
      ModelSpec spec,
      ObjectNode record,
      TrainingProgress progress)
      throws ModelRunException, ModelException {
    FineTuning.Snapshot end = FineTuning.Snapshot.of(trainable);
    ArrayNode tried = record.putArray("wise");
    double bestScore = -1;
    double bestF1 = -1;
    double chosen = 1;
    Metrics chosenMetrics = null;
    for (double a : config.wise()) {
      start.interpolate(end, a);
      Metrics m = validate(classifier, val, progress);
      ObjectNode row = tried.addObject();
      row.put("weight", a);
      row.put("valAccuracy", EvaluationSummary.round(m.accuracy()));
      row.put("valMacroF1", EvaluationSummary.round(m.macroF1()));
      double score = m.macroF1();
      if (!excluded.isEmpty()) {
        progress.stage("excluded sources", excluded.size());
        ObjectNode sources = perSource(Evaluator.predict(classifier, excluded, progress));
        row.set("excludedSources", sources);
        score = sources.get("meanAccuracy").asDouble();
      }
      progress.note(
          String.format(
              Locale.ROOT,
              "wise %.2f: val accuracy %.4f, macro-F1 %.4f%s",
              a,
              m.accuracy(),
              m.macroF1(),
              excluded.isEmpty()
                  ? ""
                  : String.format(Locale.ROOT, ", excluded sources mean accuracy %.4f", score)));
      if (score > bestScore + 1e-9
          || (Math.abs(score - bestScore) <= 1e-9 && m.macroF1() > bestF1)) {
        bestScore = score;
        bestF1 = m.macroF1();
        chosen = a;
        chosenMetrics = m;
      }
    }
    // The weights return to the chosen interpolation; its validation score is the one measured.
    start.interpolate(end, chosen);
    Metrics m = chosenMetrics;
    record.put("wiseChosen", chosen);
    record.put(
        "wiseChosenOn",
        excluded.isEmpty() ? "validation macro-F1" : "excluded sources' mean accuracy");
    best.force(m, String.format(Locale.ROOT, "wise %.2f", chosen), model, spec, config, progress);
  }

  /**
   * How well the saved model's scores are calibrated on the excluded (never seen) sources: ECE as
   * saved, and the further temperature that fits them best with the ECE it would give (fitted and
   * scored on the same images, so the latter is optimistic).
   */
  private static void calibration(Predictions p, ObjectNode out) {
    double[][] logits = new double[p.size()][];
    for (int i = 0; i < logits.length; i++) {
      float[] row = p.probabilities()[i];
      logits[i] = new double[row.length];
      for (int k = 0; k < row.length; k++) {
        logits[i][k] = Math.log(Math.max(1e-12, row[k]));
      }
    }
    Temperature t = Temperature.fit(logits, p.truth());
    out.put("ece", EvaluationSummary.round(p.metrics().ece()));
    out.put("furtherTemperature", EvaluationSummary.round(t.value()));
    out.put(
        "eceAfterFurtherTemperature",
        EvaluationSummary.round(Metrics.of(p.labels(), p.truth(), t.probabilities(logits)).ece()));
  }

  /** Accuracy per source and their mean (only classes the model has; every sample has one). */
  private static ObjectNode perSource(Predictions p) {
    ObjectNode out = JsonNodeFactory.instance.objectNode();
    Map<String, List<Sample>> bySource = new TreeMap<>();
    p.samples().forEach(x -> bySource.computeIfAbsent(x.source(), k -> new ArrayList<>()).add(x));
    double sum = 0;
    for (Map.Entry<String, List<Sample>> e : bySource.entrySet()) {
      Predictions one = p.where(x -> x.source().equals(e.getKey()));
      Metrics m = one.metrics();
      ObjectNode row = out.putObject(e.getKey());
      row.put("images", one.size());
      row.put("accuracy", EvaluationSummary.round(m.accuracy()));
      row.put("macroF1", EvaluationSummary.round(m.macroF1()));
      sum += m.accuracy();
    }
    out.put("meanAccuracy", EvaluationSummary.round(sum / Math.max(1, bySource.size())));
    return out;
  }

  /**
   * The thresholds another package chose (with the report of where), for a run that ships them
   * instead of choosing its own; its labels must be this run's.
   */
  private static ThresholdChoice thresholdsOf(Path dir, ModelSpec spec) throws ModelRunException {
    ModelSpec other;
    try {
      other = ModelPackage.read(dir).spec();
    } catch (ModelException e) {
      throw new ModelRunException("--thresholds-from " + dir + ": " + e.getMessage(), e);
    }
    if (!other.labels().equals(spec.labels())) {
      throw new ModelRunException(
          "--thresholds-from "
              + dir
              + " has labels "
              + other.labels()
              + ", this run has "
              + spec.labels());
    }
    ObjectNode report =
        other.training() != null && other.training().get("thresholds") instanceof ObjectNode r
            ? r.deepCopy()
            : JsonNodeFactory.instance.objectNode();
    report.put(
        "chosenOn",
        "taken from "
            + other.name()
            + " "
            + other.version()
            + " ("
            + dir.getFileName()
            + "): "
            + report.path("chosenOn").asText("its own choice"));
    return new ThresholdChoice(other.thresholds(), report);
  }

  /** The samples of {@code sources}; every one of them must have images. */
  private static List<Sample> excluded(ImageFolder data, Set<String> sources)
      throws ModelRunException {
    if (sources.isEmpty()) {
      return List.of();
    }
    Set<String> missing = new TreeSet<>(sources);
    missing.removeAll(data.sourceCounts().keySet());
    if (!missing.isEmpty()) {
      throw new ModelRunException(
          "--exclude-sources names sources with no images: "
              + missing
              + "; the data has "
              + data.sourceCounts().keySet());
    }
    return data.samples().stream().filter(x -> sources.contains(x.source())).toList();
  }

  private static List<Integer> range(int from, int to) {
    List<Integer> out = new ArrayList<>(to - from);
    for (int i = from; i < to; i++) {
      out.add(i);
    }
    return out;
  }

  /** Whether a sample comes from an extra dataset folder (its id carries the folder's prefix). */
  static boolean isExtra(Sample s) {
    return s.id().contains(":");
  }

  /**
   * Reloads the best checkpoint, chooses thresholds, evaluates on test, writes the package and
   * report.
   */
  private static TrainingResult finish(
      TrainingConfig config,
      ModelSpec spec,
      ObjectNode record,
      List<EpochRecord> history,
      Best best,
      List<Sample> val,
      List<Sample> test,
      List<Sample> excluded,
      LeaveOneSourceOut.Result holdout,
      Replay replay,
      long started,
      TrainingProgress progress)
      throws ModelRunException {
    ArrayNode h = record.putArray("history");
    ObjectMapper mapper = new ObjectMapper();
    history.forEach(r -> h.add(mapper.valueToTree(r)));
    record.put("bestCheckpoint", best.phase + (best.epoch > 0 ? " epoch " + best.epoch : ""));
    try {
      ModelPackage saved = ModelPackage.read(config.out());
      Temperature temperature =
          config.temperature() > 0
              ? new Temperature(config.temperature())
              : holdout == null ? Temperature.NONE : holdout.temperature();
      if (config.temperature() > 0) {
        record.put("temperature", EvaluationSummary.round(temperature.value()));
        record.put("temperatureFrom", "--temperature");
      } else if (holdout != null) {
        record.put("temperature", EvaluationSummary.round(temperature.value()));
        record.put("temperatureFrom", "leave-one-source-out predictions of the head phase");
      }
      Predictions valPredictions;
      Predictions testPredictions;
      Predictions excludedPredictions = null;
      try (Classifier classifier =
          Classifier.open(saved, ClassifierOptions.defaults().withWarmup(false))) {
        progress.stage("thresholds (val)", val.size());
        valPredictions = Evaluator.predict(classifier, val, progress);
        progress.stage("evaluate (test)", test.size());
        testPredictions = Evaluator.predict(classifier, test, progress);
        if (!excluded.isEmpty()) {
          progress.stage("evaluate (excluded sources)", excluded.size());
          Predictions p = Evaluator.predict(classifier, excluded, progress);
          excludedPredictions = p;
          ObjectNode scored = perSource(p);
          calibration(p, scored);
          record.set("excludedSources", scored);
          progress.note("excluded sources (never trained on): " + record.get("excludedSources"));
        }
      }
      Metrics reloaded = valPredictions.metrics();
      progress.note(
          String.format(
              Locale.ROOT,
              "best checkpoint reloaded from %s: val accuracy %.4f, macro-F1 %.4f",
              config.out(),
              reloaded.accuracy(),
              reloaded.macroF1()));
      ThresholdChoice choice;
      if (config.thresholdsFrom() != null) {
        choice = thresholdsOf(config.thresholdsFrom(), spec);
      } else if (excludedPredictions != null) {
        choice =
            ThresholdChoice.choose(
                excludedPredictions,
                "excluded sources " + config.excludeSources() + " (never trained on)",
                UNCERTAIN_TARGET_ACCURACY,
                NEGATIVE_LABELS,
                FLAG_TARGET_PRECISION);
      } else if (holdout != null) {
        choice =
            ThresholdChoice.choose(
                holdout.calibrated(spec.labels()),
                "held-out sources (pooled leave-one-source-out"
                    + " predictions, calibrated out of fold)",
                UNCERTAIN_TARGET_ACCURACY,
                NEGATIVE_LABELS,
                FLAG_TARGET_PRECISION);
      } else {
        choice =
            ThresholdChoice.choose(
                valPredictions, UNCERTAIN_TARGET_ACCURACY, NEGATIVE_LABELS, FLAG_TARGET_PRECISION);
      }
      EvaluationSummary summary =
          EvaluationSummary.of(spec.name(), spec.version(), "test", testPredictions);
      double seconds = (System.nanoTime() - started) / 1e9;
      record.put("seconds", Math.round(seconds));
      record.set("thresholds", choice.report());
      ObjectNode metrics = summary.toJson();
      ModelSpec finalSpec =
          spec.withTraining(record).withThresholds(choice.thresholds()).withMetrics(metrics);
      ModelPackage.writeSpec(config.out(), finalSpec);
      ObjectNode extra = JsonNodeFactory.instance.objectNode();
      extra.set("thresholdsOnValidation", choice.report());
      if (record.has("heldOutSources")) {
        ObjectNode held = record.get("heldOutSources").deepCopy();
        if (config.temperature() > 0 && held.path("calibration") instanceof ObjectNode c) {
          c.put("headTemperature", config.temperature());
          c.put(
              "headTemperatureFrom",
              "given with --temperature, as fitted on sources a run of the same recipe never saw");
        }
        extra.set("heldOutSources", held);
      }
      ModelEvaluation.writeReport(config.out(), finalSpec, summary, testPredictions, extra);
      ModelPackage finalPackage = new ModelPackage(config.out(), finalSpec);
      replay.write(finalPackage, "head".equals(best.phase), config, progress);
      progress.note(
          "golden references: "
              + GoldenReferences.create(finalPackage).references().size()
              + " images with their probabilities written into "
              + config.out());
      progress.note(
          String.format(
              Locale.ROOT,
              "done in %.0fs: test accuracy %.4f, macro-F1 %.4f, ECE %.4f; thresholds %s",
              seconds,
              summary.overall().accuracy(),
              summary.overall().macroF1(),
              summary.overall().ece(),
              choice.thresholds()));
      return new TrainingResult(finalPackage, history, summary, seconds);
    } catch (VisionException e) {
      throw new ModelRunException(e.getMessage(), e);
    }
  }

  /**
   * The images of the package's own data (train, then validation, then test, as in {@code samples})
   * and the phase-1 features of their serving views.
   */
  private record Replay(FeatureBank bank, List<Sample> samples, int train, int val) {
    /**
     * Writes {@code replay.bin}: the shipped backbone's features of every real image's serving view
     * (synthetic street scenes are left out). When the backbone was not fine-tuned ({@code
     * pretrainedBackbone}) they are the cached phase-1 rows; otherwise they are computed again
     * through the package's fine-tuned backbone.
     */
    void write(
        ModelPackage pkg,
        boolean pretrainedBackbone,
        TrainingConfig config,
        TrainingProgress progress)
        throws ModelRunException, ModelException {
      List<String> labels = pkg.spec().labels();
      int featureSize = pkg.spec().backbone().featureSize();
      ReplaySet.Builder builder = ReplaySet.builder(labels, featureSize);
      // Real photos only: synthetic street scenes are made again by any run that wants them, and
      // the
      // replay set stays the size of the data the package was trained on.
      List<Integer> kept = new ArrayList<>();
      for (int i = 0; i < samples.size(); i++) {
        if (!SyntheticScenes.isSynthetic(samples.get(i))) {
          kept.add(i);
        }
      }
      FeatureBank features =
          pretrainedBackbone
              ? bank
              : servingFeatures(pkg, kept.stream().map(samples::get).toList(), config, progress);
      for (int k = 0; k < kept.size(); k++) {
        int i = kept.get(k);
        ReplaySet.Split split =
            i < train
                ? ReplaySet.Split.TRAIN
                : i < train + val ? ReplaySet.Split.VAL : ReplaySet.Split.TEST;
        Sample s = samples.get(i);
        builder.add(features.serving(pretrainedBackbone ? i : k), s.label(), split, s.source());
      }
      try {
        builder.build().write(pkg.dir().resolve(ReplaySet.FILE));
      } catch (IOException e) {
        throw new ModelRunException(
            "cannot write the replay set into " + pkg.dir() + ": " + e.getMessage(), e);
      }
      progress.note(
          String.format(
              Locale.ROOT,
              "replay set: %d images' features (%s backbone) written into %s",
              kept.size(),
              pretrainedBackbone ? "pretrained" : "fine-tuned",
              pkg.dir()));
    }

    private static FeatureBank servingFeatures(
        ModelPackage pkg, List<Sample> samples, TrainingConfig config, TrainingProgress progress)
        throws ModelRunException, ModelException {
      InputSpec input = pkg.spec().input();
      try (Model model = pkg.loadModel()) {
        FineTuning tuning = new FineTuning(model, pkg.spec().labels().size());
        return FeatureBank.compute(
            tuning,
            samples,
            pkg.spec().labels(),
            0,
            input.width(),
            input.height(),
            new ImageDecoder(ImageLimits.DEFAULT),
            new Preprocessor(input),
            new Augmenter(config.augment(), input.width(), input.height()),
            ViewLoader.Compositing.NONE,
            "serving",
            config.seed(),
            pkg.weightsFile(),
            null,
            progress);
      }
    }
  }

  /** The best checkpoint so far; saving it writes the package folder. */
  private static final class Best {
    double f1 = -1;
    double nll = Double.MAX_VALUE;
    String phase = "";
    int epoch;

    /**
     * Divides the saved head by this temperature (from the held-out sources); the model in memory
     * keeps its own.
     */
    Temperature temperature = Temperature.NONE;

    FineTuning tuning;

    /** Saves the model in memory as the run's checkpoint whatever the earlier ones scored. */
    void force(
        Metrics m,
        String newPhase,
        Model model,
        ModelSpec spec,
        TrainingConfig config,
        TrainingProgress progress)
        throws ModelException {
      f1 = -1;
      nll = Double.MAX_VALUE;
      consider(m, newPhase, 0, model, spec, config, progress);
    }

    boolean consider(
        Metrics m,
        String newPhase,
        int newEpoch,
        Model model,
        ModelSpec spec,
        TrainingConfig config,
        TrainingProgress progress)
        throws ModelException {
      boolean better =
          m.macroF1() > f1 + 1e-9 || (Math.abs(m.macroF1() - f1) <= 1e-9 && m.nll() < nll);
      if (better) {
        f1 = m.macroF1();
        nll = m.nll();
        phase = newPhase;
        epoch = newEpoch;
        // DJL numbers saved weights by the model's "Epoch" property, else one past the newest file;
        // a
        // package holds exactly one weights file, <weights>-0000.params, so every checkpoint
        // overwrites it.
        model.setProperty("Epoch", "0");
        float[][] head = tuning.head();
        tuning.setHead(temperature.fold(head[0]), temperature.fold(head[1]));
        try {
          ModelPackage.save(config.out(), spec, model);
        } finally {
          tuning.setHead(head[0], head[1]);
        }
        progress.note(
            String.format(
                Locale.ROOT,
                "checkpoint saved (%s%s): val macro-F1 %.4f, NLL %.4f",
                newPhase,
                newEpoch > 0 ? " epoch " + newEpoch : "",
                f1,
                nll));
      }
      return better;
    }
  }

  private static Metrics validate(
      Classifier classifier, List<Sample> val, TrainingProgress progress) throws ModelRunException {
    progress.stage("validate", val.size());
    return Evaluator.predict(classifier, val, progress).metrics();
  }

  private static List<ViewLoader.Job> jobs(
      List<Sample> samples, List<String> labels, boolean serving, int augmented) {
    List<ViewLoader.Job> jobs = new ArrayList<>(samples.size());
    for (Sample s : samples) {
      jobs.add(new ViewLoader.Job(s, labels.indexOf(s.label()), serving, augmented));
    }
    return jobs;
  }

  /** {@code n / (classes × n_class)}: a rare class's images weigh more, the mean weight is 1. */
  static double[] classWeights(List<Sample> train, List<String> labels) {
    int[] counts = new int[labels.size()];
    train.forEach(s -> counts[labels.indexOf(s.label())]++);
    double[] w = new double[labels.size()];
    for (int k = 0; k < w.length; k++) {
      w[k] = counts[k] == 0 ? 0 : (double) train.size() / (labels.size() * counts[k]);
    }
    return w;
  }

  /** At most {@code max} samples (0 = all), taken round-robin over classes so every class stays. */
  static List<Sample> cap(List<Sample> samples, int max, long seed) {
    if (max <= 0 || samples.size() <= max) {
      return samples;
    }
    Map<String, List<Sample>> byClass = new TreeMap<>();
    samples.forEach(s -> byClass.computeIfAbsent(s.label(), k -> new ArrayList<>()).add(s));
    byClass.values().forEach(l -> Collections.shuffle(l, new Random(seed)));
    List<Sample> out = new ArrayList<>();
    for (int i = 0; out.size() < max; i++) {
      for (List<Sample> l : byClass.values()) {
        if (i < l.size() && out.size() < max) {
          out.add(l.get(i));
        }
      }
    }
    out.sort(Comparator.comparing(Sample::id));
    return out;
  }

  private static ObjectNode trainingRecord(
      TrainingConfig c,
      ImageFolder data,
      DatasetSplit split,
      List<Sample> train,
      List<Sample> val,
      List<Sample> test,
      double[] classWeight,
      List<String> labels) {
    ObjectMapper mapper = new ObjectMapper();
    ObjectNode r = JsonNodeFactory.instance.objectNode();
    r.put("commandLine", c.commandLine());
    r.put("startedAt", Instant.now().toString());
    ObjectNode d = r.putObject("dataset");
    d.put("path", c.data().toString());
    ArrayNode extras = d.putArray("extras");
    c.extras().forEach(p -> extras.add(p.toString()));
    d.put("images", data.samples().size());
    d.set("classes", mapper.valueToTree(data.classCounts()));
    d.set("sources", mapper.valueToTree(data.sourceCounts()));
    ArrayNode excludedSources = d.putArray("excludedSources");
    c.excludeSources().forEach(excludedSources::add);
    ObjectNode s = r.putObject("split");
    s.put("val", c.split().val());
    s.put("test", c.split().test());
    s.put("seed", c.split().seed());
    s.put("stratifiedBy", "class and source");
    s.put(
        "grouping",
        "identical file contents (SHA-256), manifest 'group' column, Roboflow '<original>.rf.<hash>' names");
    s.put("duplicateGroups", split.groups());
    long floods = count(train, SyntheticScenes.Kind.FLOOD);
    long potholes = count(train, SyntheticScenes.Kind.POTHOLE);
    s.put("train", train.size() - floods - potholes);
    if (floods > 0) {
      s.put("syntheticFloods", floods);
    }
    if (potholes > 0) {
      s.put("syntheticPotholes", potholes);
    }
    s.put("valImages", val.size());
    s.put("testImages", test.size());
    if (c.maxTrainImages() > 0) {
      s.put("cappedAt", c.maxTrainImages());
    }
    r.put("backbone", c.backbone().toAbsolutePath().normalize().getFileName().toString());
    r.put("input", c.inputWidth() + "x" + c.inputHeight());
    r.put("seed", c.seed());
    ObjectNode cw = r.putObject("classWeights");
    for (int k = 0; k < labels.size(); k++) {
      cw.put(labels.get(k), Math.round(classWeight[k] * 1000) / 1000.0);
    }
    ObjectNode p1 = r.putObject("phase1");
    p1.put(
        "what",
        "softmax head on cached backbone features (Adam, cosine decay, L2, class-weighted)");
    p1.put("viewsPerImage", c.views() + 1);
    p1.put("maxEpochs", c.headEpochs());
    p1.put("learningRate", c.headLearningRate());
    p1.put("l2", c.headL2());
    ObjectNode p2 = r.putObject("phase2");
    p2.put(
        "what",
        "end-to-end fine-tuning (Adam, linear warm-up from 10%, cosine decay to 5%, class-weighted, label smoothing)");
    p2.put("maxEpochs", c.fineTuneEpochs());
    p2.put("learningRate", c.fineTuneLearningRate());
    p2.put("warmupEpochs", c.warmupEpochs());
    p2.put("averageFrom", c.averageFrom());
    p2.put("frozenFraction", c.frozenFraction());
    p2.put("batchSize", c.batchSize());
    p2.put("patience", c.patience());
    p2.put("labelSmoothing", c.labelSmoothing());
    p2.put("mixing", c.mix().toString());
    r.set("augmentation", mapper.valueToTree(c.augment()));
    r.set("fineTuneAugmentation", mapper.valueToTree(c.fineTuneAugment()));
    r.put("compositing", c.composite().toString());
    r.put("syntheticFloods", c.floods().toString());
    r.put("syntheticPotholes", c.potholes().toString());
    r.put("sourceBalance", c.sourceBalance());
    r.put("holdout", c.holdout());
    r.put("threads", c.threads());
    return r;
  }
}
