package org.cityvision.core.classify;

import ai.djl.Model;
import ai.djl.inference.Predictor;
import ai.djl.pytorch.jni.JniUtils;
import ai.djl.translate.TranslateException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.locks.StampedLock;
import org.cityvision.core.VisionException;
import org.cityvision.core.image.DecodedImage;
import org.cityvision.core.image.ImageDecoder;
import org.cityvision.core.image.ImageException;
import org.cityvision.core.image.ImageFormat;
import org.cityvision.core.image.ImageHeader;
import org.cityvision.core.image.InputSpec;
import org.cityvision.core.image.Preprocessor;
import org.cityvision.core.image.UnsupportedImageException;
import org.cityvision.core.model.BackboneDigest;
import org.cityvision.core.model.ModelException;
import org.cityvision.core.model.ModelPackage;
import org.cityvision.core.model.ModelSpec;
import org.cityvision.core.model.PooledFeatures;
import org.cityvision.core.model.TorchRuntime;

/**
 * Classifies images with one model, for many callers at once.
 *
 * <p>Callers decode and preprocess on their own threads ({@link #classify(byte[])} does it for
 * them); ready tensors go into a bounded queue that a small pool of inference workers drains. Each
 * worker owns one DJL {@link Predictor} (predictors are not thread-safe) and groups whatever is
 * waiting, up to {@code maxBatch} images and {@code maxDelay} of waiting, into one forward pass. It
 * waits for more only while every other worker is inside a forward pass: otherwise a request
 * arriving later would start at once on another worker, so waiting would only delay the images
 * already taken (one request at a time never pays the delay). A full queue refuses new work at once
 * with {@link OverCapacityException} instead of growing.
 *
 * <p>Warm-up runs every batch size twice (TorchScript specialises on shapes during the first runs)
 * and checks that each image gets the same probabilities in a batch as alone: some libtorch CPU
 * kernels (oneDNN's AVX-512 paths on some CPUs) compute wrong results for certain batch sizes and
 * thread counts, and a classifier that would answer differently depending on load refuses to start.
 * Before that, each worker classifies the package's {@link GoldenReferences} (when it ships them)
 * and refuses to start if any probability differs from the one recorded at build time: agreeing
 * with itself does not prove a kernel right.
 *
 * <p>A classifier that loads its model ({@link #open}) runs the package's network in a two-output
 * form ({@link PooledAndLogits}): each classification also carries the backbone's pooled features
 * of its own forward pass ({@link Classification#features()}), at the cost of copying them out
 * (1,280 floats an image), unless {@link ClassifierOptions#features()} is off.
 *
 * <p>Thread-safe. <b>The classifier must be closed</b>: closing refuses new work, finishes what is
 * queued, stops the workers, closes their predictors and, when the classifier loaded the model
 * itself, the model.
 */
public final class Classifier implements AutoCloseable {
  private final ModelSpec spec;
  private final ClassifierOptions options;
  private final Model model;
  private final boolean ownsModel;
  private final ImageDecoder decoder;
  private final Preprocessor preprocessor;
  private final BlockingQueue<Request> queue;
  private final List<Thread> workers = new ArrayList<>();
  private final AtomicLong images = new AtomicLong();

  /**
   * Tensor arrays given back after their copy into a batch, for {@link #newTensor()}: at hundreds
   * of requests a second, a new 0.6 MB array each was ~90% of the server's allocation; recycling
   * halves the young collections (18-49 ms pauses on two cores busy with inference).
   */
  private final BlockingQueue<float[]> spareTensors;

  /** Workers inside a forward pass. */
  private final AtomicInteger running = new AtomicInteger();

  private final AtomicLong batches = new AtomicLong();
  private final AtomicLong rejected = new AtomicLong();
  private final AtomicLong inferenceNanos = new AtomicLong();
  private final AtomicLongArray batchSizes;
  private volatile boolean open = true;

  /**
   * The package's reference answers and their tensors, checked by every worker's warm-up; may be
   * empty.
   */
  private final List<GoldenReferences.Reference> golden;

