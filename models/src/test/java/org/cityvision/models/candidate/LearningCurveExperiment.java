package org.cityvision.models.candidate;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.management.OperatingSystemMXBean;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.cityvision.core.classify.Classifier;
import org.cityvision.core.classify.ClassifierOptions;
import org.cityvision.core.model.ModelPackage;
import org.cityvision.core.model.ReplaySet;
import org.cityvision.core.model.TorchRuntime;
import org.cityvision.core.testing.SharedData;
import org.cityvision.datasets.folder.ImageFolder;
import org.cityvision.datasets.folder.Sample;
import org.cityvision.datasets.split.DatasetSplit;
import org.cityvision.datasets.split.SplitSpec;
import org.cityvision.models.evaluation.Metrics;
import org.junit.jupiter.api.Test;

/**
 * The learning-loop experiment of {@code docs/LEARNING.md}: a model package trained with {@code
 * train --exclude-sources} plays the live model, the sources it never saw play a new site, and the
 * experiment measures how the model does there before the loop and after 25 to 400 verdicts (as
 * many as the site's verdict pool holds) in head mode and in fine-tune mode, with what each costs
 * on the package's original test split; then the time a head candidate takes with 2,000 verdicts.
 *
 * <p>Runs only when named ({@code -Dtest=LearningCurveExperiment}: its name is outside surefire's
 * default patterns) and asked ({@code -Dcityvision.learningCurve=DIR}, where results and work files
 * go, and {@code -Dcityvision.learningCurve.live=PACKAGE}), and skips without ../shared; {@code
 * -Dcityvision.learningCurve.parts} picks parts ({@code curve}, {@code fine-tune}, {@code timing};
 * all by default) and {@code -Dcityvision.learningCurve.fineTuneAt} the fine-tune points (default
 * 100):
 *
 * <pre>
 * mvn -B -o -q -pl models test -Dtest=LearningCurveExperiment -Dsurefire.failIfNoSpecifiedTests=false \
 *     -DfailIfNoTests=false -Dcityvision.learningCurve=$PWD/models/target/learning-curve \
 *     -Dcityvision.learningCurve.live=PACKAGE
 * </pre>
 *
 * The package's own replay set is the replay, and its recorded data, exclusions and split give the
 * site and the original test images, read from {@code ../shared/datasets}.
 */
class LearningCurveExperiment {
  private static final int[] VERDICTS = {25, 50, 100, 200, 400};
  private static final double SITE_TEST = 0.3;

