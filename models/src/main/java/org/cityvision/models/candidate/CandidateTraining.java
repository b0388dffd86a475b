package org.cityvision.models.candidate;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.BooleanSupplier;
import java.util.stream.Stream;
import org.cityvision.core.VisionException;
import org.cityvision.core.classify.GoldenReferences;
import org.cityvision.core.model.ModelException;
import org.cityvision.core.model.ModelPackage;
import org.cityvision.core.model.ModelSpec;
import org.cityvision.core.model.ReplaySet;
import org.cityvision.core.model.Thresholds;
import org.cityvision.core.model.TorchRuntime;
import org.cityvision.datasets.folder.Sample;
import org.cityvision.models.evaluation.ClassMetrics;
import org.cityvision.models.evaluation.Metrics;
import org.cityvision.models.evaluation.Predictions;
import org.cityvision.models.evaluation.ThresholdChoice;
import org.cityvision.models.training.ClassifierTraining;
import org.cityvision.models.training.FineTuning;

/**
 * Trains a candidate model from a live package and its reviewers' verdicts, evaluates it beside the
 * live model and writes it as a new package.
 *
 * <ol>
 *   <li>Verdicts are split by a hash of the frame id ({@link VerdictSplit}) into train (80%) and
 *       holdout (20%); the holdout is never trained on. Too few verdicts, too small a holdout or a
 *       new label with too few examples stop here with {@link NotEnoughVerdictsException}.
 *   <li>The live backbone's pooled features of every verdict image (its serving view): in head mode
 *       read from the verdict's result where they were kept when the frame was classified by a
 *       model with the live backbone ({@link org.cityvision.core.model.BackboneDigest}), computed
 *       from the image for the rest; in fine-tune mode computed from every image.
 *   <li>A linear head, started from the live one (new labels start at zero), is trained on the
 *       replay set's TRAIN rows plus the training verdicts. Classes are balanced within each part;
 *       the verdicts together weigh a share of the replay rows' total, chosen among {@link
 *       #VERDICT_SHARES} on an inner validation part of the training verdicts, among the shares
 *       that keep the package's validation accuracy within {@link
 *       CandidateEvaluation#MAX_VALIDATION_LOSS} of the live model's.
 *   <li>Fine-tune mode then tunes the last quarter of the backbone and the head on the training
 *       verdicts' images at a low learning rate (see {@link CandidateMode#FINE_TUNE}).
 *   <li>{@link CandidateEvaluation}: both models on the holdout and on the replay set's VAL rows.
 *   <li>Thresholds: {@code uncertainBelow} (tasks that use it) and flag thresholds (tasks that
 *       flag) are chosen on the candidate's holdout and validation predictions by the rules of
 *       {@link ThresholdChoice}; a new label's positives come from its holdout verdicts only.
 *   <li>The package: the same backbone (head mode), the new head, labels extended by new labels, a
 *       replay set of the live rows plus the training verdicts' features (source {@value
 *       #VERDICT_SOURCE}), {@code evaluation.json} and fresh golden references.
 * </ol>
 *
 * <p>Blocking; runs on the calling thread, which must be the only one training in this JVM (it sets
 * libtorch's per-thread gradient mode). The output folder is removed when the run fails or is
 * cancelled.
 */
public final class CandidateTraining {
  /** Verdicts a candidate needs at least, all labels together. */
  public static final int MIN_VERDICTS = 25;

  /** Holdout verdicts a candidate needs at least, to be judged on. */
  public static final int MIN_HOLDOUT = 3;

  /** Verdicts a label the live model does not have needs at least (train and holdout together). */
  public static final int MIN_NEW_LABEL = 20;

  /** Source tag of verdict rows in a candidate's replay set. */
  public static final String VERDICT_SOURCE = "verdicts";

  /** Total weight of the verdicts as a share of the replay rows' total weight: the values tried. */
  static final double[] VERDICT_SHARES = {0.1, 0.25, 0.5, 1, 2};