  private final List<float[]> goldenTensors;
  private final double goldenTolerance;

  /**
   * {@link BackboneDigest} of the model's backbone when every classification carries its pooled
   * features ({@link ClassifierOptions#features()} and a package network the classifier owns), else
   * {@code null}.
   */
  private final String backbone;

  /**
   * Largest difference in any probability between an image classified alone and in a batch; float
   * reordering across batch sizes stays below 1e-5, a miscomputing kernel is far above.
   */
  static final double CONSISTENCY_TOLERANCE = 1e-3;

  private record Request(
      float[] tensor, long enqueuedAt, CompletableFuture<Classification> result, boolean recycle) {}

  /**
   * Forward passes in this process, of every classifier: ordinary passes hold it shared; a solo
   * pass holds it exclusively, and is only tried when nothing else runs (a {@link StampedLock} is
   * not owned by a thread, so the worker that takes it can hand it to the solo worker, which frees
   * it). So a solo pass's threads never share the cores with another pass, and ordinary passes run
   * as they always did.
   */
  private static final StampedLock PASSES = new StampedLock();

  /** Runs a lone request on several intra-op threads; {@code null} without a solo worker. */
  private final SoloThread solo;

  /** This classifier's predictor on {@link #solo}, used only there; set once it has warmed up. */
  private volatile Predictor<TensorBatch, SoftmaxTranslator.Output> soloPredictor;

  private final AtomicLong soloPasses = new AtomicLong();

  private Classifier(
      ModelSpec spec,
      Model model,
      boolean ownsModel,
      ClassifierOptions options,
      GoldenReferences references,
      List<float[]> referenceTensors)
      throws ModelException {
    this.spec = spec;
    this.golden = references == null ? List.of() : references.references();
    this.goldenTensors = referenceTensors == null ? List.of() : List.copyOf(referenceTensors);
    this.goldenTolerance = references == null ? 0 : references.tolerance();
    this.options = options;
    this.model = model;
    this.ownsModel = ownsModel;
    this.decoder = new ImageDecoder(options.limits());
    this.preprocessor = new Preprocessor(spec.input());
    this.queue = new ArrayBlockingQueue<>(options.queueCapacity());
    this.spareTensors =
        new ArrayBlockingQueue<>(options.queueCapacity() + options.workers() * options.maxBatch());
    this.batchSizes = new AtomicLongArray(options.maxBatch() + 1);
    this.solo = options.soloThreads() > 0 ? SoloThread.of(options.soloThreads()) : null;
    this.backbone = ownsModel && options.features() ? withFeatures(model, spec) : null;
    startWorkers();
  }

  /**
   * Loads a model package and starts its workers; the classifier owns (and closes) the model. When
   * the package ships {@link GoldenReferences} and warm-up is on, every worker checks them first.
   */
  public static Classifier open(ModelPackage pkg, ClassifierOptions options) throws ModelException {
    TorchRuntime.start(options.torchThreads());
    GoldenReferences references = null;
    List<float[]> tensors = null;
    if (options.warmup()) {
      references = GoldenReferences.read(pkg).orElse(null);
      if (references != null) {
        try {
          tensors = references.tensors(pkg.dir(), pkg.spec().input());
        } catch (ModelException e) {
          throw e;
        } catch (VisionException e) {
          throw new ModelException(
              "golden image of model " + pkg.spec().name() + " does not decode: " + e.getMessage(),
              e);
        }
      }
    }
    Model model = pkg.loadModel();
    try {
      return new Classifier(pkg.spec(), model, true, options, references, tensors);
    } catch (ModelException | RuntimeException e) {
      model.close();
      throw e;
    }
  }

  /**
   * Serves a model that the caller owns (for example one being trained); the caller closes the
   * model after closing the classifier.
   */
  public static Classifier wrap(Model model, ModelSpec spec, ClassifierOptions options)
      throws ModelException {
    TorchRuntime.start(options.torchThreads());
    return new Classifier(spec, model, false, options, null, null);
  }

