package org.cityvision.serving.inference;

import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import java.util.EnumSet;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;
import java.util.regex.Pattern;
import org.cityvision.core.auth.KeyRole;
import org.cityvision.core.camera.CameraId;
import org.cityvision.core.classify.Classification;
import org.cityvision.core.classify.ClassifiedFrames;
import org.cityvision.core.classify.UncertaintyPolicy;
import org.cityvision.core.image.ImageFormat;
import org.cityvision.serving.auth.Authenticator;
import org.cityvision.serving.auth.Principal;
import org.cityvision.serving.capture.CapturePolicy;
import org.cityvision.serving.capture.CaptureWriter;
import org.cityvision.serving.config.CaptureConfig;
import org.cityvision.serving.http.Access;
import org.cityvision.serving.http.ApiArea;
import org.cityvision.serving.http.ApiException;
import org.cityvision.serving.http.Json;
import org.cityvision.serving.http.RequestLog;

/**
 * {@code POST /v1/classify/{task}}: the sorting machines' synchronous path. The model is looked up
 * once per request; {@code uncertain} is the model's {@link UncertaintyPolicy} (the machine should
 * divert the item rather than sort it).
 *
 * <p>Capture: when the node's {@link CapturePolicy} for the task (or, for a key allowed to, the
 * request's {@code X-Capture} header) says so, the answered image is kept as a frame whose source
 * is the machine ({@code X-Machine-Id}, default the key's name) and joins the review queue as a
 * flag with reason {@code captured}. The answer carries its {@code frameId} and is sent before the
 * write, which {@link CaptureWriter} runs behind it with a bounded queue.
 */
public final class ClassifyRoutes {
  private static final Pattern TASK = Pattern.compile("[a-z0-9_-]{1,64}");

  /** Sorting machines may send WebP too: nothing is stored. */
  private static final Set<ImageFormat> ALL_FORMATS = EnumSet.allOf(ImageFormat.class);

  private final InferenceService inference;
  private final CaptureConfig capture;
  private final CaptureWriter writer;

  /**
   * @param writer writes captured images behind the answers
   */
  public ClassifyRoutes(InferenceService inference, CaptureConfig capture, CaptureWriter writer) {
    this.inference = inference;
    this.capture = capture;
    this.writer = writer;
  }

  /** The sorting machines' area: sorter keys. */
  public ApiArea area() {
    return new ApiArea("classify")
        .add(HttpMethod.POST, "/v1/classify/{task}", Access.role(KeyRole.SORTER), this::classify);
  }

  public void classify(RoutingContext ctx) {
    long start = System.nanoTime();
    String task = ctx.pathParam("task");
    if (task == null || !TASK.matcher(task).matches()) {
      throw new UnknownTaskException("unknown task");
    }
    Principal caller = Authenticator.principal(ctx);
    CapturePolicy policy = policy(ctx, task, caller);
    String machine = policy.mode() == CapturePolicy.Mode.NEVER ? null : machineId(ctx, caller);
    ServedModel model = inference.model(task);
    byte[] body = Bodies.rawImage(ctx);
    inference
        .classify(model, body, 0, 0, ALL_FORMATS)
        .onSuccess(
            result -> {
              Classification c = result.classification();
              JsonObject answer =
                  new JsonObject().put("task", task).mergeIn(Answers.classification(c));
              boolean uncertain =
                  new UncertaintyPolicy(result.model().spec().thresholds()).uncertain(c);
              answer.put("uncertain", uncertain);
              if (machine != null
                  && policy.captures(
                      uncertain,
                      ClassifiedFrames.margin(c),
                      capture.marginBelow(),
                      ThreadLocalRandom.current().nextDouble())) {
                writer
                    .submit(
                        machine,
                        body,
                        result.header().format(),
                        c,
                        policy.mode() != CapturePolicy.Mode.ALWAYS)
                    .ifPresent(id -> answer.put("frameId", id));
              }
              answer.put("timings", Answers.timings(result, System.nanoTime() - start));
              answer.put("requestId", RequestLog.requestId(ctx));
              Json.send(ctx, 200, answer);
              inference.answered(result, body, answer.getString("frameId"));
            })
        .onFailure(ctx::fail);
  }

  /**
   * The node's policy for {@code task}, or the request's {@code X-Capture} for a key allowed to
   * send it; never for the node's own key (start-up warm-up), whose requests leave nothing behind.
   */
  private CapturePolicy policy(RoutingContext ctx, String task, Principal caller) {
    if (caller != null && caller.internal()) {
      return CapturePolicy.NEVER;
    }
    String header = ctx.request().getHeader("X-Capture");
    if (header == null) {
      return capture.policy(task);
    }
    if (caller == null || !caller.allowCaptureOverride()) {
      throw new ApiException(
          403,
          "capture_override_not_allowed",
          "key '"
              + (caller == null ? "?" : caller.name())
              + "' may not send X-Capture; an admin creates keys with allowCaptureOverride to allow it");
    }
    return switch (header.strip().toLowerCase(Locale.ROOT)) {
      case "always" -> CapturePolicy.ALWAYS;
      case "never" -> CapturePolicy.NEVER;
      default ->
          throw ApiException.badRequest("invalid_capture", "X-Capture must be always or never");
    };
  }

  /** The frame source of a captured image: {@code X-Machine-Id}, else the key's name. */
  private static String machineId(RoutingContext ctx, Principal caller) {
    String header = ctx.request().getHeader("X-Machine-Id");
    if (header != null) {
      String id = header.strip();
      if (!CameraId.isValid(id)) {
        throw ApiException.badRequest(
            "invalid_machine_id", "X-Machine-Id must be " + CameraId.RULE);
      }
      return id;
    }
    String name = caller == null ? "sorter" : caller.name().replaceAll("[^A-Za-z0-9_-]", "-");
    return name.length() > 64 ? name.substring(0, 64) : name;
  }
}
