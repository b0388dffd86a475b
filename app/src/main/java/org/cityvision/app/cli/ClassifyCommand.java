package org.cityvision.app.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.cityvision.core.VisionException;
import org.cityvision.core.classify.Classification;
import org.cityvision.core.classify.Classifier;
import org.cityvision.core.classify.ClassifierOptions;
import org.cityvision.core.classify.LabelScore;
import org.cityvision.core.image.ImageLimits;
import org.cityvision.core.model.ModelPackage;
import org.cityvision.core.model.Thresholds;
import org.cityvision.serving.config.Home;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code cityvision classify}: classifies image files, one result line per file in argument order.
 * A file that cannot be read or is not a valid image gets an error line and a non-zero exit code;
 * the other files are still classified.
 */
@Command(
    name = "classify",
    mixinStandardHelpOptions = true,
    description = "Classify image files with a model package; one line (or JSON object) per file.")
public final class ClassifyCommand implements Callable<Integer> {
  private static final ObjectMapper JSON = new ObjectMapper();

  @Option(
      names = "--task",
      required = true,
      description = "waste or urban (selects the shipped model)")
  String task;

  @Option(names = "--model", description = "model package folder (default: models/<task>)")
  Path model;

  @Option(
      names = "--json",
      description =
          "print one JSON object per line: file, label, score, top, model, version,"
              + " and uncertain for models with an uncertainBelow threshold")
  boolean json;

  @Option(
      names = "--top",
      defaultValue = "3",
      description = "labels in 'top' (default: ${DEFAULT-VALUE})")
  int top;

  @Parameters(arity = "1..*", paramLabel = "FILE", description = "JPEG, PNG or WebP images")
  List<Path> files;

  @Override
  public Integer call() throws Exception {
    Path dir = model != null ? model : Home.shippedModel(task);
    ModelPackage pkg = ModelPackage.read(dir);
    if (!pkg.spec().task().equals(task)) {
      System.err.println(
          "model " + dir + " answers task '" + pkg.spec().task() + "', not '" + task + "'");
      return 2;
    }
    int workers = Math.max(1, Math.min(2, Runtime.getRuntime().availableProcessors()));
    ClassifierOptions options =
        ClassifierOptions.defaults()
            .withWorkers(workers)
            .withTorchThreads(1)
            .withWarmup(false)
            .withTopK(Math.max(1, top))
            .withQueueCapacity(256)
            .withLimits(ImageLimits.DEFAULT);
    PrintStream out = System.out;
    int failures = 0;
    ExecutorService readers = Executors.newFixedThreadPool(workers * 2);
    try (Classifier classifier = Classifier.open(pkg, options)) {
      List<Future<Classification>> results = new ArrayList<>();
      for (Path file : files) {
        results.add(readers.submit(() -> classifier.classify(Files.readAllBytes(file))));
      }
      for (int i = 0; i < files.size(); i++) {
        Path file = files.get(i);
        try {
          print(out, file, results.get(i).get(), pkg.spec().thresholds());
        } catch (ExecutionException e) {
          failures++;
          printError(out, file, e.getCause());
        }
      }
    } finally {
      readers.shutdownNow();
    }
    out.flush();
    return failures == 0 ? 0 : 1;
  }

  private void print(PrintStream out, Path file, Classification c, Thresholds thresholds)
      throws IOException {
    if (json) {
      ObjectNode node = JSON.createObjectNode();
      node.put("file", file.toString());
      node.put("label", c.label());
      node.put("score", round(c.score()));
      ArrayNode topNode = node.putArray("top");
      for (LabelScore s : c.top()) {
        topNode.addObject().put("label", s.label()).put("score", round(s.score()));
      }
      node.put("model", c.model());
      node.put("version", c.version());
      if (thresholds.uncertainBelow() > 0) {
        node.put("uncertain", thresholds.uncertain(c.score()));
      }
      out.println(JSON.writeValueAsString(node));
    } else {
      out.printf("%s\t%s\t%.4f%n", file, c.label(), c.score());
    }
  }

  private void printError(PrintStream out, Path file, Throwable cause) throws IOException {
    String message =
        cause instanceof NoSuchFileException
            ? "no such file"
            : cause instanceof VisionException || cause instanceof IOException
                ? cause.getMessage()
                : cause.toString();
    System.err.println("cityvision classify: " + file + ": " + message);
    if (json) {
      ObjectNode node = JSON.createObjectNode();
      node.put("file", file.toString());
      node.putObject("error").put("type", cause.getClass().getSimpleName()).put("message", message);
      out.println(JSON.writeValueAsString(node));
    }
  }

  private static double round(double v) {
    return Math.round(v * 1e6) / 1e6;
  }
}