  @Test
  void learningCurveOnANewSite() throws Exception {
    String outProperty = System.getProperty("cityvision.learningCurve");
    assumeTrue(
        outProperty != null, "skipped: an experiment; run with -Dcityvision.learningCurve=DIR");
    List<String> parts =
        List.of(
            System.getProperty("cityvision.learningCurve.parts", "curve,fine-tune,timing")
                .split(","));
    Path out = Path.of(outProperty);
    Files.createDirectories(out);
    // One torch thread while other work shares the cores (OpenMP threads degrade when
    // oversubscribed); the timed run uses two.
    TorchRuntime.start(1);
    // The live model: a package trained with --exclude-sources; the sources it never saw are the
    // new site, and its own replay set is the replay.
    String livePath = System.getProperty("cityvision.learningCurve.live");
    assumeTrue(
        livePath != null,
        "skipped: name a package trained with --exclude-sources: -Dcityvision.learningCurve.live=DIR");
    ModelPackage live = ModelPackage.read(Path.of(livePath));
    JsonNode training =
        new ObjectMapper()
            .readTree(Path.of(livePath).resolve(ModelPackage.SPEC_FILE).toFile())
            .path("training");
    JsonNode dataset = training.path("dataset");
    Set<String> excluded = new TreeSet<>();
    dataset.path("excludedSources").forEach(n -> excluded.add(n.asText()));
    // The scores on the excluded sources name them too.
    training
        .path("excludedSources")
        .fields()
        .forEachRemaining(
            e -> {
              if (e.getValue().has("images")) {
                excluded.add(e.getKey());
              }
            });
    assumeTrue(!excluded.isEmpty(), "skipped: " + livePath + " was trained without exclusions");
    List<Path> extras = new ArrayList<>();
    dataset.path("extras").forEach(n -> extras.add(sharedTwin(n.asText())));
    ImageFolder data = ImageFolder.read(sharedTwin(dataset.path("path").asText()), extras);
    List<Sample> site = data.samples().stream().filter(x -> excluded.contains(x.source())).toList();
    String siteName = "sources " + excluded + " (never trained on)";
    JsonNode split = training.path("split");
    DatasetSplit originalSplit =
        DatasetSplit.of(
            new ImageFolder(
                data.roots(),
                data.labels(),
                data.samples().stream().filter(x -> !excluded.contains(x.source())).toList()),
            new SplitSpec(
                split.path("val").asDouble(),
                split.path("test").asDouble(),
                split.path("seed").asLong()));
    ReplaySet replay = ReplaySet.of(live).orElseThrow();
    ReplayRows originalTest = ReplayRows.of(replay, ReplaySet.Split.TEST);

    // The new site: a fixed 30% (by id hash) to measure on; verdicts come from the rest in a fixed
    // random order.
    List<VerdictExample> siteTest = new ArrayList<>();
    List<VerdictExample> pool = new ArrayList<>();
    for (Sample s : site) {
      VerdictExample v = new VerdictExample(s.id(), s.label(), s::read);
      (VerdictSplit.unit("site-test:", s.id()) < SITE_TEST ? siteTest : pool).add(v);
    }
    Collections.shuffle(pool, new Random(7));

    if (parts.contains("curve")) {
      VerdictFeatures siteTestFeatures;
      VerdictFeatures poolFeatures;
      LinearHead liveHead;
      try (CandidateModel model = CandidateModel.open(live, live.spec().labels().size())) {
        siteTestFeatures =
            VerdictFeatures.compute(
                model,
                live.spec().input(),
                siteTest,
                live.spec().labels(),
                CandidateProgress.NONE,
                () -> false);
        poolFeatures =
            VerdictFeatures.compute(
                model,
                live.spec().input(),
                pool,
                live.spec().labels(),
                CandidateProgress.NONE,
                () -> false);
        liveHead =
            new LinearHead(
                model.liveClasses(),
                replay.featureSize(),
                model.liveWeight(),
                model.liveBias(),
                model.liveClasses());
      }
      ObjectNode results = JsonNodeFactory.instance.objectNode();
      results.put("live", live.spec().name() + " " + live.spec().version());
      results.put(
          "site",
          siteName
              + ": "
              + site.size()
              + " images, "
              + siteTest.size()
              + " held out to measure, "
              + pool.size()
              + " in the verdict pool");
      results.put("originalTestRows", originalTest.size());
      ArrayNode rows = results.putArray("rows");
      rows.add(
          row(
              "before",
              0,
              scores(liveHead, siteTestFeatures),
              scores(liveHead, originalTest),
              null));
      for (int n : VERDICTS) {
        if (n <= pool.size()) {
          CandidateResult r =
              candidate(live, pool.subList(0, n), CandidateMode.HEAD, out.resolve("head-" + n));
          LinearHead head = headOf(r.candidate());
          rows.add(row("head", n, scores(head, siteTestFeatures), scores(head, originalTest), r));
          Files.writeString(out.resolve("curve.json"), results.toPrettyString());
        }
      }
      // Reference: a head trained on every pool image (no holdout), at the share the largest run
      // chose.
      double share = rows.get(rows.size() - 1).get("verdictShare").asDouble();
      LinearHead all =
          new LinearHead(
              liveHead.classes(),
              replay.featureSize(),
              liveHead.weight(),
              liveHead.bias(),
              liveHead.classes());
      TrainingRows allRows =
          TrainingRows.of(
              ReplayRows.of(replay, ReplaySet.Split.TRAIN),
              poolFeatures,
              share,
              liveHead.classes());
      all.train(
          allRows.x(),
          allRows.y(),
          allRows.w(),
          CandidateTraining.HEAD_EPOCHS,
          CandidateTraining.HEAD_LEARNING_RATE,
          CandidateTraining.HEAD_L2,
          CandidateTraining.SEED,
          () -> false,
          CandidateProgress.NONE);
      rows.add(
          row(
              "head, all site data",
              pool.size(),
              scores(all, siteTestFeatures),
              scores(all, originalTest),
              null));
      Files.writeString(out.resolve("curve.json"), results.toPrettyString());
    }

    if (parts.contains("fine-tune")) {
      ObjectNode results = JsonNodeFactory.instance.objectNode();
      ArrayNode rows = results.putArray("rows");
      List<VerdictExample> testImages =
          originalSplit.test().stream()
              .map(s -> new VerdictExample(s.id(), s.label(), s::read))
              .toList();
      for (String n : System.getProperty("cityvision.learningCurve.fineTuneAt", "100").split(",")) {
        int verdicts = Integer.parseInt(n.trim());
        CandidateResult r =
            candidate(
                live,
                pool.subList(0, verdicts),
                CandidateMode.FINE_TUNE,
                out.resolve("fine-tune-" + verdicts));
        rows.add(
            row(
                "fine-tune",
                verdicts,
                served(r.candidate(), siteTest),
                served(r.candidate(), testImages),
                r));
        Files.writeString(out.resolve("fine-tune.json"), results.toPrettyString());
      }
    }

    if (parts.contains("timing")) {
      // A head candidate from 2,000 verdicts (the site's images and the package's training
      // images, true labels),
      // two torch threads.
      TorchRuntime.start(2);
      List<VerdictExample> many = new ArrayList<>(pool);
      many.addAll(siteTest);
      for (Sample s : originalSplit.train()) {
        if (many.size() == 2000) {
          break;
        }
        many.add(new VerdictExample("train/" + s.id(), s.label(), s::read));
      }
      OperatingSystemMXBean os =
          (OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
      double load = os.getSystemLoadAverage();
      long cpu0 = os.getProcessCpuTime();
      CandidateResult timed = candidate(live, many, CandidateMode.HEAD, out.resolve("timed-2000"));
      double cpuSeconds = (os.getProcessCpuTime() - cpu0) / 1e9;
      ObjectNode timing = JsonNodeFactory.instance.objectNode();
      timing.put("verdicts", many.size());
      timing.put("seconds", Math.round(timed.seconds() * 10) / 10.0);
      timing.put("loadAverageAtStart", load);
      timing.put("loadAverageAtEnd", os.getSystemLoadAverage());
      // CPU time of this process: what the run costs on an otherwise idle machine, give or take
      // thread overhead.
      timing.put("processCpuSeconds", Math.round(cpuSeconds * 10) / 10.0);
      timing.put("cores", Runtime.getRuntime().availableProcessors());
      timing.put("torchThreads", 2);
      Files.writeString(out.resolve("timing.json"), timing.toPrettyString());
      System.out.println(timing);
    }

    if (Files.isRegularFile(out.resolve("curve.json"))) {
      LearningCurveChart.draw(
          out.resolve("curve.json"),
          out.resolve("fine-tune.json"),
          out.resolve("learning-curve.png"));
    }
  }

  private static CandidateResult candidate(
      ModelPackage live, List<VerdictExample> verdicts, CandidateMode mode, Path dir)
      throws Exception {
    if (Files.exists(dir)) {
      try (Stream<Path> walk = Files.walk(dir)) {
        walk.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
      }
    }
    return CandidateTraining.run(
        new CandidateRequest(
            live, verdicts, mode, live.spec().version() + "-" + dir.getFileName(), dir),
        CandidateProgress.NONE,
        () -> false);
  }

  private static ObjectNode row(
      String mode, int verdicts, Metrics site, Metrics original, CandidateResult r) {
    ObjectNode node = JsonNodeFactory.instance.objectNode();
    node.put("mode", mode);
    node.put("verdicts", verdicts);
    node.put("siteAccuracy", round(site.accuracy()));
    node.put("siteMacroF1", round(site.macroF1()));
    node.put("siteImages", site.count());
    node.put("originalTestAccuracy", round(original.accuracy()));
    if (r != null) {
      node.put("seconds", Math.round(r.seconds() * 10) / 10.0);
      node.put("better", r.evaluation().better());
      node.put("holdout", r.evaluation().holdout().live().count());
      node.put("holdoutLive", round(r.evaluation().holdout().live().accuracy()));
      node.put("holdoutCandidate", round(r.evaluation().holdout().candidate().accuracy()));
      node.put("verdictShare", r.training().get("verdictWeight").get("share").asDouble());
    }
    System.out.println(node);
    return node;
  }

  private static double round(double v) {
    return Math.round(v * 10000) / 10000.0;
  }

  private static Metrics scores(LinearHead head, VerdictFeatures f) {
    return Metrics.of(labelsOf(head), f.y(), head.probabilities(f.x(), f.size()));
  }

  private static Metrics scores(LinearHead head, ReplayRows rows) {
    return Metrics.of(labelsOf(head), rows.y(), head.probabilities(rows.x(), rows.size()));
  }

  private static List<String> labelsOf(LinearHead head) {
    List<String> labels = new ArrayList<>();
    for (int k = 0; k < head.classes(); k++) {
      labels.add("c" + k);
    }
    return labels;
  }

  private static LinearHead headOf(ModelPackage pkg) throws Exception {
    int classes = pkg.spec().labels().size();
    try (CandidateModel model = CandidateModel.open(pkg, classes)) {
      return new LinearHead(
          classes,
          pkg.spec().backbone().featureSize(),
          model.liveWeight(),
          model.liveBias(),
          classes);
    }
  }

  /**
   * A fine-tuned candidate through the serving path (its backbone changed, so stored features do
   * not apply).
   */
  private static Metrics served(ModelPackage pkg, List<VerdictExample> images) throws Exception {
    List<String> labels = pkg.spec().labels();
    int[] truth = new int[images.size()];
    float[][] p = new float[images.size()][];
    try (Classifier classifier =
        Classifier.open(pkg, ClassifierOptions.defaults().withWarmup(false))) {
      for (int i = 0; i < images.size(); i++) {
        truth[i] = labels.indexOf(images.get(i).label());
        List<Double> probabilities =
            classifier.classify(images.get(i).image().read()).probabilities();
        p[i] = new float[probabilities.size()];
        for (int k = 0; k < p[i].length; k++) {
          p[i][k] = probabilities.get(k).floatValue();
        }
      }
    }
    return Metrics.of(labels, truth, p);
  }

  /**
   * The folder of {@code ../shared/datasets} a training run named as {@code recorded} (a path
   * relative to where it ran, or absolute on another machine): the same dataset name here.
   */
  private static Path sharedTwin(String recorded) {
    return SharedData.dataset(Path.of(recorded).getFileName().toString());
  }
}
