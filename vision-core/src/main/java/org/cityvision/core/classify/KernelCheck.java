package org.cityvision.core.classify;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.cityvision.core.image.ImageLimits;
import org.cityvision.core.model.ModelException;
import org.cityvision.core.model.ModelPackage;

/**
 * Checks this process's libtorch CPU kernels against model packages' {@link GoldenReferences}, in
 * the configurations where kernel faults were seen: one torch thread with batches up to 16, and two
 * threads with batches up to 8. Each configuration opens a {@link Classifier}, whose warm-up
 * compares every reference image with the stored answer and every batch size with single images.
 *
 * <p>The launcher runs it once per CPU model with oneDNN unrestricted and caches the verdict:
 * native kernels where they agree (on some Intel Xeons 1.1-1.3x faster), oneDNN capped at AVX2
 * where they do not (some AMD EPYCs compute wrong convolutions with AVX-512).
 *
 * <p>Stateless and thread-safe; it changes libtorch's global thread count while it runs.
 */
public final class KernelCheck {
  private KernelCheck() {}

  /** One configuration that was checked. */
  public record Trial(String model, int torchThreads, int maxBatch, boolean agree, String detail) {}

  /**
   * The verdict.
   *
   * @param kernels the kernels this process runs: {@code native} or the value of {@code
   *     ONEDNN_MAX_CPU_ISA}
   * @param agree every trial agreed with the references (false also when nothing could be checked)
   * @param trials what was checked
   */
  public record Result(String kernels, boolean agree, List<Trial> trials) {
    public Result {
      trials = List.copyOf(trials);
    }

    /** Whether any package shipped references to check against. */
    public boolean checked() {
      return !trials.isEmpty();
    }
  }

  /**
   * The kernels this process runs: {@code native}, or the ISA cap from {@code ONEDNN_MAX_CPU_ISA}.
   */
  public static String kernels() {
    String isa = System.getenv("ONEDNN_MAX_CPU_ISA");
    return isa == null || isa.isBlank() ? "native" : isa;
  }

  /**
   * Runs the trials on every package that ships golden references; packages without them are
   * skipped.
   */
  public static Result run(List<ModelPackage> packages) throws ModelException {
    List<Trial> trials = new ArrayList<>();
    boolean agree = true;
    int[][] configurations = {{1, 16}, {2, 8}};
    for (ModelPackage pkg : packages) {
      if (GoldenReferences.read(pkg).isEmpty()) {
        continue;
      }
      for (int[] c : configurations) {
        ClassifierOptions options =
            new ClassifierOptions(1, c[0], c[1], Duration.ZERO, 4, 1, true, ImageLimits.DEFAULT);
        String detail = "agrees";
        boolean ok = true;
        try (Classifier classifier = Classifier.open(pkg, options)) {
          detail = "agrees (" + classifier.spec().version() + ")";
        } catch (ModelException e) {
          ok = false;
          detail = e.getMessage();
        }
        trials.add(new Trial(pkg.spec().name(), c[0], c[1], ok, detail));
        agree &= ok;
      }
    }
    return new Result(kernels(), agree && !trials.isEmpty(), trials);
  }
}