  /**
   * Turns the owned package network into its two-output form, so that each forward pass also
   * returns the pooled features, and gives its backbone's digest; {@code null} for a network of
   * another shape (classified without features).
   */
  private static String withFeatures(Model model, ModelSpec spec) {
    PooledAndLogits both = PooledAndLogits.of(model.getBlock());
    if (both == null) {
      return null;
    }
    String digest = BackboneDigest.of(both.backbone(), spec.input());
    model.setBlock(both);
    return digest;
  }

  public ModelSpec spec() {
    return spec;
  }

  /**
   * The {@link BackboneDigest} its classifications' features carry, or empty when they carry none.
   */
  public Optional<String> backboneDigest() {
    return Optional.ofNullable(backbone);
  }

  public ClassifierOptions options() {
    return options;
  }

  public ImageDecoder decoder() {
    return decoder;
  }

  public Preprocessor preprocessor() {
    return preprocessor;
  }

  /**
   * Decodes (at reduced scale where possible), preprocesses on the calling thread, and waits for
   * the result.
   *
   * @throws org.cityvision.core.image.ImageException the image is refused
   * @throws OverCapacityException the queue is full
   */
  public Classification classify(byte[] encoded) throws VisionException {
    PreparedImage prepared = prepare(encoded);
    Classification c = await(submitAndRecycle(prepared.tensor()));
    return c.withTimings(c.timings().withInput(prepared.decodeNanos(), prepared.preprocessNanos()));
  }

  /**
   * {@link #prepare(byte[], int, int, Set)} without a thumbnail, for any accepted format.
   *
   * @throws org.cityvision.core.image.ImageException the image is refused
   */
  public PreparedImage prepare(byte[] encoded) throws ImageException {
    return prepare(encoded, 0, 0, EnumSet.allOf(ImageFormat.class));
  }

  /**
   * The image work of one request on the calling thread, from a single decode: header check, decode
   * at reduced scale where both the model input and the thumbnail allow it, the model's tensor and,
   * if {@code thumbnailMaxSide > 0}, a JPEG thumbnail. Blocking and CPU-bound.
   *
   * @param thumbnailMaxSide the thumbnail's longer side at most; 0 for no thumbnail
   * @param thumbnailQuality its JPEG quality, 1..100 (ignored without a thumbnail)
   * @param accepted the formats this caller takes (camera frames are stored, so JPEG and PNG only)
   * @throws UnsupportedImageException the image's format is not {@code accepted}
   * @throws org.cityvision.core.image.ImageException the image is refused (corrupt, too large)
   */
  public PreparedImage prepare(
      byte[] encoded, int thumbnailMaxSide, int thumbnailQuality, Set<ImageFormat> accepted)
      throws ImageException {
    long t0 = System.nanoTime();
    ImageHeader header = decoder.inspect(encoded);
    ImageDecoder.requireFormat(header, accepted);
    InputSpec input = spec.input();
    int minW = input.width();
    int minH = input.height();
    if (thumbnailMaxSide > 0) {
      // The thumbnail's longer side comes from the image's longer side.
      if (header.displayWidth() >= header.displayHeight()) {
        minW = Math.max(minW, thumbnailMaxSide);
      } else {
        minH = Math.max(minH, thumbnailMaxSide);
      }
    }
    try (DecodedImage image = decoder.decode(encoded, minW, minH)) {
      long t1 = System.nanoTime();
      float[] tensor = tensorOf(image);
      byte[] thumbnail =
          thumbnailMaxSide > 0 ? image.thumbnailJpeg(thumbnailMaxSide, thumbnailQuality) : null;
      return new PreparedImage(tensor, header, thumbnail, t1 - t0, System.nanoTime() - t1);
    }
  }

  /** Classifies an already decoded image and waits for the result. */
  public Classification classify(DecodedImage image) throws VisionException {
    long t0 = System.nanoTime();
    float[] tensor = tensorOf(image);
    long t1 = System.nanoTime();
    Classification c = await(submitAndRecycle(tensor));
    return c.withTimings(c.timings().withInput(0, t1 - t0));
  }

