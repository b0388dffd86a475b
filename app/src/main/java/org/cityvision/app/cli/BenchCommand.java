package org.cityvision.app.cli;

import ai.djl.Model;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import org.cityvision.app.bench.CameraBenchmark;
import org.cityvision.app.bench.CoreBenchmark;
import org.cityvision.app.bench.HttpBenchmark;
import org.cityvision.app.bench.ReviewBenchmark;
import org.cityvision.core.image.InputSpec;
import org.cityvision.core.model.BackboneSpec;
import org.cityvision.core.model.ModelPackage;
import org.cityvision.core.model.ModelSpec;
import org.cityvision.core.model.Task;
import org.cityvision.serving.config.Home;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code cityvision bench core}: runs a benchmark and prints its tables (markdown). */
@Command(
    name = "bench",
    mixinStandardHelpOptions = true,
    description =
        "Run a benchmark and print its table: core (decode → classify pipeline), http (the server), "
            + "review (the review queue at city scale), cameras (N simulated cameras posting to a node).")
public final class BenchCommand implements Callable<Integer> {
  @Parameters(
      index = "0",
      defaultValue = "core",
      description = "which benchmark: core, http, review or cameras")
  String which;

  @Option(
      names = "--cameras",
      defaultValue = "100",
      description = "cameras: how many cameras post (default: " + "${DEFAULT-VALUE})")
  int cameras;

  @Option(
      names = "--interval",
      defaultValue = "10",
      description = "cameras: seconds between one camera's frames " + "(default: ${DEFAULT-VALUE})")
  double interval;

  @Option(
      names = "--static-share",
      defaultValue = "0.8",
      description =
          "cameras: share of healthy cameras watching "
              + "a static scene, 0..1 (default: ${DEFAULT-VALUE})")
  double staticShare;

  @Option(
      names = "--warm-up",
      description =
          "cameras: first send every camera's first frame (closed loop, retrying refusals), so that"
              + " the measurement starts from a node that knows its cameras, as one that has been running does")
  boolean warmUp;

  @Option(
      names = "--model",
      description =
          "model package, relative to the working directory (default: models/waste,"
              + " else an untrained head on the ../shared EdgeTPU backbone: speed does not depend on trained weights); for"
              + " http, a waste package serves the sorting path and an urban package the camera path")
  Path model;

  @Option(
      names = "--seconds",
      defaultValue = "5",
      description =
          "seconds per measurement; for cameras, how long "
              + "they post (default: ${DEFAULT-VALUE})")
  double seconds;

  @Option(
      names = "--client",
      defaultValue = "process",
      description =
          "http: where the load generator runs: process "
              + "(a JVM of its own, as cameras and sorting machines are; default) or jvm (the node's JVM)")
  String client;

  @Option(
      names = "--shadow-rate",
      description =
          "http: instead of the full run, measure the sorting path with no "
              + "shadow and with a candidate in the shadow of the waste model at this rate (0..1, e.g. 0.1), alternated")
  Double shadowRate;

  @Option(
      names = "--flags",
      defaultValue = "100000",
      description = "review: open flags in the store (default: " + "${DEFAULT-VALUE})")
  int flags;

  @Option(
      names = "--rounds",
      defaultValue = "20",
      description = "review: requests per measurement (default: " + "${DEFAULT-VALUE})")
  int rounds;

  @Option(
      names = "--data",
      defaultValue = "data/bench-review",
      description =
          "review: where the store fixture is "
              + "written once and reused (default: ${DEFAULT-VALUE})")
  Path data;

  @Option(names = "--out", description = "also append the report to this markdown file")
  Path out;

