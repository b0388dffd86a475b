package org.cityvision.models.training;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Predicate;
import org.cityvision.datasets.folder.Sample;
import org.cityvision.models.evaluation.ClassMetrics;
import org.cityvision.models.evaluation.EvaluationSummary;
import org.cityvision.models.evaluation.Metrics;
import org.cityvision.models.evaluation.Predictions;
import org.cityvision.models.evaluation.RiskCoverage;
import org.cityvision.models.evaluation.Temperature;

/**
 * Leave-one-source-out evaluation on cached features: for every source (site) of a dataset, a head
 * is trained on the other sources' images exactly as phase 1 trains the shipped head (same views,
 * sample weights, epochs and early stopping, the latter on the other sources' validation images)
 * and tested on the held-out source's serving views. A held-out image whose class no other source
 * has cannot be judged and is left out (the fold says so).
 *
 * <p>The held-out predictions of all folds, pooled, are what a new site would see: they give the
 * per-source and pooled scores, fit the temperature that calibrates the shipped head, and choose
 * its thresholds. The calibration's own error is measured out of fold: each fold's predictions are
 * scaled by a temperature fitted on the other folds only.
 *
 * <p>These are estimates for a head on the pretrained backbone (phase 1); a fine-tuned backbone has
 * seen every source, so it cannot be judged this way without fine-tuning once per fold.
 *
 * <p>Not thread-safe; blocking.
 */
final class LeaveOneSourceOut {
  /** The images of one fold's held-out source that could be judged. */
  record Fold(String source, int first, int count, List<String> untestable) {}

  /**
   * The pooled held-out predictions.
   *
   * @param folds one per source, in source order; {@code first}/{@code count} index the pooled rows
   * @param samples the pooled images
   * @param truth their classes
   * @param logits the fold heads' logits for them
   * @param temperature fitted on all pooled rows (what the shipped head is scaled by)
   * @param calibrated probabilities scaled out of fold (each fold by a temperature fitted on the
   *     others)
   */
  record Result(
      List<Fold> folds,
      List<Sample> samples,
      int[] truth,
      double[][] logits,
      Temperature temperature,
      float[][] calibrated,
      List<String> calibrating) {
    Predictions raw(List<String> labels) {
      return new Predictions(labels, samples, truth, Temperature.NONE.probabilities(logits));
    }

    Predictions calibrated(List<String> labels) {
      return new Predictions(labels, samples, truth, calibrated);
    }
  }

  /** How one fold's head is trained. */
  record HeadRecipe(int epochs, double learningRate, double l2, double sourceBalance, long seed) {}

  private LeaveOneSourceOut() {}

