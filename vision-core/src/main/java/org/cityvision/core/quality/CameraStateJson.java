package org.cityvision.core.quality;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The stored JSON form of a {@link CameraState} (one object per camera): instants as ISO-8601
 * strings, faults and conditions by their wire names, signatures as base64. Unknown fields are
 * ignored, so a node can read what a newer node wrote.
 *
 * <p>Stateless and thread-safe.
 */
public final class CameraStateJson {
  private static final ObjectMapper MAPPER = new ObjectMapper();

  /** The format's version, written into every record. */
  public static final int VERSION = 1;

  private CameraStateJson() {}

  public static byte[] write(CameraState s) {
    ObjectNode o = MAPPER.createObjectNode();
    o.put("version", VERSION);
    o.put("cameraId", s.cameraId());
    o.put("state", s.condition().wireName());
    o.put("stateSince", s.conditionSince().toString());
    ObjectNode faults = o.putObject("faults");
    s.faults().forEach((f, since) -> faults.put(f.wireName(), since.toString()));
    ObjectNode runs = o.putObject("runs");
    s.runs()
        .forEach(
            (f, run) ->
                runs.putObject(f.wireName())
                    .put("frames", run.frames())
                    .put("since", run.since().toString()));
    ObjectNode clearing = o.putObject("clearing");
    s.clearing().forEach((f, n) -> clearing.put(f.wireName(), n));
    o.put("frames", s.frames());
    putInstant(o, "lastReceivedAt", s.lastReceivedAt());
    putInstant(o, "lastCapturedAt", s.lastCapturedAt());
    if (s.lastFrameId() != null) {
      o.put("lastFrameId", s.lastFrameId());
    }
    ArrayNode last = o.putArray("lastFaults");
    s.lastFaults().forEach(f -> last.add(f.wireName()));
    o.put("lastPixelHash", Long.toHexString(s.lastPixelHash()));
    putInstant(o, "identicalSince", s.identicalSince());
    ArrayNode intervals = o.putArray("intervalsMillis");
    s.intervalsMillis().forEach(intervals::add);
    CameraBaseline b = s.baseline();
    ObjectNode base = o.putObject("baseline");
    base.put("frames", b.frames())
        .put("width", b.width())
        .put("height", b.height())
        .put("sharpness", b.sharpness())
        .put("meanLuma", b.meanLuma());
    if (b.texture() != null) {
      ArrayNode t = base.putArray("texture");
      for (float v : b.texture()) {
        t.add(Math.round(v * 10000) / 10000.0);
      }
    }
    if (b.reference() != null) {
      base.put("reference", b.reference().toBase64());
    }
    if (s.lastClassified() != null) {
      StaticReference r = s.lastClassified();
      o.putObject("lastClassified")
          .put("frameId", r.frameId())
          .put("classifiedAt", r.classifiedAt().toString())
          .put("signature", r.signature().toBase64());
    }
    ArrayNode history = o.putArray("history");
    for (HealthTransition t : s.history()) {
      ObjectNode h = history.addObject();
      h.put("at", t.at().toString()).put("from", t.from().wireName()).put("to", t.to().wireName());
      ArrayNode f = h.putArray("faults");
      t.faults().forEach(x -> f.add(x.wireName()));
    }
    ArrayNode accepted = o.putArray("accepted");
    s.accepted().forEach(f -> accepted.add(f.wireName()));
    ArrayNode alerts = o.putArray("alerts");
    for (CameraAlert a : s.alerts()) {
      ObjectNode n = alerts.addObject();
      n.put("alertId", a.alertId())
          .put("at", a.at().toString())
          .put("from", a.from().wireName())
          .put("to", a.to().wireName())
          .put("status", a.status().wireName());
      ArrayNode f = n.putArray("faults");
      a.faults().forEach(x -> f.add(x.wireName()));
      if (a.frameId() != null) {
        n.put("frameId", a.frameId());
      }
      if (a.reviewer() != null) {
        n.put("reviewer", a.reviewer()).put("reviewedAt", a.reviewedAt().toString());
      }
      if (a.note() != null) {
        n.put("note", a.note());
      }
    }
    try {
      return MAPPER.writeValueAsBytes(o);
    } catch (IOException e) {
      throw new IllegalStateException("cannot serialise the health of camera " + s.cameraId(), e);
    }
  }