  /**
   * Queues one preprocessed CHW tensor ({@link InputSpec#tensorSize()} floats) without waiting.
   *
   * @throws OverCapacityException at once when the queue is full
   * @throws ClassifierClosedException after {@link #close()}
   */
  public CompletableFuture<Classification> submit(float[] tensor)
      throws OverCapacityException, ClassifierClosedException {
    return enqueue(tensor, false);
  }

  /**
   * An array for one image's tensor ({@link InputSpec#tensorSize()} floats), reused from earlier
   * {@link #submitAndRecycle} calls when one is free; its contents are undefined.
   */
  public float[] newTensor() {
    float[] spare = spareTensors.poll();
    return spare != null ? spare : new float[spec.input().tensorSize()];
  }

  /**
   * {@code image}'s tensor, in an array from {@link #newTensor()}: hand it to {@link
   * #submitAndRecycle}.
   */
  public float[] tensorOf(DecodedImage image) {
    float[] tensor = newTensor();
    preprocessor.toTensor(image.mat(), tensor, 0);
    return tensor;
  }

  /**
   * {@link #submit}, and the classifier takes the array back for {@link #newTensor()} once it is
   * copied into a batch: the caller must neither read nor write it after this call.
   */
  public CompletableFuture<Classification> submitAndRecycle(float[] tensor)
      throws OverCapacityException, ClassifierClosedException {
    return enqueue(tensor, true);
  }

  private CompletableFuture<Classification> enqueue(float[] tensor, boolean recycle)
      throws OverCapacityException, ClassifierClosedException {
    if (tensor.length != spec.input().tensorSize()) {
      throw new IllegalArgumentException(
          "tensor has " + tensor.length + " floats; the model wants " + spec.input().tensorSize());
    }
    if (!open) {
      throw new ClassifierClosedException("classifier for model " + spec.name() + " is closed");
    }
    CompletableFuture<Classification> result = new CompletableFuture<>();
    if (!queue.offer(new Request(tensor, System.nanoTime(), result, recycle))) {
      rejected.incrementAndGet();
      throw new OverCapacityException(
          "inference queue of model "
              + spec.name()
              + " is full ("
              + options.queueCapacity()
              + " images waiting); retry later");
    }
    return result;
  }

  /** Images waiting for a worker now. */
  public int queueDepth() {
    return queue.size();
  }

  public ClassifierStats stats() {
    List<Long> sizes = new ArrayList<>(batchSizes.length());
    for (int i = 0; i < batchSizes.length(); i++) {
      sizes.add(batchSizes.get(i));
    }
    return new ClassifierStats(
        queue.size(), images.get(), batches.get(), rejected.get(), inferenceNanos.get(), sizes);
  }

  private static Classification await(CompletableFuture<Classification> future)
      throws VisionException {
    try {
      return future.get();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new ClassifierClosedException("interrupted while waiting for a classification");
    } catch (ExecutionException e) {
      Throwable cause = e.getCause();
      if (cause instanceof VisionException v) {
        throw v;
      }
      throw new VisionException("classification failed: " + cause, cause);
    }
  }

  private void startWorkers() throws ModelException {
    List<CompletableFuture<Void>> ready = new ArrayList<>();
    for (int i = 0; i < options.workers(); i++) {
      CompletableFuture<Void> started = new CompletableFuture<>();
      ready.add(started);
      Thread t = new Thread(() -> runWorker(started), "classifier-" + spec.name() + "-" + i);
      t.setDaemon(true);
      workers.add(t);
      t.start();
    }
    try {
      if (solo != null) {
        startSolo();
      }
      CompletableFuture.allOf(ready.toArray(CompletableFuture[]::new)).join();
    } catch (CompletionException | ModelException e) {
      Throwable cause = e instanceof CompletionException ? e.getCause() : e;
      close();
      throw new ModelException(
          "classifier workers for model " + spec.name() + " failed to start: " + cause.getMessage(),
          cause);
    } finally {
      if (solo != null) {
        // Starting the solo thread made its count the process-wide one: threads that start later
        // take the workers'.
        TorchRuntime.defaultThreads(options.torchThreads());
      }
    }
  }

