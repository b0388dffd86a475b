package org.cityvision.serving.inference;

import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.WorkerExecutor;
import java.util.concurrent.CompletableFuture;
import org.cityvision.core.classify.Classification;
import org.cityvision.core.classify.Classifier;
import org.cityvision.core.image.DecodedImage;
import org.cityvision.core.image.ImageFormat;
import org.cityvision.core.image.ImageHeader;
import org.cityvision.core.image.InputSpec;
import org.cityvision.serving.http.ApiException;
import org.cityvision.serving.metrics.Metrics;

/**
 * Classifies encoded images without blocking the event loop: admission at the door (503 {@code
 * overloaded} when the model already has its limit in flight), then decode and preprocess on the
 * decode executor, then the model's bounded queue, whose future completes on the caller's context.
 * Decode threads are never held while an image waits for inference.
 */
public final class InferenceService {
  /** The tasks of the API; one without a loaded model answers 503 rather than 404. */
  public static final java.util.Set<String> TASKS = java.util.Set.of("waste", "urban");

  private final ModelRegistry models;
  private final WorkerExecutor decoders;
  private final Metrics metrics;

  public InferenceService(ModelRegistry models, WorkerExecutor decoders, Metrics metrics) {
    this.models = models;
    this.decoders = decoders;
    this.metrics = metrics;
  }

  public ModelRegistry models() {
    return models;
  }

  /** The model of a task, or 404 {@code unknown_task} / 503 {@code model_unavailable}. */
  public ServedModel model(String task) {
    return models.task(task).orElseThrow(() -> models.missing().containsKey(task) || TASKS.contains(task)
        ? new ApiException(503, "model_unavailable", "no model is loaded for task '" + task + "' on this node", 30)
        : ApiException.notFound("unknown_task", "unknown task; tasks served: " + models.all().stream()
            .map(ServedModel::task).toList()));
  }

  /**
   * Classifies {@code encoded} with the task's model.
   *
   * @param thumbnailMaxSide also encode a thumbnail of at most this side; 0 for none
   * @param thumbnailQuality its JPEG quality
   * @param allowWebp accept WebP (the store keeps only JPEG and PNG frames)
   */
  public Future<Inference> classify(String task, byte[] encoded, int thumbnailMaxSide, int thumbnailQuality,
      boolean allowWebp) {
    ServedModel model = model(task);
    if (!model.gate().tryEnter()) {
      metrics.overloaded(task);
      return Future.failedFuture(new ApiException(503, "overloaded", "model '" + model.spec().name()
          + "' has " + model.inFlight() + " requests in flight; retry shortly", 1));
    }
    Context context = io.vertx.core.Vertx.currentContext();
    Future<Inference> result = decoders.<Prepared>executeBlocking(() -> prepare(model.classifier(), encoded, thumbnailMaxSide,
        thumbnailQuality, allowWebp), false)
        .compose(prepared -> {
          CompletableFuture<Classification> queued;
          try {
            queued = model.classifier().submitAndRecycle(prepared.tensor());
          } catch (Exception e) {
            return Future.failedFuture(e);
          }
          Future<Classification> done = context == null ? Future.fromCompletionStage(queued)
              : Future.fromCompletionStage(queued, context);
          return done.map(c -> {
            long queue = c.timings().queueNanos();
            long inference = c.timings().inferenceNanos();
            String name = model.spec().name();
            metrics.stage(name, "decode", prepared.decodeNanos());
            metrics.stage(name, "queue", queue);
            metrics.stage(name, "inference", inference);
            return new Inference(model, c, prepared.header(), prepared.thumbnail(), prepared.decodeNanos(), queue,
                inference);
          });
        });
    return result.onComplete(ar -> model.gate().leave()).recover(e -> {
      if (e instanceof org.cityvision.core.classify.OverCapacityException) {
        metrics.overloaded(task);
      }
      return Future.failedFuture(e);
    });
  }

  /**
   * One request's image work, ready for the model's queue.
   *
   * @param tensor from {@link Classifier#tensorOf}: hand it to {@link Classifier#submitAndRecycle}
   */
  public record Prepared(float[] tensor, ImageHeader header, byte[] thumbnail, long decodeNanos) {}

  /** Camera frames are stored as received, so only JPEG and PNG (what the review page shows) are taken. */
  public static void requireCameraFormat(ImageFormat format) {
    if (format == ImageFormat.WEBP) {
      throw new ApiException(415, "unsupported_media_type", "camera frames must be JPEG or PNG, got WebP");
    }
  }

  /**
   * The image work of one request on the calling thread: header check, decode (at reduced scale where
   * the model input and the thumbnail allow), the model's tensor and, if {@code thumbnailMaxSide > 0},
   * a JPEG thumbnail. Blocking and CPU-bound.
   */
  public static Prepared prepare(Classifier classifier, byte[] encoded, int thumbnailMaxSide, int thumbnailQuality,
      boolean allowWebp) throws Exception {
    long t0 = System.nanoTime();
    ImageHeader header = classifier.decoder().inspect(encoded);
    if (!allowWebp) {
      requireCameraFormat(header.format());
    }
    InputSpec input = classifier.spec().input();
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
    try (DecodedImage image = classifier.decoder().decode(encoded, minW, minH)) {
      float[] tensor = classifier.tensorOf(image);
      byte[] thumbnail = thumbnailMaxSide > 0 ? image.thumbnailJpeg(thumbnailMaxSide, thumbnailQuality) : null;
      return new Prepared(tensor, header, thumbnail, System.nanoTime() - t0);
    }
  }
}