  /**
   * Runs every fold.
   *
   * @param bank features of {@code samples}, in that order
   * @param validation which samples are validation images (early stopping of each fold's head)
   */
  static Result run(
      FeatureBank bank,
      List<Sample> samples,
      Predicate<Sample> validation,
      List<String> labels,
      HeadRecipe recipe,
      TrainingProgress progress) {
    Set<String> sources = new TreeSet<>();
    samples.forEach(s -> sources.add(s.source()));
    for (SyntheticScenes.Kind k : SyntheticScenes.Kind.values()) {
      sources.remove(k.source);
    }
    List<Fold> folds = new ArrayList<>();
    List<Sample> pooled = new ArrayList<>();
    List<Integer> truth = new ArrayList<>();
    List<double[]> logits = new ArrayList<>();
    for (String source : sources) {
      List<Integer> train = new ArrayList<>();
      List<Integer> val = new ArrayList<>();
      Set<Integer> elsewhere = new TreeSet<>();
      for (int i = 0; i < samples.size(); i++) {
        Sample s = samples.get(i);
        if (!SyntheticScenes.comesFrom(s, source)) {
          (validation.test(s) ? val : train).add(i);
          elsewhere.add(bank.label(i));
        }
      }
      List<Integer> test = new ArrayList<>();
      Set<String> untestable = new LinkedHashSet<>();
      for (int i = 0; i < samples.size(); i++) {
        if (samples.get(i).source().equals(source)) {
          if (elsewhere.contains(bank.label(i))) {
            test.add(i);
          } else {
            untestable.add(samples.get(i).label());
          }
        }
      }
      folds.add(new Fold(source, pooled.size(), test.size(), List.copyOf(untestable)));
      if (test.isEmpty() || train.isEmpty()) {
        continue;
      }
      SoftmaxHead head =
          trainHead(bank, samples, train, val, labels, recipe, TrainingProgress.NONE).head();
      int[] testIdx = test.stream().mapToInt(Integer::intValue).toArray();
      double[][] l = head.logits(bank.rows(testIdx, false).x());
      for (int t = 0; t < testIdx.length; t++) {
        pooled.add(samples.get(testIdx[t]));
        truth.add(bank.label(testIdx[t]));
        logits.add(l[t]);
      }
      progress.note(
          String.format(
              Locale.ROOT,
              "held out %s: %d images, accuracy %.3f%s",
              source,
              test.size(),
              Metrics.of(labels, bank.rows(testIdx, false).y(), Temperature.NONE.probabilities(l))
                  .accuracy(),
              untestable.isEmpty()
                  ? ""
                  : " (not judged: " + untestable + ", no other source has them)"));
    }
    int[] y = truth.stream().mapToInt(Integer::intValue).toArray();
    double[][] z = logits.toArray(new double[0][]);
    // A fold that holds out most of the data trains its head on a small remainder: its confidence
    // says
    // little about the shipped head's, so it does not fit the temperature (it is still scored).
    Set<String> calibrating = new TreeSet<>();
    for (Fold f : folds) {
      long n = samples.stream().filter(s -> s.source().equals(f.source())).count();
      if (f.count() > 0 && n * 2 < samples.size()) {
        calibrating.add(f.source());
      }
    }
    Temperature all = fit(z, y, folds, calibrating, null);
    float[][] calibrated = new float[z.length][];
    for (Fold f : folds) {
      if (f.count() == 0) {
        continue;
      }
      Temperature t = fit(z, y, folds, calibrating, f.source());
      float[][] p = t.probabilities(Arrays.copyOfRange(z, f.first(), f.first() + f.count()));
      System.arraycopy(p, 0, calibrated, f.first(), f.count());
    }
    return new Result(folds, pooled, y, z, all, calibrated, List.copyOf(calibrating));
  }

  /**
   * The temperature of the pooled rows of the {@code calibrating} folds, leaving out fold {@code
   * except}.
   */
  private static Temperature fit(
      double[][] z, int[] y, List<Fold> folds, Set<String> calibrating, String except) {
    List<double[]> rows = new ArrayList<>();
    List<Integer> truth = new ArrayList<>();
    for (Fold f : folds) {
      if (calibrating.contains(f.source()) && !f.source().equals(except)) {
        for (int i = f.first(); i < f.first() + f.count(); i++) {
          rows.add(z[i]);
          truth.add(y[i]);
        }
      }
    }
    return rows.isEmpty()
        ? Temperature.NONE
        : Temperature.fit(
            rows.toArray(new double[0][]), truth.stream().mapToInt(Integer::intValue).toArray());
  }

  /** A trained head and its epochs. */
  record TrainedHead(SoftmaxHead head, List<EpochRecord> history) {}

  /**
   * A head trained on the {@code train} images' views, early-stopped on the {@code val} images'
   * serving views.
   */
  static TrainedHead trainHead(
      FeatureBank bank,
      List<Sample> samples,
      List<Integer> train,
      List<Integer> val,
      List<String> labels,
      HeadRecipe recipe,
      TrainingProgress progress) {
    int[] trainIdx = train.stream().mapToInt(Integer::intValue).toArray();
    int[] valIdx = val.stream().mapToInt(Integer::intValue).toArray();
    List<Sample> trainSamples = train.stream().map(samples::get).toList();
    double[] perImage = SampleWeights.of(trainSamples, labels, recipe.sourceBalance());
    FeatureBank.Rows rows = bank.rows(trainIdx, true);
    double[] perRow = new double[rows.y().length];
    for (int r = 0; r < perRow.length; r++) {
      perRow[r] = perImage[rows.image()[r]];
    }
    FeatureBank.Rows v = bank.rows(valIdx, false);
    SoftmaxHead head = new SoftmaxHead(labels.size(), bank.featureSize(), recipe.seed());
    List<EpochRecord> history =
        head.trainWeighted(
            rows.x(),
            rows.y(),
            perRow,
            v.x(),
            v.y(),
            labels,
            recipe.epochs(),
            recipe.learningRate(),
            recipe.l2(),
            0.0,
            10,
            recipe.seed(),
            progress);
    return new TrainedHead(head, history);
  }