  static final int HEAD_EPOCHS = 25;
  static final double HEAD_LEARNING_RATE = 1e-3;
  static final double HEAD_L2 = 1e-4;
  static final long SEED = 22;

  private CandidateTraining() {}

  /**
   * Trains, evaluates and writes the candidate.
   *
   * @param progress receives stages and steps
   * @param cancelled asked between batches and epochs; when it answers true the run stops with
   *     {@link CandidateCancelledException}
   * @throws NotEnoughVerdictsException the verdicts cannot support a candidate (a client error)
   * @throws CandidateException the live package cannot be used or the output cannot be written
   */
  public static CandidateResult run(
      CandidateRequest request, CandidateProgress progress, BooleanSupplier cancelled)
      throws CandidateException {
    long started = System.nanoTime();
    prepareOutput(request.out());
    try {
      return train(request, progress, cancelled, started);
    } catch (CandidateException | RuntimeException e) {
      deleteQuietly(request.out());
      throw e;
    }
  }

  private static CandidateResult train(
      CandidateRequest request, CandidateProgress progress, BooleanSupplier cancelled, long started)
      throws CandidateException {
    ModelPackage live = request.live();
    ModelSpec liveSpec = live.spec();
    ReplaySet replay = replayOf(live);
    List<String> labels = labelsWith(liveSpec.labels(), request.verdicts());
    check(request.verdicts(), liveSpec.labels());
    TorchRuntime.inferenceThread();
    int dim = liveSpec.backbone().featureSize();

    try (CandidateModel model = CandidateModel.open(live, labels.size())) {
      // Head mode reads the features kept at classification time where the live backbone made
      // them; fine-tune mode tunes the backbone on the images, so it reads every image.
      VerdictFeatures verdicts =
          VerdictFeatures.compute(
              model,
              liveSpec.input(),
              request.verdicts(),
              labels,
              request.mode() == CandidateMode.HEAD ? model.liveBackbone() : null,
              dim,
              progress,
              cancelled);
      check(verdicts.usable(), liveSpec.labels());
      VerdictFeatures train = verdicts.where(v -> !VerdictSplit.isHoldout(v.frameId()));
      VerdictFeatures holdout = verdicts.where(v -> VerdictSplit.isHoldout(v.frameId()));
      ReplayRows replayTrain = ReplayRows.of(replay, ReplaySet.Split.TRAIN);
      ReplayRows replayVal = ReplayRows.of(replay, ReplaySet.Split.VAL);
      if (replayVal.size() == 0) {
        throw new CandidateException(
            "the replay set of "
                + live.dir()
                + " has no VAL rows: a candidate cannot be"
                + " checked against the package's own validation data");
      }
      // The live model as it serves (its own classes only), and the candidate's starting point (new
      // rows at zero).
      LinearHead liveHead =
          new LinearHead(
              model.liveClasses(), dim, model.liveWeight(), model.liveBias(), model.liveClasses());
      LinearHead start =
          new LinearHead(
              labels.size(), dim, model.liveWeight(), model.liveBias(), model.liveClasses());

      WeightChoice choice =
          chooseShare(
              liveHead, start, replayTrain, replayVal, train, labels.size(), progress, cancelled);
      progress.stage("head", HEAD_EPOCHS);
      LinearHead head = start.copy();
      TrainingRows rows = TrainingRows.of(replayTrain, train, choice.share(), labels.size());
      head.train(
          rows.x(),
          rows.y(),
          rows.w(),
          HEAD_EPOCHS,
          HEAD_LEARNING_RATE,
          HEAD_L2,
          SEED,
          cancelled,
          progress);
      model.tuning().setHead(head.weight(), head.bias());

      // The live model answers from the live backbone's features, whatever the candidate does to
      // its copy.
      float[][] liveHoldout =
          padded(liveHead.probabilities(holdout.x(), holdout.size()), labels.size());
      // Holdout features come from the candidate's own backbone in both modes; the replay rows only
      // in head mode.
      boolean validationExact = true;
      if (request.mode() == CandidateMode.FINE_TUNE) {
        VerdictTuning.tune(model, liveSpec.input(), train, labels.size(), progress, cancelled);
        holdout = holdout.recomputed(model, liveSpec.input(), progress, cancelled);
        train = train.recomputed(model, liveSpec.input(), progress, cancelled);
        validationExact = false;
      }

      progress.stage("evaluate", 1);
      float[][] candidateHoldout = head.probabilities(holdout.x(), holdout.size());
      float[][] liveVal =
          padded(liveHead.probabilities(replayVal.x(), replayVal.size()), labels.size());
      float[][] candidateVal = head.probabilities(replayVal.x(), replayVal.size());
      progress.advance(1);

      ThresholdChoice thresholds =
          thresholds(liveSpec, labels, holdout, candidateHoldout, replayVal, candidateVal);
      CandidateEvaluation evaluation =
          evaluate(
              liveSpec,
              request.version(),
              labels,
              train,
              holdout,
              liveHoldout,
              candidateHoldout,
              replayVal,
              liveVal,
              candidateVal,
              validationExact,
              thresholds.thresholds());

      progress.stage("save", 1);
      double seconds = (System.nanoTime() - started) / 1e9;
      ObjectNode record =
          record(request, verdicts, train, holdout, replayTrain, choice, thresholds, seconds);
      ModelSpec spec =
          new ModelSpec(
              liveSpec.name(),
              request.version(),
              liveSpec.task(),
              labels,
              liveSpec.input(),
              liveSpec.backbone(),
              liveSpec.weights(),
              thresholds.thresholds(),
              record,
              evaluation.toJson());
      ModelPackage saved = model.save(request.out(), spec);
      writeReplay(replay, labels, train, request.out());
      writeEvaluation(evaluation, request.out());
      GoldenReferences.create(saved);
      progress.advance(1);
      return new CandidateResult(saved, evaluation, record, (System.nanoTime() - started) / 1e9);
    } catch (VisionException e) {
      throw new CandidateException(
          "cannot write the candidate package into " + request.out() + ": " + e.getMessage(), e);
    }
  }

