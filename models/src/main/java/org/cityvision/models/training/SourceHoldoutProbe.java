package org.cityvision.models.training;

import ai.djl.Model;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;
import org.cityvision.core.image.ImageDecoder;
import org.cityvision.core.image.ImageLimits;
import org.cityvision.core.image.InputSpec;
import org.cityvision.core.image.Preprocessor;
import org.cityvision.core.model.ModelException;
import org.cityvision.core.model.ModelPackage;
import org.cityvision.core.model.TorchRuntime;
import org.cityvision.datasets.augment.AugmentSpec;
import org.cityvision.datasets.augment.Augmenter;
import org.cityvision.datasets.folder.ImageFolder;
import org.cityvision.datasets.folder.Sample;
import org.cityvision.models.ModelRunException;
import org.cityvision.models.evaluation.EvaluationSummary;
import org.cityvision.models.evaluation.Metrics;

/**
 * A shortcut diagnostic: does a classifier on these features recognise the classes in pictures from
 * a source it never saw? For each source, a linear probe (the phase-1 head, on the pretrained
 * backbone's features of the serving view) is trained on every other source and tested on that
 * source's images of classes that other sources also provide. A large drop from the in-distribution
 * figure means the classes are told apart by what each source looks like.
 *
 * <p>Uses the pretrained backbone, not a fine-tuned one: a fine-tuned backbone has seen every
 * source. Not thread-safe; blocking.
 */
public final class SourceHoldoutProbe {
  private static final int BATCH = FineTuning.MAX_FORWARD_BATCH;

  private SourceHoldoutProbe() {}

  public static ObjectNode run(
      Path backbone, ImageFolder data, long seed, TrainingProgress progress)
      throws ModelRunException {
    TorchRuntime.start(1);
    List<Sample> samples = data.samples();
    List<String> labels = data.labels();
    int n = samples.size();
    float[] x = new float[n * 1280];
    int[] y = new int[n];
    try (Model model = ModelPackage.fromPretrained(backbone, "probe", labels.size())) {
      FineTuning tuning = new FineTuning(model, labels.size());
      List<ViewLoader.Job> jobs = new ArrayList<>();
      for (Sample s : samples) {
        jobs.add(new ViewLoader.Job(s, labels.indexOf(s.label()), true, 0));
      }
      progress.stage("held-out-source probe: features", n);
      int done = 0;
      try (ViewLoader loader =
          new ViewLoader(
              jobs,
              BATCH,
              new ImageDecoder(ImageLimits.DEFAULT),
              new Preprocessor(InputSpec.mobileNet(224)),
              new Augmenter(AugmentSpec.NONE, 224, 224),
              seed)) {
        for (ViewLoader.Batch b; (b = loader.next()) != null; ) {
          float[] f = tuning.features(b.data(), b.size(), 224, 224);
          System.arraycopy(f, 0, x, done * 1280, b.size() * 1280);
          System.arraycopy(b.labels(), 0, y, done, b.size());
          done += b.size();
          progress.advance(done, "");
        }
      }
    } catch (ModelException e) {
      throw new ModelRunException(e.getMessage(), e);
    }
    ObjectNode out = JsonNodeFactory.instance.objectNode();
    out.put(
        "what",
        "linear probe on pretrained "
            + backbone.getFileName()
            + " features, trained on all other sources,"
            + " tested on the held-out source's images of classes the other sources also have");
    Set<String> sources = new TreeSet<>();
    samples.forEach(s -> sources.add(s.source()));
    // Reference: the same probe on a random 80/20 split of all sources.
    List<Integer> train = new ArrayList<>();
    List<Integer> test = new ArrayList<>();
    Random random = new Random(seed);
    for (int i = 0; i < n; i++) {
      (random.nextDouble() < 0.2 ? test : train).add(i);
    }
    Metrics reference = probe(x, y, labels, train, test, seed);
    out.put("inDistributionAccuracy", EvaluationSummary.round(reference.accuracy()));
    out.put("inDistributionMacroF1", EvaluationSummary.round(reference.macroF1()));
    ObjectNode per = out.putObject("heldOut");
    for (String source : sources) {
      Set<Integer> elsewhere = new TreeSet<>();
      List<Integer> tr = new ArrayList<>();
      for (int i = 0; i < n; i++) {
        if (!samples.get(i).source().equals(source)) {
          tr.add(i);
          elsewhere.add(y[i]);
        }
      }
      List<Integer> te = new ArrayList<>();
      Set<String> skipped = new TreeSet<>();
      for (int i = 0; i < n; i++) {
        if (samples.get(i).source().equals(source)) {
          if (elsewhere.contains(y[i])) {
            te.add(i);
          } else {
            skipped.add(labels.get(y[i]));
          }
        }
      }
      ObjectNode node = per.putObject(source);
      if (!skipped.isEmpty()) {
        node.put("untestable", "only this source has " + skipped);
      }
      if (te.isEmpty()) {
        continue;
      }
      Metrics m = probe(x, y, labels, tr, te, seed);
      node.put("images", te.size());
      node.put("accuracy", EvaluationSummary.round(m.accuracy()));
      ObjectNode recall = node.putObject("recall");
      m.perClass().stream()
          .filter(c -> c.support() > 0)
          .forEach(c -> recall.put(c.label(), EvaluationSummary.round(c.recall())));
      progress.note(
          String.format(
              Locale.ROOT,
              "held out %s: %d images, accuracy %.3f",
              source,
              te.size(),
              m.accuracy()));
    }
    return out;
  }

  private static Metrics probe(
      float[] x, int[] y, List<String> labels, List<Integer> train, List<Integer> test, long seed) {
    float[] tx = gather(x, train);
    int[] ty = train.stream().mapToInt(i -> y[i]).toArray();
    float[] ex = gather(x, test);
    int[] ey = test.stream().mapToInt(i -> y[i]).toArray();
    int[] counts = new int[labels.size()];
    for (int v : ty) {
      counts[v]++;
    }
    double[] w = new double[labels.size()];
    for (int k = 0; k < w.length; k++) {
      w[k] = counts[k] == 0 ? 0 : (double) ty.length / (labels.size() * counts[k]);
    }
    SoftmaxHead head = new SoftmaxHead(labels.size(), 1280, seed);
    // Fixed epochs, no early stopping: there is no validation data from the held-out source by
    // design.
    head.train(
        tx,
        ty,
        w,
        tx,
        ty,
        labels,
        30,
        1e-3,
        1e-4,
        0,
        Integer.MAX_VALUE,
        seed,
        TrainingProgress.NONE);
    return head.evaluate(ex, ey, labels);
  }

  private static float[] gather(float[] x, List<Integer> rows) {
    float[] out = new float[rows.size() * 1280];
    for (int r = 0; r < rows.size(); r++) {
      System.arraycopy(x, rows.get(r) * 1280, out, r * 1280, 1280);
    }
    return out;
  }
}
