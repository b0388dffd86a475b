package org.cityvision.app.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.cityvision.core.classify.GoldenReferences;
import org.cityvision.core.model.ModelPackage;
import org.cityvision.core.testing.TestModels;
import org.cityvision.serving.config.Home;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The launcher's choice of libtorch kernels: {@code cityvision kernels} checks the native kernels
 * against golden references computed under AVX2 in this JVM, and any other command caches a verdict
 * per CPU model once and reuses it. Which verdict is right depends on the CPU (native on some Intel
 * Xeons, AVX2 on some AMD EPYCs), so the tests check that the verdict is consistent with what the
 * check found, not a fixed answer.
 */
class LauncherKernelsIT {
  private static final ObjectMapper JSON = new ObjectMapper();

  @TempDir Path dir;
  private Path launcher;

  @BeforeEach
  void needsThePackagedLauncher() {
    Path home = Home.root();
    launcher = home.resolve("cityvision");
    assumeTrue(
        Files.isExecutable(launcher)
            && Files.isRegularFile(home.resolve("app/target/cityvision.jar")),
        "skipped: no launcher or no packaged jar under " + home);
  }

  private ProcessBuilder launch(List<String> args) {
    ProcessBuilder builder =
        new ProcessBuilder(args)
            .redirectError(dir.resolve("stderr.txt").toFile())
            .redirectOutput(dir.resolve("stdout.txt").toFile());
    builder.environment().put("CITYVISION_SKIP_BUILD", "true");
    builder.environment().put("CITYVISION_CACHE_DIR", dir.resolve("cache").toString());
    builder.environment().remove("ONEDNN_MAX_CPU_ISA");
    return builder;
  }

  private int run(ProcessBuilder builder) throws Exception {
    Process process = builder.start();
    try {
      assertTrue(
          process.waitFor(240, TimeUnit.SECONDS), "the launcher did not finish within 240 s");
      return process.exitValue();
    } finally {
      process.destroyForcibly();
    }
  }

  @Test
  void kernelCheckReportsWhatTheNativeKernelsComputeForTheReferences() throws Exception {
    ModelPackage pkg =
        TestModels.untrainedPackage(dir.resolve("pkg"), "waste", TestModels.WASTE_LABELS, 160);
    GoldenReferences.create(pkg); // computed here, under the AVX2 kernels the build runs with

    int exit =
        run(launch(List.of(launcher.toString(), "kernels", "--model", pkg.dir().toString())));

    String stdout = Files.readString(dir.resolve("stdout.txt"));
    assertTrue(
        exit == 0 || exit == KernelsCommand.DISAGREE,
        "exit " + exit + "; stderr: " + Files.readString(dir.resolve("stderr.txt")));
    JsonNode result = JSON.readTree(stdout);
    assertEquals(
        "native", result.get("kernels").asText(), "the check runs with oneDNN unrestricted");
    assertEquals(exit == 0, result.get("agree").asBoolean(), stdout);
    assertEquals(2, result.get("trials").size(), stdout);
    for (JsonNode trial : result.get("trials")) {
      if (!trial.get("agree").asBoolean()) {
        String detail = trial.get("detail").asText();
        assertTrue(
            detail.contains("differently from when it was built")
                || detail.contains("differing by"),
            "a failed trial names a numerical disagreement, not another failure: " + detail);
      }
    }
  }

  @Test
  void launcherCachesOneVerdictPerCpuAndReusesIt() throws Exception {
    ProcessBuilder version = launch(List.of(launcher.toString(), "--version"));
    assertEquals(0, run(version), Files.readString(dir.resolve("stderr.txt")));
    assertTrue(
        Files.readString(dir.resolve("stderr.txt"))
            .contains("checking this CPU's libtorch kernels"),
        Files.readString(dir.resolve("stderr.txt")));
    List<Path> cached;
    try (var files = Files.list(dir.resolve("cache"))) {
      cached = files.filter(f -> f.getFileName().toString().startsWith("kernels-")).toList();
    }
    assertEquals(1, cached.size(), "one verdict for this CPU: " + cached);
    assertTrue(
        Set.of("native", "AVX2 disagree", "AVX2 unchecked")
            .contains(Files.readString(cached.get(0)).strip()),
        Files.readString(cached.get(0)));

    assertEquals(0, run(launch(List.of(launcher.toString(), "--version"))));
    assertFalse(
        Files.readString(dir.resolve("stderr.txt"))
            .contains("checking this CPU's libtorch kernels"),
        "the second start reuses the cached verdict");
  }

  @Test
  void trainingStaysOnTheAvx2KernelsTheCheckCovers() throws Exception {
    // Two torch threads are refused unless oneDNN is capped; the launcher caps it for `train`
    // without running the forward-only check, so the run gets as far as its (missing) data.
    Path missing = dir.resolve("no-such-dataset");
    int exit =
        run(
            launch(
                List.of(
                    launcher.toString(),
                    "train",
                    "--task",
                    "waste",
                    "--threads",
                    "2",
                    "--epochs",
                    "0",
                    "--data",
                    missing.toString(),
                    "--out",
                    dir.resolve("out").toString())));
    String stderr = Files.readString(dir.resolve("stderr.txt"));
    assertTrue(exit != 0, "a missing dataset fails the run");
    assertFalse(stderr.contains("needs ONEDNN_MAX_CPU_ISA"), stderr);
    assertTrue(stderr.contains(missing.getFileName().toString()), stderr);
    assertFalse(stderr.contains("checking this CPU's libtorch kernels"), stderr);
  }
}