  /** The live labels, then labels only verdicts use, in alphabetical order. */
  static List<String> labelsWith(List<String> liveLabels, List<VerdictExample> verdicts) {
    List<String> labels = new ArrayList<>(liveLabels);
    TreeSet<String> added = new TreeSet<>();
    verdicts.forEach(
        v -> {
          if (!liveLabels.contains(v.label())) {
            added.add(v.label());
          }
        });
    labels.addAll(added);
    return labels;
  }

  /**
   * The rules on verdict counts: at least {@link #MIN_VERDICTS} in all, {@link #MIN_HOLDOUT} in the
   * holdout, and for each new label {@link #MIN_NEW_LABEL} with one or more in the holdout.
   */
  /**
   * Checks, before any work, that the verdicts can support a candidate of a model with these
   * labels: what {@link #run} checks first, for callers that answer a request before starting the
   * job.
   *
   * @throws NotEnoughVerdictsException listing what is missing, per label
   */
  public static void requireEnough(List<VerdictExample> verdicts, List<String> liveLabels)
      throws NotEnoughVerdictsException {
    check(verdicts, liveLabels);
  }

  static void check(List<VerdictExample> verdicts, List<String> liveLabels)
      throws NotEnoughVerdictsException {
    List<NotEnoughVerdictsException.Shortfall> shortfalls = new ArrayList<>();
    int holdout = (int) verdicts.stream().filter(v -> VerdictSplit.isHoldout(v.frameId())).count();
    if (verdicts.size() < MIN_VERDICTS) {
      shortfalls.add(
          new NotEnoughVerdictsException.Shortfall(
              "*", verdicts.size(), MIN_VERDICTS, "verdicts in all"));
    }
    if (holdout < MIN_HOLDOUT) {
      shortfalls.add(
          new NotEnoughVerdictsException.Shortfall(
              "*",
              holdout,
              MIN_HOLDOUT,
              "verdicts in the holdout (about "
                  + Math.round(VerdictSplit.HOLDOUT * 100)
                  + "% of frames, by frame id)"));
    }
    Map<String, int[]> newLabels = new TreeMap<>();
    for (VerdictExample v : verdicts) {
      if (!liveLabels.contains(v.label())) {
        int[] c = newLabels.computeIfAbsent(v.label(), k -> new int[2]);
        c[0]++;
        c[1] += VerdictSplit.isHoldout(v.frameId()) ? 1 : 0;
      }
    }
    newLabels.forEach(
        (label, c) -> {
          if (c[0] < MIN_NEW_LABEL) {
            shortfalls.add(
                new NotEnoughVerdictsException.Shortfall(
                    label,
                    c[0],
                    MIN_NEW_LABEL,
                    "verdicts of a label the live model does not have"));
          } else if (c[1] < 1) {
            shortfalls.add(
                new NotEnoughVerdictsException.Shortfall(
                    label, 0, 1, "holdout verdicts of a new label, to measure it"));
          }
        });
    if (!shortfalls.isEmpty()) {
      throw new NotEnoughVerdictsException(shortfalls);
    }
  }

