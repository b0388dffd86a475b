package org.cityvision.core.classify;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.regex.Pattern;
import org.cityvision.core.VisionException;
import org.cityvision.core.image.DecodedImage;
import org.cityvision.core.image.ImageDecoder;
import org.cityvision.core.image.ImageLimits;
import org.cityvision.core.image.InputSpec;
import org.cityvision.core.image.Preprocessor;
import org.cityvision.core.image.SyntheticScene;
import org.cityvision.core.model.ModelException;
import org.cityvision.core.model.ModelPackage;
import org.opencv.core.Mat;
import org.opencv.imgcodecs.Imgcodecs;

/**
 * Reference answers shipped with a model package ({@value #FILE} and its {@code golden-N.png}
 * images): the probabilities the model gave a few fixed images when the package was built, with one
 * worker, one torch thread and one image per pass. Every {@link Classifier} opened from the package
 * checks them at warm-up, on each worker, and refuses to start when its kernels disagree.
 *
 * <p>Why a stored reference and not only a batch-against-single check: some libtorch CPU kernels
 * (oneDNN's AVX-512 convolutions on some CPUs) are wrong for single images too once several threads
 * run, so a node can agree with itself and still be wrong. Numbers computed elsewhere, on kernels
 * known to be right, cannot be fooled that way.
 *
 * <p>The images are synthetic scenes (no dataset image is redistributed), chosen so that no
 * reference is near-certain: a saturated probability hides a wrong logit.
 *
 * @param tolerance the largest difference in any probability that still counts as agreement
 * @param references the images and their expected probabilities, in the model's label order
 */
public record GoldenReferences(double tolerance, List<Reference> references) {
  /** The file name inside a model package. */
  public static final String FILE = "golden.json";

  /**
   * Float reordering across thread counts and kernel families moves probabilities by ~1e-6; a
   * miscomputing kernel moves logits by ~1, which moves unsaturated probabilities by far more.
   */
  public static final double DEFAULT_TOLERANCE = 2e-3;

  /** How many references a package gets. */
  public static final int COUNT = 4;

  private static final Pattern IMAGE = Pattern.compile("golden-[0-9]{1,3}\\.png");
  private static final double MAX_REFERENCE_CONFIDENCE = 0.98;
  private static final int SEEDS_TRIED = 64;
  private static final ObjectMapper JSON =
      new ObjectMapper()
          .enable(SerializationFeature.INDENT_OUTPUT)
          .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

  /**
   * One reference image and what the model answered for it.
   *
   * @param image file name in the package ({@code golden-N.png})
   * @param probabilities every label's probability, in the model's label order
   */
  public record Reference(String image, List<Double> probabilities) {
    public Reference {
      if (image == null || !IMAGE.matcher(image).matches()) {
        throw new IllegalArgumentException(
            "reference image must be named like golden-0.png, got '" + image + "'");
      }
      if (probabilities == null || probabilities.size() < 2) {
        throw new IllegalArgumentException(
            "a reference needs a probability per label, got " + probabilities);
      }
      probabilities = List.copyOf(probabilities);
    }
  }

  public GoldenReferences {
    if (!(tolerance > 0 && tolerance < 0.5)) {
      throw new IllegalArgumentException("tolerance must be in (0, 0.5), got " + tolerance);
    }
    if (references == null || references.isEmpty()) {
      throw new IllegalArgumentException("at least one reference is required");
    }
    references = List.copyOf(references);
  }

  /**
   * Computes references for a finished package (weights and {@code model.json} final) and writes
   * {@value #FILE} and the images into its folder. Runs one worker with one torch thread and batch
   * 1: the configuration least exposed to kernel faults.
   *
   * @throws VisionException the model does not load or classify
   */
  public static GoldenReferences create(ModelPackage pkg) throws VisionException {
    InputSpec input = pkg.spec().input();
    ClassifierOptions options =
        new ClassifierOptions(
            1, 1, 1, Duration.ZERO, 4, pkg.spec().labels().size(), false, ImageLimits.DEFAULT);
    List<Reference> references = new ArrayList<>();
    try (Classifier classifier = Classifier.open(pkg, options)) {
      for (int seed = 1; seed <= SEEDS_TRIED && references.size() < COUNT; seed++) {
        byte[] png = renderPng(input.width(), input.height(), seed);
        Classification c = classifier.classify(png);
        if (c.score() > MAX_REFERENCE_CONFIDENCE
            && seed <= SEEDS_TRIED - COUNT + references.size()) {
          continue;
        }
        String name = "golden-" + references.size() + ".png";
        Files.write(pkg.dir().resolve(name), png);
        references.add(new Reference(name, c.probabilities()));
      }
    } catch (IOException e) {
      throw new ModelException(
          "cannot write golden references into " + pkg.dir() + ": " + e.getMessage(), e);
    }
    GoldenReferences golden = new GoldenReferences(DEFAULT_TOLERANCE, references);
    try {
      JSON.writeValue(pkg.dir().resolve(FILE).toFile(), golden);
    } catch (IOException e) {
      throw new ModelException(
          "cannot write " + FILE + " into " + pkg.dir() + ": " + e.getMessage(), e);
    }
    return golden;
  }

  /**
   * The package's references, if it ships them.
   *
   * @throws ModelException the file is malformed, names a missing image, or its probabilities do
   *     not match the model's labels
   */
  public static Optional<GoldenReferences> read(ModelPackage pkg) throws ModelException {
    Path file = pkg.dir().resolve(FILE);
    if (!Files.isRegularFile(file)) {
      return Optional.empty();
    }
    GoldenReferences golden;
    try {
      golden = JSON.readValue(file.toFile(), GoldenReferences.class);
    } catch (IOException | IllegalArgumentException e) {
      throw new ModelException(file + " is not valid golden references: " + e.getMessage(), e);
    }
    for (Reference r : golden.references()) {
      if (r.probabilities().size() != pkg.spec().labels().size()) {
        throw new ModelException(
            file
                + ": "
                + r.image()
                + " has "
                + r.probabilities().size()
                + " probabilities; model "
                + pkg.spec().name()
                + " has "
                + pkg.spec().labels().size()
                + " labels");
      }
      if (!Files.isRegularFile(pkg.dir().resolve(r.image()))) {
        throw new ModelException(file + " names " + r.image() + ", which is not in " + pkg.dir());
      }
    }
    return Optional.of(golden);
  }

  /** The reference images as model-input tensors, decoded and preprocessed as requests are. */
  List<float[]> tensors(Path dir, InputSpec input) throws VisionException {
    ImageDecoder decoder = new ImageDecoder(ImageLimits.DEFAULT);
    Preprocessor preprocessor = new Preprocessor(input);
    List<float[]> tensors = new ArrayList<>(references.size());
    for (Reference r : references) {
      byte[] bytes;
      try {
        bytes = Files.readAllBytes(dir.resolve(r.image()));
      } catch (IOException e) {
        throw new ModelException(
            "cannot read golden image " + dir.resolve(r.image()) + ": " + e.getMessage(), e);
      }
      try (DecodedImage image = decoder.decode(bytes, input.width(), input.height())) {
        float[] tensor = new float[input.tensorSize()];
        preprocessor.toTensor(image.mat(), tensor, 0);
        tensors.add(tensor);
      }
    }
    return tensors;
  }

  private static byte[] renderPng(int width, int height, long seed) {
    Mat scene = SyntheticScene.render(width, height, seed);
    try {
      return SyntheticScene.encode(scene, ".png", Imgcodecs.IMWRITE_PNG_COMPRESSION, 9);
    } finally {
      scene.release();
    }
  }
}
