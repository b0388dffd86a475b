package org.cityvision.models.evaluation;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.cityvision.core.classify.Classifier;
import org.cityvision.core.classify.ClassifierOptions;
import org.cityvision.core.model.ModelException;
import org.cityvision.core.model.ModelPackage;
import org.cityvision.core.model.ModelSpec;
import org.cityvision.core.model.TorchRuntime;
import org.cityvision.datasets.DatasetException;
import org.cityvision.datasets.export.ManifestRow;
import org.cityvision.datasets.folder.ImageFolder;
import org.cityvision.datasets.folder.Sample;
import org.cityvision.datasets.split.DatasetSplit;
import org.cityvision.datasets.split.SplitSpec;
import org.cityvision.models.ModelRunException;
import org.cityvision.models.training.EpochRecord;
import org.cityvision.models.training.SourceHoldoutProbe;
import org.cityvision.models.training.TrainingProgress;

/**
 * Evaluates a model package on a dataset through the serving path and writes the report into a
 * folder: {@code EVALUATION.md}, {@code evaluation.json}, {@code confusion_matrix.png} and, when
 * the package records its training history, {@code training_curves.png}.
 *
 * <p>The test split is rebuilt from the split seed and fractions recorded in the package's {@code
 * model.json}, so {@code evaluate} measures exactly the images {@code train} held out.
 *
 * <p>Stateless and thread-safe.
 */
public final class ModelEvaluation {
  public static final String REPORT = "EVALUATION.md";
  public static final String JSON_REPORT = "evaluation.json";
  public static final String CONFUSION_PNG = "confusion_matrix.png";
  public static final String CURVES_PNG = "training_curves.png";

  /** Which images to evaluate on. */
  public enum Part {
    TEST,
    VAL,
    ALL
  }

  private static final ObjectMapper JSON =
      new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  private ModelEvaluation() {}

  /**
   * Loads the package, evaluates it on {@code part} of {@code data} and writes the report into
   * {@code reportDir}. Optional parts (each null for none): with {@code probeBackbone} (a
   * pretrained backbone folder) and several sources in the data, also runs the held-out-source
   * diagnostic ({@link SourceHoldoutProbe}); with {@code reencodeLabel}, {@link ReencodeCheck} for
   * that label; with {@code predictionsCsv}, writes every image's probabilities there ({@link
   * #writePredictions}).
   */
  public static EvaluationSummary run(
      Path modelDir,
      Path data,
      List<Path> extras,
      Part part,
      Path reportDir,
      Path probeBackbone,
      String reencodeLabel,
      Path predictionsCsv,
      TrainingProgress progress)
      throws ModelRunException {
    ModelPackage pkg;
    try {
      pkg = ModelPackage.read(modelDir);
    } catch (ModelException e) {
      throw new ModelRunException(e.getMessage(), e);
    }
    List<Sample> samples = samples(pkg.spec(), data, extras, part);
    progress.note(
        "evaluating "
            + pkg.spec().name()
            + " "
            + pkg.spec().version()
            + " on "
            + samples.size()
            + " images ("
            + part.name().toLowerCase(Locale.ROOT)
            + ")");
    TorchRuntime.start(1);
    Predictions predictions;
    ObjectNode extra = JsonNodeFactory.instance.objectNode();
    try (Classifier classifier =
        Classifier.open(pkg, ClassifierOptions.defaults().withWarmup(false))) {
      progress.stage("evaluate", samples.size());
      predictions = Evaluator.predict(classifier, samples, progress);
      if (reencodeLabel != null) {
        extra
            .with("diagnostics")
            .set(
                "reencode",
                ReencodeCheck.run(classifier, samples, reencodeLabel, predictions, progress));
      }
    } catch (ModelException e) {
      throw new ModelRunException(e.getMessage(), e);
    }
    EvaluationSummary summary =
        EvaluationSummary.of(
            pkg.spec().name(),
            pkg.spec().version(),
            part.name().toLowerCase(Locale.ROOT),
            predictions);
    if (probeBackbone != null && summary.perSource().size() > 1) {
      try {
        ObjectNode diagnostics = extra.with("diagnostics");
        diagnostics.set(
            "heldOutSource",
            SourceHoldoutProbe.run(
                probeBackbone,
                ImageFolder.read(data, extras),
                splitOf(pkg.spec()).seed(),
                progress));
      } catch (DatasetException e) {
        throw new ModelRunException(e.getMessage(), e);
      }
    }
    writeReport(reportDir, pkg.spec(), summary, predictions, extra);
    if (predictionsCsv != null) {
      writePredictions(predictionsCsv, predictions);
    }
    return summary;
  }

