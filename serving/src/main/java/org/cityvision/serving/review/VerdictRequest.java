package org.cityvision.serving.review;

import io.vertx.core.json.JsonObject;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import org.cityvision.core.frame.FrameId;
import org.cityvision.core.review.FlagReview;
import org.cityvision.core.review.Verdict;

/**
 * One verdict as a reviewer sends it: {@code {"verdict": "confirm"|"reject"|"relabel", "label"?,
 * "note"?, "override"?}} (plus {@code "frameId"} inside a bulk request).
 *
 * @param label the new label for {@link Verdict#RELABEL}, one of the labels the page offers
 */
public record VerdictRequest(
    String frameId, Verdict verdict, String label, String note, boolean override) {
  private static final Set<String> FIELDS =
      Set.of("frameId", "verdict", "label", "note", "override");

  public VerdictRequest {
    FrameId.parse(frameId);
    Objects.requireNonNull(verdict, "verdict");
    if (verdict == Verdict.RELABEL && (label == null || label.isEmpty())) {
      throw new IllegalArgumentException("verdict relabel needs a label");
    }
    if (verdict != Verdict.RELABEL && label != null) {
      throw new IllegalArgumentException("label is only allowed with verdict relabel");
    }
    if (note != null && note.length() > 2000) {
      throw new IllegalArgumentException(
          "note must be at most 2000 characters, got " + note.length());
    }
  }

  /**
   * Reads a request body (or one item of a bulk request).
   *
   * @param pathFrameId the frame of {@code POST /v1/flags/{frameId}/review}, or {@code null} when
   *     the body names it
   * @param labels the labels a relabel may choose; empty allows any valid label
   * @throws IllegalArgumentException naming the field and the rule
   */
  public static VerdictRequest parse(Object value, String pathFrameId, List<String> labels) {
    if (!(value instanceof JsonObject body)) {
      throw new IllegalArgumentException("a verdict must be a JSON object");
    }
    for (String field : body.fieldNames()) {
      if (!FIELDS.contains(field) || (pathFrameId != null && field.equals("frameId"))) {
        throw new IllegalArgumentException("unknown field '" + field + "' in verdict");
      }
    }
    String frameId = pathFrameId != null ? pathFrameId : text(body, "frameId");
    if (frameId == null) {
      throw new IllegalArgumentException("frameId is required");
    }
    String verdictText = text(body, "verdict");
    if (verdictText == null) {
      throw new IllegalArgumentException("verdict is required: confirm, reject or relabel");
    }
    Verdict verdict;
    try {
      verdict = Verdict.valueOf(verdictText.toUpperCase(Locale.ROOT));
      if (verdict == Verdict.REOPEN) {
        throw new IllegalArgumentException(
            "verdict must be confirm, reject or relabel, got '"
                + verdictText
                + "'; a verdict is taken back with POST /v1/flags/{frameId}/reopen");
      }
    } catch (IllegalArgumentException e) {
      if (e.getMessage().contains("/reopen")) {
        throw e;
      }
      throw new IllegalArgumentException(
          "verdict must be confirm, reject or relabel, got '" + verdictText + "'", e);
    }
    String label = text(body, "label");
    if (label != null && !labels.isEmpty() && !labels.contains(label)) {
      throw new IllegalArgumentException(
          "label must be one of " + labels + ", got '" + label + "'");
    }
    Object override = body.getValue("override");
    if (override != null && !(override instanceof Boolean)) {
      throw new IllegalArgumentException("override must be true or false");
    }
    return new VerdictRequest(
        frameId, verdict, label, text(body, "note"), Boolean.TRUE.equals(override));
  }

  /**
   * Refuses a relabel to a label the flag's model does not have.
   *
   * @param models each model's labels; a model missing here (not loaded on this node) accepts any
   *     valid label
   * @throws IllegalArgumentException naming the model and its labels
   */
  public void checkLabel(Map<String, List<String>> models, String model) {
    List<String> labels = models.get(model);
    if (label != null && labels != null && !labels.contains(label)) {
      throw new IllegalArgumentException(
          "label must be one of the "
              + model
              + " model's labels "
              + labels
              + ", got '"
              + label
              + "'");
    }
  }

  private static String text(JsonObject body, String field) {
    Object v = body.getValue(field);
    if (v == null) {
      return null;
    }
    if (!(v instanceof String s)) {
      throw new IllegalArgumentException(field + " must be a string");
    }
    return s;
  }

  /** The store's review, by {@code reviewer}. */
  public FlagReview review(String reviewer) {
    return new FlagReview(frameId, verdict, label, note, reviewer, override);
  }
}