  /**
   * The verdicts' share of the training weight, chosen on the inner validation verdicts: the most
   * accurate there among shares that keep the package's validation accuracy within the allowed loss
   * (if none does, the one that loses least).
   */
  private static WeightChoice chooseShare(
      LinearHead liveHead,
      LinearHead start,
      ReplayRows replayTrain,
      ReplayRows replayVal,
      VerdictFeatures train,
      int classes,
      CandidateProgress progress,
      BooleanSupplier cancelled)
      throws CandidateCancelledException {
    VerdictFeatures inner = train.where(v -> VerdictSplit.isInnerValidation(v.frameId()));
    VerdictFeatures innerTrain = train.where(v -> !VerdictSplit.isInnerValidation(v.frameId()));
    double liveVal = accuracy(liveHead, replayVal.x(), replayVal.y(), replayVal.size());
    progress.stage("choose verdict weight", VERDICT_SHARES.length * HEAD_EPOCHS);
    List<WeightChoice.Trial> trials = new ArrayList<>();
    int offset = 0;
    for (double share : VERDICT_SHARES) {
      LinearHead head = start.copy();
      TrainingRows rows = TrainingRows.of(replayTrain, innerTrain, share, classes);
      int base = offset;
      head.train(
          rows.x(),
          rows.y(),
          rows.w(),
          HEAD_EPOCHS,
          HEAD_LEARNING_RATE,
          HEAD_L2,
          SEED,
          cancelled,
          new CandidateProgress() {
            @Override
            public void stage(String name, int steps) {}

            @Override
            public void advance(int done) {
              progress.advance(base + done);
            }
          });
      offset += HEAD_EPOCHS;
      trials.add(
          new WeightChoice.Trial(
              share,
              inner.size() == 0 ? 0 : accuracy(head, inner.x(), inner.y(), inner.size()),
              accuracy(head, replayVal.x(), replayVal.y(), replayVal.size())));
    }
    double floor = liveVal - CandidateEvaluation.MAX_VALIDATION_LOSS;
    List<WeightChoice.Trial> allowed =
        trials.stream().filter(t -> t.validationAccuracy() >= floor - 1e-12).toList();
    WeightChoice.Trial chosen =
        allowed.isEmpty()
            ? trials.stream()
                .max(Comparator.comparingDouble(WeightChoice.Trial::validationAccuracy))
                .orElseThrow()
            : allowed.stream()
                .max(
                    Comparator.comparingDouble(WeightChoice.Trial::innerAccuracy)
                        .thenComparingDouble(WeightChoice.Trial::validationAccuracy))
                .orElseThrow();
    return new WeightChoice(chosen.share(), inner.size(), innerTrain.size(), liveVal, trials);
  }