  /**
   * Writes one CSV row per image: {@code image,source,truth,predicted} and one probability column
   * per label, in the model's output order; for analyses the report does not make (other
   * calibrations, class-prior shifts, per-image error lists).
   */
  public static void writePredictions(Path csv, Predictions p) throws ModelRunException {
    StringBuilder out = new StringBuilder("image,source,truth,predicted");
    for (String label : p.labels()) {
      out.append(",p_").append(label);
    }
    out.append('\n');
    for (int i = 0; i < p.size(); i++) {
      Sample s = p.samples().get(i);
      float[] row = p.probabilities()[i];
      out.append(ManifestRow.quote(s.id()))
          .append(',')
          .append(ManifestRow.quote(s.source()))
          .append(',')
          .append(p.labels().get(p.truth()[i]))
          .append(',')
          .append(p.labels().get(Metrics.argmax(row)));
      for (float v : row) {
        out.append(',').append(String.format(Locale.ROOT, "%.6f", v));
      }
      out.append('\n');
    }
    try {
      Path parent = csv.toAbsolutePath().getParent();
      if (parent != null) {
        Files.createDirectories(parent);
      }
      Files.writeString(csv, out, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new ModelRunException("cannot write predictions to " + csv + ": " + e.getMessage(), e);
    }
  }

  /**
   * The images of {@code part}, split as the package's training recorded (or the default split).
   */
  public static List<Sample> samples(ModelSpec spec, Path data, List<Path> extras, Part part)
      throws ModelRunException {
    try {
      ImageFolder folder = ImageFolder.read(data, extras);
      if (part == Part.ALL) {
        return folder.samples();
      }
      DatasetSplit split = DatasetSplit.of(folder, splitOf(spec));
      return part == Part.TEST ? split.test() : split.val();
    } catch (DatasetException e) {
      throw new ModelRunException(e.getMessage(), e);
    }
  }

  /** The split recorded in {@code model.json}'s training section, else the default. */
  public static SplitSpec splitOf(ModelSpec spec) {
    JsonNode s = spec.training().path("split");
    if (s.isMissingNode() || !s.has("seed")) {
      return SplitSpec.DEFAULT;
    }
    return new SplitSpec(
        s.path("val").asDouble(SplitSpec.DEFAULT.val()),
        s.path("test").asDouble(SplitSpec.DEFAULT.test()),
        s.path("seed").asLong(SplitSpec.DEFAULT.seed()));
  }

  /** The training history recorded in {@code model.json}, if any. */
  public static List<EpochRecord> history(ModelSpec spec) {
    List<EpochRecord> out = new ArrayList<>();
    for (JsonNode e : spec.training().path("history")) {
      out.add(
          new EpochRecord(
              e.path("phase").asText(),
              e.path("epoch").asInt(),
              e.path("trainLoss").asDouble(),
              e.path("valLoss").asDouble(),
              e.path("valAccuracy").asDouble(),
              e.path("valMacroF1").asDouble(),
              e.path("seconds").asDouble(),
              e.path("best").asBoolean()));
    }
    return out;
  }

  /**
   * Writes the report files. {@code extra} holds further sections: {@code thresholdsOnValidation}
   * and {@code diagnostics}, shown when present.
   */
  public static void writeReport(
      Path dir,
      ModelSpec spec,
      EvaluationSummary summary,
      Predictions predictions,
      ObjectNode extra)
      throws ModelRunException {
    try {
      Files.createDirectories(dir);
      ObjectNode json = summary.toJson();
      ObjectNode thresholds = json.putObject("thresholds");
      thresholds.put("uncertainBelow", spec.thresholds().uncertainBelow());
      thresholds.set(
          "flagOnThisSplit", ThresholdChoice.flagResults(predictions, spec.thresholds()));
      thresholds.set(
          "uncertainOnThisSplit",
          uncertainResults(predictions, spec.thresholds().uncertainBelow()));
      if (extra.has("thresholdsOnValidation")) {
        thresholds.set("onValidation", extra.get("thresholdsOnValidation"));
      } else if (spec.training().has("thresholds")) {
        thresholds.set("onValidation", spec.training().get("thresholds"));
      }
      if (extra.has("diagnostics")) {
        json.set("diagnostics", extra.get("diagnostics"));
      }
      if (extra.has("heldOutSources")) {
        json.set("heldOutSources", extra.get("heldOutSources"));
      } else if (spec.training().has("heldOutSources")) {
        json.set("heldOutSources", spec.training().get("heldOutSources"));
      }
      JSON.writeValue(dir.resolve(JSON_REPORT).toFile(), json);
      Charts.confusionMatrix(
          summary.overall(),
          spec.name()
              + " "
              + spec.version()
              + ", "
              + summary.split()
              + " split ("
              + summary.overall().count()
              + " images)",
          dir.resolve(CONFUSION_PNG));
      List<EpochRecord> history = history(spec);
      if (!history.isEmpty()) {
        Charts.trainingCurves(
            history, spec.name() + " " + spec.version() + " training", dir.resolve(CURVES_PNG));
      }
      Files.writeString(
          dir.resolve(REPORT),
          markdown(spec, summary, json, !history.isEmpty()),
          StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new ModelRunException(
          "cannot write the evaluation report into " + dir + ": " + e.getMessage(), e);
    }
  }

  static ObjectNode uncertainResults(Predictions p, double threshold) {
    int kept = 0;
    int right = 0;
    for (int i = 0; i < p.size(); i++) {
      int top = Metrics.argmax(p.probabilities()[i]);
      if (p.probabilities()[i][top] >= threshold) {
        kept++;
        right += top == p.truth()[i] ? 1 : 0;
      }
    }
    ObjectNode n = JsonNodeFactory.instance.objectNode();
    n.put("threshold", threshold);
    n.put("coverage", EvaluationSummary.round(p.size() == 0 ? 0 : (double) kept / p.size()));
    n.put("accuracyAbove", EvaluationSummary.round(kept == 0 ? 0 : (double) right / kept));
    return n;
  }

  private static String markdown(
      ModelSpec spec, EvaluationSummary s, ObjectNode json, boolean curves) {
    StringBuilder md = new StringBuilder();
    Metrics m = s.overall();
    md.append("# Evaluation: ")
        .append(spec.name())
        .append(' ')
        .append(spec.version())
        .append("\n\n");
    md.append(
            "Generated by `cityvision evaluate` (or at the end of `cityvision train`) through the serving path ")
        .append("(same decoder, preprocessing and batching as `serve`). Split: **")
        .append(s.split())
        .append("** (")
        .append(m.count())
        .append(" images), rebuilt from the split recorded in `model.json`.\n\n");
    JsonNode training = spec.training();
    if (training.has("commandLine")) {
      md.append("Trained with: `").append(training.get("commandLine").asText()).append("`\n\n");
    }
    md.append("| metric | value |\n|---|---|\n");
    md.append(row("accuracy", m.accuracy()))
        .append(row("macro-F1", m.macroF1()))
        .append(row("expected calibration error (15 bins)", m.ece()))
        .append(row("mean NLL", m.nll()));
    md.append(
        "\n## Per class\n\n| class | precision | recall | F1 | support |\n|---|---|---|---|---|\n");
    for (ClassMetrics c : m.perClass()) {
      md.append(
          String.format(
              Locale.ROOT,
              "| %s | %.3f | %.3f | %.3f | %d |%n",
              c.label(),
              c.precision(),
              c.recall(),
              c.f1(),
              c.support()));
    }
    md.append("\n## Confusion matrix\n\nRows: true class; columns: predicted.\n\n")
        .append(confusionTable(m))
        .append("\n![confusion matrix](")
        .append(CONFUSION_PNG)
        .append(")\n");
    if (s.perSource().size() > 1) {
      md.append(
              "\n## Per source\n\nEach issue class comes mostly from one source, so a model can learn the source's ")
          .append("look instead of the issue; these rows show where that would hurt.\n\n")
          .append(
              "| source | images | accuracy | macro-F1 (classes present) |\n|---|---|---|---|\n");
      for (Map.Entry<String, Metrics> e : s.perSource().entrySet()) {
        md.append(
            String.format(
                Locale.ROOT,
                "| %s | %d | %.3f | %.3f |%n",
                e.getKey(),
                e.getValue().count(),
                e.getValue().accuracy(),
                e.getValue().macroF1()));
      }
      for (Map.Entry<String, Metrics> e : s.perSource().entrySet()) {
        md.append("\n**").append(e.getKey()).append("**\n\n").append(confusionTable(e.getValue()));
      }
    }
    if (json.has("heldOutSources")) {
      md.append(heldOutMarkdown(json.get("heldOutSources")));
    }
    JsonNode t = json.path("thresholds");
    md.append("\n## Thresholds (stored in `model.json`)\n\nChosen on: ")
        .append(t.path("onValidation").path("chosenOn").asText("the validation split"))
        .append(".\n\n");
    JsonNode unc = t.path("uncertainOnThisSplit");
    md.append(
            String.format(
                Locale.ROOT,
                "- uncertain below top score **%.2f**: on this split %.1f%% of images are ",
                spec.thresholds().uncertainBelow(),
                100 * unc.path("coverage").asDouble()))
        .append(
            String.format(
                Locale.ROOT,
                "answered, with accuracy %.3f.%n",
                unc.path("accuracyAbove").asDouble()));
    t.path("flagOnThisSplit")
        .fields()
        .forEachRemaining(
            e ->
                md.append(
                    String.format(
                        Locale.ROOT,
                        "- flag `%s` at probability ≥ **%.2f**: on this split precision %.3f, recall %.3f (%d flagged).%n",
                        e.getKey(),
                        e.getValue().path("threshold").asDouble(),
                        e.getValue().path("precision").asDouble(),
                        e.getValue().path("recall").asDouble(),
                        e.getValue().path("flagged").asInt())));
    if (t.has("onValidation")) {
      md.append("\nWhere they were chosen:\n\n```json\n")
          .append(t.get("onValidation").toPrettyString())
          .append("\n```\n");
    }
    if (json.has("diagnostics")) {
      md.append("\n## Diagnostics\n\n```json\n")
          .append(json.get("diagnostics").toPrettyString())
          .append("\n```\n");
    }
    if (curves) {
      md.append("\n## Training\n\n![training curves](")
          .append(CURVES_PNG)
          .append(")\n\n")
          .append(
              "| phase | epoch | train loss | val loss | val accuracy | val macro-F1 | seconds | best so far |\n|---|---|---|---|---|---|---|---|\n");
      for (EpochRecord r : history(spec)) {
        md.append(
            String.format(
                Locale.ROOT,
                "| %s | %d | %.4f | %.4f | %.4f | %.4f | %.0f | %s |%n",
                r.phase(),
                r.epoch(),
                r.trainLoss(),
                r.valLoss(),
                r.valAccuracy(),
                r.valMacroF1(),
                r.seconds(),
                r.best() ? "yes" : ""));
      }
    }
    return md.toString();
  }

  /** The leave-one-source-out section: per source, pooled, calibration and risk-coverage. */
  static String heldOutMarkdown(JsonNode h) {
    StringBuilder md = new StringBuilder("\n## Held-out sources (leave-one-source-out)\n\n");
    md.append(h.path("what").asText())
        .append(".\n\n")
        .append(
            "| held-out source | images judged | accuracy | macro-F1 (classes present) | recall per class |\n")
        .append("|---|---|---|---|---|\n");
    h.path("perSource")
        .fields()
        .forEachRemaining(
            e -> {
              JsonNode f = e.getValue();
              StringBuilder recall = new StringBuilder();
              f.path("recall")
                  .fields()
                  .forEachRemaining(
                      r ->
                          recall
                              .append(recall.length() == 0 ? "" : ", ")
                              .append(r.getKey())
                              .append(' ')
                              .append(String.format(Locale.ROOT, "%.2f", r.getValue().asDouble())));
              if (f.has("notJudged")) {
                recall
                    .append(recall.length() == 0 ? "" : "; ")
                    .append("not judged: ")
                    .append(f.get("notJudged").asText());
              }
              md.append(
                  String.format(
                      Locale.ROOT,
                      "| %s%s | %d | %s | %s | %s |%n",
                      e.getKey(),
                      f.path("extra").asBoolean() ? " (extra)" : "",
                      f.path("images").asInt(),
                      f.has("accuracy")
                          ? String.format(Locale.ROOT, "%.3f", f.get("accuracy").asDouble())
                          : "-",
                      f.has("macroF1")
                          ? String.format(Locale.ROOT, "%.3f", f.get("macroF1").asDouble())
                          : "-",
                      recall));
            });
    md.append(
        String.format(
            Locale.ROOT,
            "%nMean over held-out sources: accuracy **%.3f**, macro-F1 %.3f; over the"
                + " extra sources only: accuracy **%.3f**.%n",
            h.path("meanAccuracy").asDouble(),
            h.path("meanMacroF1").asDouble(),
            h.path("meanAccuracyExtraSources").asDouble()));
    for (String part : List.of("pooled", "pooledExtraSources")) {
      JsonNode p = h.path(part);
      if (p.isMissingNode()) {
        continue;
      }
      md.append(
          String.format(
              Locale.ROOT,
              "%n**%s** (%d held-out predictions): accuracy %.3f, macro-F1 **%.3f**%n%n",
              part.equals("pooled")
                  ? "All held-out predictions pooled"
                  : "Held-out predictions of the extra sources pooled",
              p.path("images").asInt(),
              p.path("accuracy").asDouble(),
              p.path("macroF1").asDouble()));
      md.append("| class | precision | recall | support |\n|---|---|---|---|\n");
      p.path("perClass")
          .fields()
          .forEachRemaining(
              c ->
                  md.append(
                      String.format(
                          Locale.ROOT,
                          "| %s | %.3f | %.3f | %d |%n",
                          c.getKey(),
                          c.getValue().path("precision").asDouble(),
                          c.getValue().path("recall").asDouble(),
                          c.getValue().path("support").asInt())));
      JsonNode conf = p.path("confusion");
      List<String> labels = new ArrayList<>();
      conf.path("labels").forEach(l -> labels.add(l.asText()));
      int[][] m = new int[labels.size()][labels.size()];
      for (int i = 0; i < labels.size(); i++) {
        for (int j = 0; j < labels.size(); j++) {
          m[i][j] = conf.path("rowsTruthColumnsPredicted").path(i).path(j).asInt();
        }
      }
      md.append("\n").append(confusionTable(Metrics.fromConfusion(labels, m)));
    }
    JsonNode c = h.path("calibration");
    String folded =
        c.has("headTemperature")
            ? String.format(
                Locale.ROOT,
                " (of the head phase; the shipped head is divided by **%.3f** instead: %s)",
                c.path("headTemperature").asDouble(),
                c.path("headTemperatureFrom").asText())
            : " (folded into the head: its weights and bias are divided by it)";
    md.append(
        String.format(
            Locale.ROOT,
            "%n### Calibration%n%n%s. Temperature **%.3f**%s. Expected calibration error on"
                + " held-out sources: **%.4f before, %.4f after**; NLL %.4f before, %.4f after.%n",
            c.path("what").asText(),
            c.path("temperature").asDouble(),
            folded,
            c.path("eceBefore").asDouble(),
            c.path("eceAfter").asDouble(),
            c.path("nllBefore").asDouble(),
            c.path("nllAfter").asDouble()));
    md.append(
            "\n### Risk-coverage on held-out sources (calibrated)\n\nAnswers whose top score is below the threshold")
        .append(
            " are `uncertain`.\n\n| threshold | coverage | accuracy of answers |\n|---|---|---|\n");
    h.path("riskCoverage")
        .forEach(
            pt ->
                md.append(
                    String.format(
                        Locale.ROOT,
                        "| %.2f | %.3f | %.3f |%n",
                        pt.path("threshold").asDouble(),
                        pt.path("coverage").asDouble(),
                        pt.path("accuracy").asDouble())));
    return md.toString();
  }

  private static String row(String name, double v) {
    return String.format(Locale.ROOT, "| %s | %.4f |%n", name, v);
  }

  private static String confusionTable(Metrics m) {
    StringBuilder sb = new StringBuilder("| true \\ predicted |");
    m.labels().forEach(l -> sb.append(' ').append(l).append(" |"));
    sb.append("\n|---|");
    m.labels().forEach(l -> sb.append("---|"));
    sb.append('\n');
    int[][] c = m.confusion();
    for (int i = 0; i < c.length; i++) {
      int sum = 0;
      for (int v : c[i]) {
        sum += v;
      }
      if (sum == 0) {
        continue;
      }
      sb.append("| ").append(m.labels().get(i)).append(" |");
      for (int v : c[i]) {
        sb.append(' ').append(v).append(" |");
      }
      sb.append('\n');
    }
    return sb.toString();
  }
}
