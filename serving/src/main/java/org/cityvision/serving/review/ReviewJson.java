package org.cityvision.serving.review;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Instant;
import java.util.Locale;
import org.cityvision.core.storage.FlagRecord;
import org.cityvision.core.storage.FrameId;
import org.cityvision.core.storage.FrameRecord;
import org.cityvision.core.storage.ResultRecord;
import org.cityvision.core.storage.ReviewRecord;

/** The review API's JSON shapes, in one place (documented in {@code docs/REVIEW.md}). */
public final class ReviewJson {
  /** Thread-safe once configured, like every Jackson mapper. */
  public static final ObjectMapper MAPPER = new ObjectMapper();

  private ReviewJson() {}

  public static ObjectNode flag(FlagRecord f) {
    ObjectNode n = MAPPER.createObjectNode();
    n.put("frameId", f.frameId());
    n.put("cameraId", f.cameraId());
    n.put("capturedAt", FrameId.parse(f.frameId()).capturedAt().toString());
    n.put("label", f.label());
    n.put("score", f.score());
    n.put("model", f.model());
    n.put("modelVersion", f.modelVersion());
    n.put("flaggedAt", f.flaggedAt().toString());
    n.put("status", f.status().keyName());
    n.put("revision", f.revision());
    n.put("reviewer", f.reviewer());
    n.put("reviewedAt", text(f.reviewedAt()));
    n.put("verdictLabel", f.verdictLabel());
    n.put("note", f.note());
    return n;
  }

  public static ObjectNode frame(FrameRecord f) {
    ObjectNode n = MAPPER.createObjectNode();
    n.put("frameId", f.frameId());
    n.put("cameraId", f.cameraId());
    n.put("capturedAt", f.capturedAt().toString());
    n.put("receivedAt", f.receivedAt().toString());
    n.put("contentType", f.contentType());
    n.put("sizeBytes", f.sizeBytes());
    n.put("sha256", f.sha256());
    n.put("hasThumbnail", f.thumbnailKey() != null);
    return n;
  }

  /** One classification: which model version said what; the payload is the classifier's JSON. */
  public static ObjectNode result(ResultRecord r) {
    ObjectNode n = MAPPER.createObjectNode();
    n.put("model", r.model());
    n.put("version", r.version());
    n.put("classifiedAt", r.classifiedAt().toString());
    n.set("result", r.payload());
    return n;
  }

  public static ObjectNode review(ReviewRecord r) {
    ObjectNode n = MAPPER.createObjectNode();
    n.put("frameId", r.frameId());
    n.put("reviewer", r.reviewer());
    n.put("verdict", r.verdict().name().toLowerCase(Locale.ROOT));
    n.put("label", r.label());
    n.put("note", r.note());
    n.put("model", r.model());
    n.put("modelVersion", r.modelVersion());
    n.put("flaggedLabel", r.flaggedLabel());
    n.put("previousStatus", r.previousStatus().keyName());
    n.put("revision", r.revision());
    n.put("reviewedAt", r.reviewedAt().toString());
    return n;
  }

  /** {@code {"error": {"code", "message", "requestId"}}}, the API's one error shape. */
  public static ObjectNode error(String code, String message, String requestId) {
    ObjectNode n = MAPPER.createObjectNode();
    n.putObject("error").put("code", code).put("message", message).put("requestId", requestId);
    return n;
  }

  private static String text(Instant at) {
    return at == null ? null : at.toString();
  }
}