  /**
   * Probabilities over more classes: the live model gives labels it does not have probability 0.
   */
  private static float[][] padded(float[][] p, int classes) {
    float[][] out = new float[p.length][];
    for (int i = 0; i < p.length; i++) {
      out[i] = Arrays.copyOf(p[i], classes);
    }
    return out;
  }

  private static double accuracy(LinearHead head, float[] x, int[] y, int n) {
    float[][] p = head.probabilities(x, n);
    int right = 0;
    for (int i = 0; i < n; i++) {
      right += Metrics.argmax(p[i]) == y[i] ? 1 : 0;
    }
    return n == 0 ? 0 : (double) right / n;
  }

  private static ThresholdChoice thresholds(
      ModelSpec live,
      List<String> labels,
      VerdictFeatures holdout,
      float[][] candidateHoldout,
      ReplayRows val,
      float[][] candidateVal) {
    List<Sample> samples = new ArrayList<>();
    int[] truth = new int[holdout.size() + val.size()];
    float[][] p = new float[truth.length][];
    for (int i = 0; i < holdout.size(); i++) {
      String frame = holdout.verdict(i).frameId();
      samples.add(
          new Sample(
              "verdict/" + frame, Path.of(frame), labels.get(holdout.y()[i]), VERDICT_SOURCE, ""));
      truth[i] = holdout.y()[i];
      p[i] = candidateHoldout[i];
    }
    for (int i = 0; i < val.size(); i++) {
      int row = holdout.size() + i;
      samples.add(
          new Sample(
              "replay/" + val.row(i),
              Path.of(ReplaySet.FILE),
              labels.get(val.y()[i]),
              "replay",
              ""));
      truth[row] = val.y()[i];
      p[row] = candidateVal[i];
    }
    ThresholdChoice choice =
        ThresholdChoice.choose(
            new Predictions(labels, samples, truth, p),
            ClassifierTraining.UNCERTAIN_TARGET_ACCURACY,
            ClassifierTraining.NEGATIVE_LABELS,
            ClassifierTraining.FLAG_TARGET_PRECISION);
    double uncertain =
        live.thresholds().uncertainBelow() > 0 ? choice.thresholds().uncertainBelow() : 0;
    Map<String, Double> flags =
        live.thresholds().flag().isEmpty() ? Map.of() : choice.thresholds().flag();
    choice
        .report()
        .put(
            "chosenOn",
            "candidate on the verdict holdout ("
                + holdout.size()
                + ") and the package's "
                + "validation replay rows ("
                + val.size()
                + ")");
    return new ThresholdChoice(new Thresholds(uncertain, flags), choice.report());
  }

  private static CandidateEvaluation evaluate(
      ModelSpec live,
      String version,
      List<String> labels,
      VerdictFeatures train,
      VerdictFeatures holdout,
      float[][] liveHoldout,
      float[][] candidateHoldout,
      ReplayRows val,
      float[][] liveVal,
      float[][] candidateVal,
      boolean validationExact,
      Thresholds thresholds) {
    CandidateEvaluation.Comparison all =
        new CandidateEvaluation.Comparison(
            "verdict holdout",
            true,
            Scores.of(labels, holdout.y(), liveHoldout),
            Scores.of(labels, holdout.y(), candidateHoldout));
    int liveClasses = live.labels().size();
    List<Integer> known = new ArrayList<>();
    for (int i = 0; i < holdout.size(); i++) {
      if (holdout.y()[i] < liveClasses) {
        known.add(i);
      }
    }
    int[] knownTruth = known.stream().mapToInt(i -> holdout.y()[i]).toArray();
    CandidateEvaluation.Comparison knownClasses =
        new CandidateEvaluation.Comparison(
            "verdict holdout, labels of the live model",
            true,
            Scores.of(
                labels,
                knownTruth,
                known.stream().map(i -> liveHoldout[i]).toArray(float[][]::new)),
            Scores.of(
                labels,
                knownTruth,
                known.stream().map(i -> candidateHoldout[i]).toArray(float[][]::new)));
    CandidateEvaluation.Comparison validation =
        new CandidateEvaluation.Comparison(
            validationExact
                ? "package validation replay rows"
                : "package validation replay rows (features of the live "
                    + "backbone; the candidate's tuned backbone would compute others)",
            validationExact,
            Scores.of(labels, val.y(), liveVal),
            Scores.of(labels, val.y(), candidateVal));
    List<CandidateEvaluation.NewClass> newClasses = new ArrayList<>();
    for (int k = liveClasses; k < labels.size(); k++) {
      int label = k;
      int trainExamples = (int) Arrays.stream(train.y()).filter(y -> y == label).count();
      ClassMetrics holdoutMetrics = all.candidate().perClass().get(k);
      Double flag = thresholds.flag().get(labels.get(k));
      newClasses.add(
          new CandidateEvaluation.NewClass(
              labels.get(k), trainExamples, holdoutMetrics, flag == null ? Double.NaN : flag));
    }
    return CandidateEvaluation.judge(
        live.version(), version, all, knownClasses, validation, newClasses);
  }

