package org.cityvision.app.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.Callable;
import org.cityvision.core.classify.KernelCheck;
import org.cityvision.core.model.ModelPackage;
import org.cityvision.core.model.Task;
import org.cityvision.serving.config.Home;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code cityvision kernels}: checks this CPU's libtorch kernels against the models' golden
 * references. Exit 0 when they agree, 3 when they do not, 1 when no model ships references. The
 * launcher runs it once per CPU model with oneDNN unrestricted to choose the kernels.
 */
@Command(
    name = "kernels",
    mixinStandardHelpOptions = true,
    description =
        "Check this CPU's libtorch kernels against the models' golden references "
            + "(exit 0: agree, 3: disagree, 1: nothing to check).")
public final class KernelsCommand implements Callable<Integer> {
  static final int DISAGREE = 3;

  @Option(
      names = "--model",
      description = "model package folder (repeatable; default: the shipped models)")
  List<Path> models = new ArrayList<>();

  @Override
  public Integer call() throws Exception {
    List<ModelPackage> packages = new ArrayList<>();
    List<Path> dirs =
        models.isEmpty()
            ? Arrays.stream(Task.values()).map(t -> Home.shippedModel(t.id())).toList()
            : models;
    for (Path dir : dirs) {
      packages.add(ModelPackage.read(dir));
    }
    KernelCheck.Result result = KernelCheck.run(packages);
    System.out.println(new ObjectMapper().writeValueAsString(result));
    if (!result.checked()) {
      System.err.println(
          "cityvision kernels: no model package ships golden references (golden.json): nothing to check");
      return 1;
    }
    return result.agree() ? 0 : DISAGREE;
  }
}