  /**
   * Reads a stored record.
   *
   * @throws IllegalArgumentException not a camera health record (names the field that is wrong)
   */
  public static CameraState read(byte[] json) {
    JsonNode o;
    try {
      o = MAPPER.readTree(json);
    } catch (IOException e) {
      throw new IllegalArgumentException("camera health record is not JSON: " + e.getMessage(), e);
    }
    if (o == null || !o.isObject()) {
      throw new IllegalArgumentException("camera health record must be a JSON object");
    }
    try {
      Map<QualityFault, Instant> faults = new EnumMap<>(QualityFault.class);
      o.path("faults")
          .fields()
          .forEachRemaining(
              e ->
                  faults.put(
                      QualityFault.ofWireName(e.getKey()), Instant.parse(e.getValue().asText())));
      Map<QualityFault, FaultRun> runs = new EnumMap<>(QualityFault.class);
      o.path("runs")
          .fields()
          .forEachRemaining(
              e ->
                  runs.put(
                      QualityFault.ofWireName(e.getKey()),
                      new FaultRun(
                          e.getValue().path("frames").asInt(),
                          Instant.parse(e.getValue().path("since").asText()))));
      Map<QualityFault, Integer> clearing = new EnumMap<>(QualityFault.class);
      o.path("clearing")
          .fields()
          .forEachRemaining(
              e -> clearing.put(QualityFault.ofWireName(e.getKey()), e.getValue().asInt()));
      List<QualityFault> last = new ArrayList<>();
      o.path("lastFaults").forEach(n -> last.add(QualityFault.ofWireName(n.asText())));
      List<Long> intervals = new ArrayList<>();
      o.path("intervalsMillis").forEach(n -> intervals.add(n.asLong()));
      JsonNode base = o.path("baseline");
      float[] texture = null;
      if (base.has("texture")) {
        JsonNode t = base.get("texture");
        texture = new float[t.size()];
        for (int i = 0; i < texture.length; i++) {
          texture[i] = (float) t.get(i).asDouble();
        }
      }
      CameraBaseline baseline =
          new CameraBaseline(
              base.path("frames").asInt(),
              base.path("width").asInt(),
              base.path("height").asInt(),
              base.path("sharpness").asDouble(),
              base.path("meanLuma").asDouble(),
              texture,
              base.hasNonNull("reference")
                  ? SceneSignature.ofBase64(base.get("reference").asText())
                  : null);
      StaticReference classified = null;
      if (o.hasNonNull("lastClassified")) {
        JsonNode r = o.get("lastClassified");
        classified =
            new StaticReference(
                r.path("frameId").asText(),
                Instant.parse(r.path("classifiedAt").asText()),
                SceneSignature.ofBase64(r.path("signature").asText()));
      }
      List<HealthTransition> history = new ArrayList<>();
      for (JsonNode h : o.path("history")) {
        List<QualityFault> f = new ArrayList<>();
        h.path("faults").forEach(n -> f.add(QualityFault.ofWireName(n.asText())));
        history.add(
            new HealthTransition(
                Instant.parse(h.path("at").asText()),
                CameraCondition.ofWireName(h.path("from").asText()),
                CameraCondition.ofWireName(h.path("to").asText()),
                f));
      }
      Set<QualityFault> accepted = EnumSet.noneOf(QualityFault.class);
      o.path("accepted").forEach(n -> accepted.add(QualityFault.ofWireName(n.asText())));
      List<CameraAlert> alerts = new ArrayList<>();
      for (JsonNode a : o.path("alerts")) {
        List<QualityFault> f = new ArrayList<>();
        a.path("faults").forEach(n -> f.add(QualityFault.ofWireName(n.asText())));
        alerts.add(
            new CameraAlert(
                text(a, "alertId"),
                Instant.parse(text(a, "at")),
                CameraCondition.ofWireName(text(a, "from")),
                CameraCondition.ofWireName(text(a, "to")),
                f,
                a.hasNonNull("frameId") ? a.get("frameId").asText() : null,
                CameraAlert.Status.ofWireName(text(a, "status")),
                a.hasNonNull("reviewer") ? a.get("reviewer").asText() : null,
                instant(a, "reviewedAt"),
                a.hasNonNull("note") ? a.get("note").asText() : null));
      }
      return new CameraState(
          text(o, "cameraId"),
          CameraCondition.ofWireName(text(o, "state")),
          Instant.parse(text(o, "stateSince")),
          baseline,
          faults,
          runs,
          clearing,
          o.path("frames").asLong(),
          instant(o, "lastReceivedAt"),
          instant(o, "lastCapturedAt"),
          o.hasNonNull("lastFrameId") ? o.get("lastFrameId").asText() : null,
          last,
          Long.parseUnsignedLong(o.path("lastPixelHash").asText("0"), 16),
          instant(o, "identicalSince"),
          intervals,
          classified,
          history,
          accepted,
          alerts);
    } catch (DateTimeParseException | NumberFormatException e) {
      throw new IllegalArgumentException(
          "camera health record has a malformed value: " + e.getMessage(), e);
    }
  }

  private static String text(JsonNode o, String field) {
    JsonNode n = o.get(field);
    if (n == null || !n.isTextual()) {
      throw new IllegalArgumentException(
          "camera health record lacks the text field '" + field + "'");
    }
    return n.asText();
  }

  private static Instant instant(JsonNode o, String field) {
    return o.hasNonNull(field) ? Instant.parse(o.get(field).asText()) : null;
  }

  private static void putInstant(ObjectNode o, String field, Instant value) {
    if (value != null) {
      o.put(field, value.toString());
    }
  }
}
