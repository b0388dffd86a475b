package org.cityvision.serving.inference;

import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.WorkerExecutor;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import org.cityvision.core.classify.Classification;
import org.cityvision.core.classify.OverCapacityException;
import org.cityvision.core.classify.PreparedImage;
import org.cityvision.core.image.ImageFormat;
import org.cityvision.core.model.Task;
import org.cityvision.serving.metrics.Metrics;

/**
 * Classifies encoded images without blocking the event loop: admission at the door (503 {@code
 * overloaded} when the model already has its limit in flight), then decode and preprocess on the
 * decode executor, then the model's bounded queue, whose future completes on the caller's context.
 * Decode threads are never held while an image waits for inference.
 */
public final class InferenceService {
  private final ModelRegistry models;
  private final WorkerExecutor decoders;
  private final Metrics metrics;
  private final ShadowSampler shadow;

  public InferenceService(ModelRegistry models, WorkerExecutor decoders, Metrics metrics) {
    this(models, decoders, metrics, ShadowSampler.NONE);
  }

  /**
   * @param shadow hears of every live answer once it is sent ({@link #answered})
   */
  public InferenceService(
      ModelRegistry models, WorkerExecutor decoders, Metrics metrics, ShadowSampler shadow) {
    this.models = models;
    this.decoders = decoders;
    this.metrics = metrics;
    this.shadow = Objects.requireNonNull(shadow, "shadow");
  }

  /**
   * Tells the shadow of a live answer that has been sent (or, for a stored frame, whose answer is
   * complete): a candidate in the shadow of this model may classify a sample of them, on its own
   * thread. Returns at once.
   *
   * @param frameId the frame stored for the answer, or {@code null}
   */
  public void answered(Inference result, byte[] image, String frameId) {
    shadow.answered(result, image, frameId);
  }

  public ModelRegistry models() {
    return models;
  }

  /**
   * The model of a task; look it up once per request and hand it to {@link #classify}.
   *
   * @throws UnknownTaskException for a task this system does not have
   * @throws ModelUnavailableException for a task whose model this node has not loaded
   */
  public ServedModel model(String task) {
    return models.task(task).orElseThrow(() -> unavailable(task));
  }

  private RuntimeException unavailable(String task) {
    // A task of the API without a loaded model answers 503 rather than 404.
    return models.missing().containsKey(task) || Task.of(task).isPresent()
        ? new ModelUnavailableException("no model is loaded for task '" + task + "' on this node")
        : new UnknownTaskException(
            "unknown task; tasks served: " + models.all().stream().map(ServedModel::task).toList());
  }

  /**
   * Classifies {@code encoded} with {@code model}.
   *
   * @param thumbnailMaxSide also encode a thumbnail of at most this side; 0 for none
   * @param thumbnailQuality its JPEG quality
   * @param accepted the image formats the caller takes (the store keeps only JPEG and PNG frames)
   * @return fails with {@link OverCapacityException} when the model already has its limit in
   *     flight, with the classifier's typed exceptions otherwise
   */
  public Future<Inference> classify(
      ServedModel looked,
      byte[] encoded,
      int thumbnailMaxSide,
      int thumbnailQuality,
      Set<ImageFormat> accepted) {
    String task = looked.task();
    ServedModel model = lease(looked);
    if (!model.gate().tryEnter()) {
      model.release();
      metrics.overloaded(task);
      return Future.failedFuture(
          new OverCapacityException(
              "model '"
                  + model.spec().name()
                  + "' has "
                  + model.inFlight()
                  + " requests in flight; retry shortly"));
    }
    Context context = Vertx.currentContext();
    Future<Inference> result =
        decoders
            .<PreparedImage>executeBlocking(
                () ->
                    model
                        .classifier()
                        .prepare(encoded, thumbnailMaxSide, thumbnailQuality, accepted),
                false)
            .compose(
                prepared -> {
                  CompletableFuture<Classification> queued;
                  try {
                    queued = model.classifier().submitAndRecycle(prepared.tensor());
                  } catch (Exception e) {
                    return Future.failedFuture(e);
                  }
                  Future<Classification> done =
                      context == null
                          ? Future.fromCompletionStage(queued)
                          : Future.fromCompletionStage(queued, context);
                  return done.map(
                      c -> {
                        long queue = c.timings().queueNanos();
                        long inference = c.timings().inferenceNanos();
                        String name = model.spec().name();
                        metrics.stage(name, "decode", prepared.nanos());
                        metrics.stage(name, "queue", queue);
                        metrics.stage(name, "inference", inference);
                        return new Inference(
                            model,
                            c,
                            prepared.header(),
                            prepared.thumbnail(),
                            prepared.nanos(),
                            queue,
                            inference);
                      });
                });
    return result
        .onComplete(
            ar -> {
              model.gate().leave();
              model.release();
            })
        .recover(
            e -> {
              if (e instanceof OverCapacityException) {
                metrics.overloaded(task);
              }
              return Future.failedFuture(e);
            });
  }

  /**
   * The image work of a frame that is stored without a forward pass (a static camera frame that
   * reuses its camera's last result): {@link org.cityvision.core.classify.Classifier#prepare} on
   * the decode executor, for the frame's header and thumbnail, under a lease of the model's
   * version. Nothing reaches the model's queue, so its admission limit does not apply; the tensor
   * is unused.
   *
   * @param accepted the image formats the caller takes
   * @return fails with the classifier's typed image exceptions
   */
  public Future<PreparedImage> prepare(
      ServedModel looked,
      byte[] encoded,
      int thumbnailMaxSide,
      int thumbnailQuality,
      Set<ImageFormat> accepted) {
    ServedModel model = lease(looked);
    return decoders
        .<PreparedImage>executeBlocking(
            () -> model.classifier().prepare(encoded, thumbnailMaxSide, thumbnailQuality, accepted),
            false)
        .onComplete(ar -> model.release());
  }

  /**
   * A lease of {@code looked}, or of the version serving its task now when {@code looked} was
   * replaced since the lookup: the version stays open until the request releases it, even if
   * another replaces it meanwhile.
   */
  private ServedModel lease(ServedModel looked) {
    String task = looked.task();
    return looked.tryAcquire() ? looked : models.lease(task).orElseThrow(() -> unavailable(task));
  }
}