  private static ObjectNode record(
      CandidateRequest request,
      VerdictFeatures verdicts,
      VerdictFeatures train,
      VerdictFeatures holdout,
      ReplayRows replayTrain,
      WeightChoice choice,
      ThresholdChoice thresholds,
      double seconds) {
    ObjectNode r = JsonNodeFactory.instance.objectNode();
    r.put("kind", "candidate");
    r.put("mode", request.mode().wire());
    r.put("parent", request.live().spec().version());
    r.put("startedAt", Instant.now().minusMillis(Math.round(seconds * 1000)).toString());
    r.put("seconds", Math.round(seconds * 10) / 10.0);
    ObjectNode v = r.putObject("verdicts");
    v.put("given", request.verdicts().size());
    v.put("usable", verdicts.size());
    v.put("fromStoredFeatures", verdicts.fromStore());
    v.put("train", train.size());
    v.put("holdout", holdout.size());
    v.put(
        "split",
        "SHA-256 of the frame id; "
            + Math.round(VerdictSplit.HOLDOUT * 100)
            + "% holdout, never trained on");
    if (!verdicts.failures().isEmpty()) {
      v.set(
          "unreadable",
          JsonNodeFactory.instance
              .arrayNode()
              .addAll(
                  verdicts.failures().stream()
                      .limit(20)
                      .map(JsonNodeFactory.instance::textNode)
                      .toList()));
    }
    v.set("trainPerLabel", counts(train));
    v.set("holdoutPerLabel", counts(holdout));
    r.put("replayTrainRows", replayTrain.size());
    r.set("verdictWeight", choice.toJson());
    ObjectNode head = r.putObject("head");
    head.put(
        "what",
        "linear softmax head started from the live head, Adam with cosine decay, L2 "
            + HEAD_L2
            + ", classes balanced within replay rows and within verdicts");
    head.put("epochs", HEAD_EPOCHS);
    head.put("learningRate", HEAD_LEARNING_RATE);
    if (request.mode() == CandidateMode.FINE_TUNE) {
      r.set("fineTune", VerdictTuning.describe());
    }
    r.set("thresholds", thresholds.report());
    return r;
  }

  private static ObjectNode counts(VerdictFeatures part) {
    Map<String, Integer> counts = new TreeMap<>();
    for (int i = 0; i < part.size(); i++) {
      counts.merge(part.verdict(i).label(), 1, Integer::sum);
    }
    ObjectNode node = JsonNodeFactory.instance.objectNode();
    counts.forEach(node::put);
    return node;
  }

  private static ReplaySet replayOf(ModelPackage live) throws CandidateException {
    try {
      return ReplaySet.of(live)
          .orElseThrow(
              () ->
                  new CandidateException(
                      "live package "
                          + live.spec().name()
                          + " "
                          + live.spec().version()
                          + " ships no "
                          + ReplaySet.FILE
                          + ": a candidate needs its replay set"));
    } catch (ModelException e) {
      throw new CandidateException(e.getMessage(), e);
    }
  }