  @Override
  public Integer call() throws Exception {
    if (!Set.of("core", "http", "review", "cameras").contains(which)) {
      System.err.println(
          "unknown benchmark '" + which + "'; available: core, http, review, cameras");
      return 2;
    }
    if (!client.equals("process") && !client.equals("jvm")) {
      System.err.println("unknown --client '" + client + "'; use process or jvm");
      return 2;
    }
    if (shadowRate != null && (!which.equals("http") || !(shadowRate > 0 && shadowRate <= 1))) {
      System.err.println(
          "--shadow-rate applies to bench http and must be greater than 0 and at most 1, got "
              + shadowRate);
      return 2;
    }
    Path waste = Home.shared().resolve("datasets/waste");
    String report;
    if (which.equals("review")) {
      report = new ReviewBenchmark(data, flags, rounds, System.err).run();
    } else if (which.equals("cameras")) {
      CameraBenchmark.Settings settings;
      try {
        settings = new CameraBenchmark.Settings(cameras, interval, staticShare, seconds, warmUp);
      } catch (IllegalArgumentException e) {
        System.err.println(e.getMessage());
        return 2;
      }
      HttpModels models = httpModels(model);
      report =
          new CameraBenchmark(models.waste(), models.urban(), settings, System.err)
              .run()
              .markdown();
    } else if (which.equals("http")) {
      HttpModels models = httpModels(model);
      HttpBenchmark bench =
          new HttpBenchmark(
              models.waste(), models.urban(), waste, seconds, client.equals("process"), System.err);
      report = shadowRate == null ? bench.run() : bench.runShadow(shadowRate);
    } else {
      report = new CoreBenchmark(resolveModel(model), waste, seconds, System.err).run();
    }
    System.out.println(report);
    if (out != null) {
      Files.writeString(out, report + "\n", StandardOpenOption.CREATE, StandardOpenOption.APPEND);
    }
    return 0;
  }

  /**
   * The packages {@code bench http} serves, as absolute folders: the node resolves relative ones
   * against its home.
   */
  record HttpModels(Path waste, Path urban) {}

  /**
   * {@code --model} serves the task its package answers (waste: the sorting path; urban: the camera
   * path); the other task gets the shipped package (or an untrained head on the backbone).
   */
  static HttpModels httpModels(Path model) throws Exception {
    Path backbone = Home.shared().resolve("pretrained/mobilenet_edgetpu_0.75_224");
    ModelPackage given =
        model == null ? null : ModelPackage.read(model.toAbsolutePath().normalize());
    if (given != null && given.spec().task().equals(Task.URBAN.id())) {
      return new HttpModels(resolveModel(null).dir(), given.dir());
    }
    if (given != null && !given.spec().task().equals(Task.WASTE.id())) {
      throw new IllegalArgumentException(
          "--model "
              + model
              + " answers task '"
              + given.spec().task()
              + "'; bench http serves waste and urban packages");
    }
    ModelPackage sorting = given != null ? given : resolveModel(null);
    return new HttpModels(
        sorting.dir(),
        HttpBenchmark.urbanModel(
                Home.shippedModel(Task.URBAN.id()), backbone, sorting.spec().input().width())
            .toAbsolutePath()
            .normalize());
  }

  /**
   * The given package (relative to the working directory), else models/waste, else an untrained
   * head.
   */
  private static ModelPackage resolveModel(Path model) throws Exception {
    if (model != null) {
      return ModelPackage.read(model.toAbsolutePath().normalize());
    }
    Path dir = Home.shippedModel(Task.WASTE.id());
    if (Files.isRegularFile(dir.resolve(ModelPackage.SPEC_FILE))) {
      return ModelPackage.read(dir);
    }
    Path backbone = Home.shared().resolve("pretrained/mobilenet_edgetpu_0.75_224");
    Path tmp = Files.createTempDirectory("cityvision-bench-model");
    ModelSpec spec =
        new ModelSpec(
            "bench",
            "untrained",
            "waste",
            List.of("cardboard", "glass", "metal", "paper", "plastic", "trash"),
            InputSpec.mobileNet(224),
            new BackboneSpec("mobilenet_edgetpu_0.75_224", 1280, 1.246),
            "model",
            null,
            null,
            null);
    try (Model m = ModelPackage.fromPretrained(backbone, "bench", 6)) {
      return ModelPackage.save(tmp, spec, m);
    }
  }
}
