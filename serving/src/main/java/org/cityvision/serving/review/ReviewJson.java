package org.cityvision.serving.review;

import io.vertx.core.json.JsonObject;
import java.time.Instant;
import java.util.Locale;
import org.cityvision.core.frame.FrameId;
import org.cityvision.core.frame.FrameRecord;
import org.cityvision.core.frame.ResultRecord;
import org.cityvision.core.review.FlagRecord;
import org.cityvision.core.review.ReviewRecord;

/** The review API's JSON shapes, in one place (documented in {@code docs/REVIEW.md}). */
public final class ReviewJson {
  private ReviewJson() {}

  public static JsonObject flag(FlagRecord f) {
    return new JsonObject()
        .put("frameId", f.frameId())
        .put("cameraId", f.cameraId())
        .put("capturedAt", FrameId.parse(f.frameId()).capturedAt().toString())
        .put("label", f.label())
        .put("score", f.score())
        .put("model", f.model())
        .put("reason", f.reason())
        .put("margin", f.margin())
        .put("modelVersion", f.modelVersion())
        .put("flaggedAt", f.flaggedAt().toString())
        .put("status", f.status().keyName())
        .put("revision", f.revision())
        .put("reviewer", f.reviewer())
        .put("reviewedAt", text(f.reviewedAt()))
        .put("verdictLabel", f.verdictLabel())
        .put("note", f.note())
        .put("hash", f.hash())
        .put("group", f.group());
  }

  public static JsonObject frame(FrameRecord f) {
    return new JsonObject()
        .put("frameId", f.frameId())
        .put("cameraId", f.cameraId())
        .put("capturedAt", f.capturedAt().toString())
        .put("receivedAt", f.receivedAt().toString())
        .put("contentType", f.contentType())
        .put("sizeBytes", f.sizeBytes())
        .put("sha256", f.sha256())
        .put("hasThumbnail", f.thumbnailKey() != null)
        .put("imageKept", f.imageKept())
        .put("imageOf", f.imageOf());
  }

  /** One classification: which model version said what; the payload is the classifier's JSON. */
  public static JsonObject result(ResultRecord r) {
    return new JsonObject()
        .put("model", r.model())
        .put("version", r.version())
        .put("classifiedAt", r.classifiedAt().toString())
        .put("result", new JsonObject(r.payload().toString()));
  }

  public static JsonObject review(ReviewRecord r) {
    return new JsonObject()
        .put("frameId", r.frameId())
        .put("reviewer", r.reviewer())
        .put("verdict", r.verdict().name().toLowerCase(Locale.ROOT))
        .put("label", r.label())
        .put("note", r.note())
        .put("model", r.model())
        .put("modelVersion", r.modelVersion())
        .put("flaggedLabel", r.flaggedLabel())
        .put("previousStatus", r.previousStatus().keyName())
        .put("revision", r.revision())
        .put("reviewedAt", r.reviewedAt().toString());
  }

  private static String text(Instant at) {
    return at == null ? null : at.toString();
  }
}