  /**
   * Gives the shared {@link SoloThread} this classifier's predictor: created there, and warmed up
   * there (golden check included) under the exclusive {@link #PASSES} stamp, so it is checked at
   * the thread count it serves with.
   */
  private void startSolo() throws ModelException {
    try {
      soloPredictor =
          solo.call(
              () -> {
                Predictor<TensorBatch, SoftmaxTranslator.Output> predictor =
                    model.newPredictor(
                        new SoftmaxTranslator(options.maxBatch() * spec.input().tensorSize()));
                if (options.warmup()) {
                  long stamp = PASSES.writeLock();
                  try {
                    checkGolden(predictor);
                    warmUp(predictor);
                  } catch (TranslateException | ModelException | RuntimeException e) {
                    predictor.close();
                    throw e;
                  } finally {
                    PASSES.unlockWrite(stamp);
                  }
                }
                return predictor;
              });
    } catch (ModelException e) {
      throw e;
    } catch (Exception e) {
      throw new ModelException("the solo worker failed to start: " + e.getMessage(), e);
    }
  }

  /** Requests that ran alone on the solo worker. */
  public long soloPasses() {
    return soloPasses.get();
  }

  /**
   * Runs {@code taken} here, or hands a lone request to the solo worker when nothing else waits and
   * no forward pass runs anywhere in the process (it then has every core to itself).
   */
  private void run(
      Predictor<TensorBatch, SoftmaxTranslator.Output> predictor, List<Request> taken) {
    Predictor<TensorBatch, SoftmaxTranslator.Output> alone = soloPredictor;
    if (alone != null && taken.size() == 1 && queue.isEmpty()) {
      long exclusive = PASSES.tryWriteLock();
      if (exclusive != 0) {
        List<Request> request = List.of(taken.get(0));
        if (solo.offer(
            () -> {
              soloPasses.incrementAndGet();
              runBatch(alone, request, () -> PASSES.unlockWrite(exclusive));
            })) {
          return;
        }
        PASSES.unlockWrite(exclusive);
      }
    }
    long shared = PASSES.readLock();
    runBatch(predictor, taken, () -> PASSES.unlockRead(shared));
  }

  private void runWorker(CompletableFuture<Void> started) {
    if (solo != null) {
      // Fixed on this thread, so that the solo worker's count never reaches it.
      TorchRuntime.inferenceThread(options.torchThreads());
    } else {
      TorchRuntime.inferenceThread();
    }
    List<Request> taken = new ArrayList<>(options.maxBatch());
    try (Predictor<TensorBatch, SoftmaxTranslator.Output> predictor =
        model.newPredictor(new SoftmaxTranslator(options.maxBatch() * spec.input().tensorSize()))) {
      try {
        if (options.warmup()) {
          long shared = PASSES.readLock();
          try {
            checkGolden(predictor);
            warmUp(predictor);
          } finally {
            PASSES.unlockRead(shared);
          }
        }
        started.complete(null);
      } catch (TranslateException | ModelException | RuntimeException e) {
        started.completeExceptionally(e);
        return;
      }
      while (open || !queue.isEmpty()) {
        taken.clear();
        if (!fill(taken)) {
          continue;
        }
        run(predictor, taken);
      }
    } finally {
      // Whatever is still queued after the last worker stops would otherwise wait forever.
      for (Request r; (r = queue.poll()) != null; ) {
        r.result()
            .completeExceptionally(
                new ClassifierClosedException("classifier closed before the image ran"));
      }
    }
  }

  /**
   * Takes one request (waiting briefly), whatever else is queued, then, while every other worker is
   * inside a forward pass, whatever else arrives within {@code maxDelay}.
   */
  private boolean fill(List<Request> taken) {
    try {
      Request first = queue.poll(50, TimeUnit.MILLISECONDS);
      if (first == null) {
        return false;
      }
      taken.add(first);
      int max = options.maxBatch();
      queue.drainTo(taken, max - taken.size());
      long deadline = System.nanoTime() + options.maxDelay().toNanos();
      while (taken.size() < max && running.get() >= options.workers() - 1) {
        long left = deadline - System.nanoTime();
        if (left <= 0) {
          break;
        }
        Request next = queue.poll(left, TimeUnit.NANOSECONDS);
        if (next == null) {
          break;
        }
        taken.add(next);
        queue.drainTo(taken, max - taken.size());
      }
      return true;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return !taken.isEmpty();
    }
  }