  /**
   * The report: per source, pooled over all sources and over the extra sources ({@code extra}),
   * calibration before and after, and the risk-coverage curve of the calibrated pooled predictions.
   */
  static ObjectNode report(
      Result r, List<String> labels, Predicate<Sample> extra, String backbone) {
    ObjectNode out = JsonNodeFactory.instance.objectNode();
    out.put(
        "what",
        "leave-one-source-out: for each source, a head on cached features of the pretrained "
            + backbone
            + " (the phase-1 recipe: same views, sample weights, epochs) trained on every other source and tested on"
            + " that source's serving views; estimates for the head phase, not for a fine-tuned backbone");
    Predictions raw = r.raw(labels);
    Predictions cal = r.calibrated(labels);
    ObjectNode per = out.putObject("perSource");
    double accSum = 0;
    double f1Sum = 0;
    int judged = 0;
    double extraAccSum = 0;
    int extraJudged = 0;
    for (Fold f : r.folds()) {
      ObjectNode node = per.putObject(f.source());
      if (!f.untestable().isEmpty()) {
        node.put("notJudged", "only this source has " + f.untestable());
      }
      node.put("images", f.count());
      if (f.count() == 0) {
        continue;
      }
      Predictions p = slice(raw, f);
      Metrics m = p.metrics();
      node.put("accuracy", EvaluationSummary.round(m.accuracy()));
      node.put("macroF1", EvaluationSummary.round(m.macroF1()));
      ObjectNode recall = node.putObject("recall");
      m.perClass().stream()
          .filter(c -> c.support() > 0)
          .forEach(c -> recall.put(c.label(), EvaluationSummary.round(c.recall())));
      node.put("extra", extra.test(p.samples().get(0)));
      accSum += m.accuracy();
      f1Sum += m.macroF1();
      judged++;
      if (extra.test(p.samples().get(0))) {
        extraAccSum += m.accuracy();
        extraJudged++;
      }
    }
    out.put("meanAccuracy", EvaluationSummary.round(judged == 0 ? 0 : accSum / judged));
    out.put("meanMacroF1", EvaluationSummary.round(judged == 0 ? 0 : f1Sum / judged));
    out.put(
        "meanAccuracyExtraSources",
        EvaluationSummary.round(extraJudged == 0 ? 0 : extraAccSum / extraJudged));
    out.set("pooled", metrics(raw.metrics()));
    Predictions rawExtra = raw.where(extra);
    if (rawExtra.size() > 0) {
      out.set("pooledExtraSources", metrics(rawExtra.metrics()));
    }
    ObjectNode c = out.putObject("calibration");
    c.put(
        "what",
        "temperature scaling fitted on the pooled held-out predictions of the sources that hold under half"
            + " of the images; 'after' scales each fold by a temperature fitted on the other such folds only");
    c.set("fittedOn", new ObjectMapper().valueToTree(r.calibrating()));
    c.put("temperature", EvaluationSummary.round(r.temperature().value()));
    c.put("eceBefore", EvaluationSummary.round(raw.metrics().ece()));
    c.put("eceAfter", EvaluationSummary.round(cal.metrics().ece()));
    c.put("nllBefore", EvaluationSummary.round(raw.metrics().nll()));
    c.put("nllAfter", EvaluationSummary.round(cal.metrics().nll()));
    out.set("riskCoverage", RiskCoverage.of(cal).toJson());
    return out;
  }

  private static ObjectNode metrics(Metrics m) {
    ObjectNode n = JsonNodeFactory.instance.objectNode();
    n.put("images", m.count());
    n.put("accuracy", EvaluationSummary.round(m.accuracy()));
    n.put("macroF1", EvaluationSummary.round(m.macroF1()));
    ObjectNode pc = n.putObject("perClass");
    for (ClassMetrics c : m.perClass()) {
      if (c.support() > 0 || c.precision() > 0) {
        pc.putObject(c.label())
            .put("precision", EvaluationSummary.round(c.precision()))
            .put("recall", EvaluationSummary.round(c.recall()))
            .put("support", c.support());
      }
    }
    ObjectNode conf = n.putObject("confusion");
    conf.set("labels", new ObjectMapper().valueToTree(m.labels()));
    conf.set("rowsTruthColumnsPredicted", new ObjectMapper().valueToTree(m.confusion()));
    return n;
  }

  private static Predictions slice(Predictions p, Fold f) {
    Map<Sample, Boolean> in = new LinkedHashMap<>();
    for (int i = f.first(); i < f.first() + f.count(); i++) {
      in.put(p.samples().get(i), true);
    }
    return p.where(in::containsKey);
  }
}
