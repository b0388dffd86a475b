package org.cityvision.serving.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.Callable;
import org.cityvision.core.model.ModelPackage;
import org.cityvision.core.model.ModelSpec;
import org.cityvision.serving.bench.CoreBenchmark;
import org.cityvision.serving.bench.HttpBenchmark;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code cityvision bench core}: runs a benchmark and prints its tables (markdown). */
@Command(name = "bench", mixinStandardHelpOptions = true,
    description = "Run a benchmark and print its table: core (decode → classify pipeline), http (the server).")
public final class BenchCommand implements Callable<Integer> {
  @Parameters(index = "0", defaultValue = "core", description = "which benchmark: core or http")
  String which;

  @Option(names = "--model", description = "model package (default: models/waste, else an untrained head on the "
      + "../shared EdgeTPU backbone: speed does not depend on trained weights)")
  Path model;

  @Option(names = "--seconds", defaultValue = "5", description = "seconds per measurement (default: ${DEFAULT-VALUE})")
  double seconds;

  @Option(names = "--client", defaultValue = "process", description = "http: where the load generator runs: process "
      + "(a JVM of its own, as cameras and sorting machines are; default) or jvm (the node's JVM)")
  String client;

  @Option(names = "--out", description = "also append the report to this markdown file")
  Path out;

  @Override
  public Integer call() throws Exception {
    if (!which.equals("core") && !which.equals("http")) {
      System.err.println("unknown benchmark '" + which + "'; available: core, http");
      return 2;
    }
    if (!client.equals("process") && !client.equals("jvm")) {
      System.err.println("unknown --client '" + client + "'; use process or jvm");
      return 2;
    }
    ModelPackage pkg = resolveModel();
    Path waste = Home.shared().resolve("datasets/waste");
    String report = which.equals("http")
        ? new HttpBenchmark(pkg.dir(), HttpBenchmark.urbanModel(Home.shippedModel("urban"),
            Home.shared().resolve("pretrained/mobilenet_edgetpu_0.75_224"), pkg.spec().input().width()), waste, seconds,
            client.equals("process"), System.err).run()
        : new CoreBenchmark(pkg, waste, seconds, System.err).run();
    System.out.println(report);
    if (out != null) {
      Files.writeString(out, report + "\n", StandardOpenOption.CREATE, StandardOpenOption.APPEND);
    }
    return 0;
  }

  private ModelPackage resolveModel() throws Exception {
    Path dir = model != null ? model : Home.shippedModel("waste");
    if (Files.isRegularFile(dir.resolve(ModelPackage.SPEC_FILE))) {
      return ModelPackage.read(dir);
    }
    Path backbone = Home.shared().resolve("pretrained/mobilenet_edgetpu_0.75_224");
    Path tmp = Files.createTempDirectory("cityvision-bench-model");
    ModelSpec spec = new ModelSpec("bench", "untrained", "waste",
        java.util.List.of("cardboard", "glass", "metal", "paper", "plastic", "trash"),
        org.cityvision.core.image.InputSpec.mobileNet(224),
        new org.cityvision.core.model.BackboneSpec("mobilenet_edgetpu_0.75_224", 1280, 1.246), "model", null, null, null);
    try (ai.djl.Model m = ModelPackage.fromPretrained(backbone, "bench", 6)) {
      return ModelPackage.save(tmp, spec, m);
    }
  }
}