  /**
   * One forward pass over {@code taken}; {@code afterPass} runs once the pass is over and before
   * any request is answered (so a caller's next request finds the pass's lock already free).
   */
  private void runBatch(
      Predictor<TensorBatch, SoftmaxTranslator.Output> predictor,
      List<Request> taken,
      Runnable afterPass) {
    int n = taken.size();
    InputSpec input = spec.input();
    long start = System.nanoTime();
    SoftmaxTranslator.Output output;
    running.incrementAndGet();
    try {
      output =
          predictor.predict(
              new TensorBatch(
                  taken.stream().map(Request::tensor).toList(), input.height(), input.width()));
    } catch (TranslateException | RuntimeException e) {
      VisionException failure =
          new VisionException("inference failed for a batch of " + n + ": " + e.getMessage(), e);
      taken.forEach(r -> r.result().completeExceptionally(failure));
      return;
    } finally {
      running.decrementAndGet();
      afterPass.run();
      // The translator has copied the arrays into its buffer: they can serve new requests.
      for (Request r : taken) {
        if (r.recycle()) {
          spareTensors.offer(r.tensor());
        }
      }
    }
    long elapsed = System.nanoTime() - start;
    images.addAndGet(n);
    batches.incrementAndGet();
    batchSizes.incrementAndGet(n);
    inferenceNanos.addAndGet(elapsed);
    int classes = spec.labels().size();
    float[] features = output.features();
    int featureSize = features == null ? 0 : features.length / n;
    for (int i = 0; i < n; i++) {
      Request r = taken.get(i);
      Timings timings = new Timings(0, 0, Math.max(0, start - r.enqueuedAt()), elapsed / n);
      PooledFeatures pooled =
          features == null
              ? null
              : PooledFeatures.of(
                  spec.name(), spec.version(), backbone, features, i * featureSize, featureSize);
      r.result()
          .complete(toClassification(output.probabilities(), i * classes, n, timings, pooled));
    }
  }

  private Classification toClassification(
      float[] probabilities, int offset, int batchSize, Timings timings, PooledFeatures features) {
    List<String> labels = spec.labels();
    Integer[] order = new Integer[labels.size()];
    List<Double> all = new ArrayList<>(labels.size());
    for (int c = 0; c < labels.size(); c++) {
      order[c] = c;
      all.add((double) probabilities[offset + c]);
    }
    Arrays.sort(
        order, Comparator.comparingDouble((Integer c) -> probabilities[offset + c]).reversed());
    int k = Math.min(options.topK(), labels.size());
    List<LabelScore> top = new ArrayList<>(k);
    for (int i = 0; i < k; i++) {
      top.add(new LabelScore(labels.get(order[i]), clamp(probabilities[offset + order[i]])));
    }
    return new Classification(
        top.get(0).label(),
        top.get(0).score(),
        top,
        all,
        labels,
        spec.name(),
        spec.version(),
        batchSize,
        timings,
        features);
  }

  private static double clamp(float p) {
    return Math.min(1.0, Math.max(0.0, p));
  }