  /** The live rows other than earlier verdicts, then this candidate's training verdicts. */
  private static void writeReplay(
      ReplaySet live, List<String> labels, VerdictFeatures train, Path out)
      throws CandidateException {
    ReplaySet.Builder builder = ReplaySet.builder(labels, live.featureSize());
    for (int i = 0; i < live.size(); i++) {
      if (!live.source(i).equals(VERDICT_SOURCE)) {
        builder.add(live.features(i), live.label(i), live.split(i), live.source(i));
      }
    }
    int dim = live.featureSize();
    for (int i = 0; i < train.size(); i++) {
      builder.add(
          Arrays.copyOfRange(train.x(), i * dim, (i + 1) * dim),
          labels.get(train.y()[i]),
          ReplaySet.Split.TRAIN,
          VERDICT_SOURCE);
    }
    try {
      builder.build().write(out.resolve(ReplaySet.FILE));
    } catch (IOException e) {
      throw new CandidateException(
          "cannot write " + ReplaySet.FILE + " into " + out + ": " + e.getMessage(), e);
    }
  }

  private static void writeEvaluation(CandidateEvaluation evaluation, Path out)
      throws CandidateException {
    try {
      Files.writeString(out.resolve("evaluation.json"), evaluation.toJson().toPrettyString());
    } catch (IOException e) {
      throw new CandidateException(
          "cannot write evaluation.json into " + out + ": " + e.getMessage(), e);
    }
  }

  private static void prepareOutput(Path out) throws CandidateException {
    try {
      if (Files.exists(out)) {
        try (Stream<Path> entries = Files.list(out)) {
          if (entries.findAny().isPresent()) {
            throw new CandidateException(
                "output folder " + out + " is not empty: a candidate never overwrites a package");
          }
        }
      }
      Files.createDirectories(out);
    } catch (IOException e) {
      throw new CandidateException("cannot create output folder " + out + ": " + e.getMessage(), e);
    }
  }

  private static void deleteQuietly(Path dir) {
    try (Stream<Path> walk = Files.walk(dir)) {
      walk.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException | RuntimeException ignored) {
      // Best effort: a failed run's leftovers are in a folder nobody serves from.
    }
  }

  /** The chosen verdict share and what each tried share gave. */
  record WeightChoice(
      double share,
      int innerValidation,
      int innerTrain,
      double liveValidationAccuracy,
      List<Trial> trials) {
    record Trial(double share, double innerAccuracy, double validationAccuracy) {}

    ObjectNode toJson() {
      ObjectNode node = JsonNodeFactory.instance.objectNode();
      node.put("share", share);
      node.put(
          "what",
          "verdicts' total weight as a share of the replay rows' total, chosen on "
              + innerValidation
              + " inner validation verdicts (head trained on "
              + innerTrain
              + ") among shares keeping package"
              + " validation accuracy within "
              + Math.round(CandidateEvaluation.MAX_VALIDATION_LOSS * 100)
              + " point of the live model's");
      node.put("liveValidationAccuracy", round(liveValidationAccuracy));
      Map<String, ObjectNode> tried = new LinkedHashMap<>();
      for (Trial t : trials) {
        ObjectNode tn = JsonNodeFactory.instance.objectNode();
        tn.put("innerAccuracy", round(t.innerAccuracy()));
        tn.put("validationAccuracy", round(t.validationAccuracy()));
        tried.put(String.format(Locale.ROOT, "%s", t.share()), tn);
      }
      ObjectNode tn = node.putObject("tried");
      tried.forEach(tn::set);
      return node;
    }

    private static double round(double v) {
      return Math.round(v * 10000) / 10000.0;
    }
  }

  static int forwardBatch() {
    return FineTuning.maxForwardBatch();
  }
}
