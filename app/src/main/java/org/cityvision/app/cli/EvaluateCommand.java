package org.cityvision.app.cli;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.cityvision.core.model.ModelPackage;
import org.cityvision.models.evaluation.EvaluationSummary;
import org.cityvision.models.evaluation.ModelEvaluation;
import org.cityvision.models.training.ProgressBar;
import org.cityvision.serving.config.Home;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code cityvision evaluate}: measures a model package on a dataset through the serving path and
 * writes {@code EVALUATION.md}, {@code evaluation.json} and the confusion-matrix picture.
 */
@Command(
    name = "evaluate",
    mixinStandardHelpOptions = true,
    description =
        "Evaluate a model package on a dataset split; writes EVALUATION.md, evaluation.json and PNGs.")
public final class EvaluateCommand implements Callable<Integer> {
  @Option(names = "--model", required = true, description = "model package folder")
  Path model;

  @Option(
      names = "--data",
      description = "ImageFolder dataset (default: ../shared/datasets/<model task>)")
  Path data;

  @Option(
      names = "--extra",
      arity = "1..*",
      description = "extra ImageFolder datasets trained with the model")
  List<Path> extras = new ArrayList<>();

  @Option(
      names = "--split",
      defaultValue = "test",
      description =
          "which images: test (the split train held out), val, or all; all is for data the model never saw, "
              + "such as an acceptance set (default: ${DEFAULT-VALUE})")
  String split;

  @Option(
      names = "--holdout-backbone",
      description =
          "also run the held-out-source diagnostic: a linear probe on this "
              + "pretrained backbone's features, trained on all sources but one and tested on that one (e.g. "
              + "../shared/pretrained/mobilenet_edgetpu_0.75_224)")
  Path holdoutBackbone;

  @Option(
      names = "--reencode-check",
      description =
          "also check that images of the other classes, resized and "
              + "re-encoded the way this class's images were, are not called this class (e.g. trash for TrashNet)")
  String reencodeLabel;

  @Option(names = "--report", description = "folder for the report (default: the model folder)")
  Path report;

  @Option(
      names = "--predictions",
      description =
          "also write every image's probabilities to this CSV file (image, source, truth, predicted, "
              + "one p_<label> column per class)")
  Path predictions;

  @Override
  public Integer call() throws Exception {
    ModelEvaluation.Part part =
        switch (split) {
          case "test" -> ModelEvaluation.Part.TEST;
          case "val" -> ModelEvaluation.Part.VAL;
          case "all" -> ModelEvaluation.Part.ALL;
          default ->
              throw new picocli.CommandLine.ParameterException(
                  new picocli.CommandLine(this),
                  "--split must be test, val or all, got '" + split + "'");
        };
    Path dataDir = data;
    if (dataDir == null) {
      String task = ModelPackage.read(model).spec().task();
      dataDir = Home.shared().resolve("datasets").resolve(task);
    }
    EvaluationSummary summary =
        ModelEvaluation.run(
            model,
            dataDir,
            extras,
            part,
            report != null ? report : model,
            holdoutBackbone,
            reencodeLabel,
            predictions,
            new ProgressBar(System.err));
    System.out.printf(
        Locale.ROOT,
        "%s %s on %s (%d images): accuracy %.4f, macro-F1 %.4f, ECE %.4f%n",
        summary.model(),
        summary.version(),
        summary.split(),
        summary.overall().count(),
        summary.overall().accuracy(),
        summary.overall().macroF1(),
        summary.overall().ece());
    return 0;
  }
}