  /**
   * Classifies each of the package's reference images alone and compares every probability with the
   * one stored when the package was built.
   */
  private void checkGolden(Predictor<TensorBatch, SoftmaxTranslator.Output> predictor)
      throws TranslateException, ModelException {
    InputSpec input = spec.input();
    for (int r = 0; r < golden.size(); r++) {
      float[] got =
          predictor
              .predict(
                  new TensorBatch(List.of(goldenTensors.get(r)), input.height(), input.width()))
              .probabilities();
      List<Double> expected = golden.get(r).probabilities();
      double worst = 0;
      for (int c = 0; c < expected.size(); c++) {
        worst = Math.max(worst, Math.abs(got[c] - expected.get(c)));
      }
      if (worst > goldenTolerance) {
        throw new ModelException(
            "model "
                + spec.name()
                + " "
                + spec.version()
                + " computes reference image "
                + golden.get(r).image()
                + " differently from when it was built (a probability differs by "
                + String.format(Locale.ROOT, "%.4f", worst)
                + ", tolerance "
                + goldenTolerance
                + ", "
                + JniUtils.getNumThreads()
                + " torch threads, ONEDNN_MAX_CPU_ISA="
                + System.getenv().getOrDefault("ONEDNN_MAX_CPU_ISA", "unset")
                + "): this CPU's kernels compute wrong "
                + "results; start the JVM with ONEDNN_MAX_CPU_ISA=AVX2 (the launcher does by default)");
      }
    }
  }

  /**
   * TorchScript's executor specialises on input shapes during the first runs of each; running every
   * batch size twice up front keeps that cost out of the first real requests.
   */
  private void warmUp(Predictor<TensorBatch, SoftmaxTranslator.Output> predictor)
      throws TranslateException, ModelException {
    InputSpec input = spec.input();
    int classes = spec.labels().size();
    // Distinct, deterministic images, so that each batch size is checked against batch 1 below.
    Random random = new Random(42);
    List<float[]> images = new ArrayList<>(options.maxBatch());
    for (int n = 0; n < options.maxBatch(); n++) {
      float[] image = new float[input.tensorSize()];
      for (int i = 0; i < image.length; i++) {
        image[i] = random.nextFloat() * 2 - 1;
      }
      images.add(image);
    }
    float[][] alone = new float[options.maxBatch()][];
    for (int n = 1; n <= options.maxBatch(); n++) {
      alone[n - 1] =
          predictor
              .predict(new TensorBatch(List.of(images.get(n - 1)), input.height(), input.width()))
              .probabilities();
      float[] last = null;
      for (int run = 0; run < 2; run++) {
        last =
            predictor
                .predict(new TensorBatch(images.subList(0, n), input.height(), input.width()))
                .probabilities();
      }
      for (int i = 0; i < n; i++) {
        for (int c = 0; c < classes; c++) {
          double diff = Math.abs(last[i * classes + c] - alone[i][c]);
          if (diff > CONSISTENCY_TOLERANCE) {
            throw new ModelException(
                "libtorch gives image "
                    + i
                    + " a probability differing by "
                    + diff
                    + " in a batch of "
                    + n
                    + " from the same image alone (model "
                    + spec.name()
                    + ", "
                    + JniUtils.getNumThreads()
                    + " torch threads). This is a known oneDNN AVX-512 fault on some "
                    + "CPUs: start the JVM with the environment variable ONEDNN_MAX_CPU_ISA=AVX2 (the launcher and "
                    + "the build set it), or lower maxBatch and torchThreads");
          }
        }
      }
    }
  }

  @Override
  public void close() {
    open = false;
    for (Thread t : workers) {
      if (t == Thread.currentThread()) {
        // Closed by code that this worker's answer ran: it stops once that code returns.
        continue;
      }
      try {
        t.join(TimeUnit.SECONDS.toMillis(30));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        break;
      }
    }
    // The workers have stopped handing requests over; once the solo thread is free (any pass
    // handed over before is answered) the predictor can go.
    Predictor<TensorBatch, SoftmaxTranslator.Output> alone = soloPredictor;
    soloPredictor = null;
    if (alone != null) {
      try {
        solo.call(
            () -> {
              alone.close();
              return null;
            });
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      } catch (Exception e) {
        alone.close();
      }
    }
    // A request that slipped in while the last worker was leaving has nobody to run it.
    for (Request r; (r = queue.poll()) != null; ) {
      r.result()
          .completeExceptionally(
              new ClassifierClosedException("classifier closed before the image ran"));
    }
    if (ownsModel) {
      model.close();
    }
  }
}
