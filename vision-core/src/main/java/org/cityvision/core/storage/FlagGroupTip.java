package org.cityvision.core.storage;

import java.time.Instant;
import java.util.Objects;
import java.util.regex.Pattern;
import org.cityvision.core.frame.FrameId;
import org.cityvision.core.naming.Names;

/**
 * The newest near-duplicate group of one camera's flags of one model: what the camera's next flag
 * is compared with to join it or start a group of its own.
 *
 * @param group the group's id: the frame id of its first flag
 * @param label the label the group's flags were raised with (a group holds one label)
 * @param hash the difference hash of the group's first flag (32 hex digits): later flags are
 *     compared with it, not with each other, so a slow drift of the scene starts a new group
 * @param lastCapturedAt when the newest frame of the group was captured
 */
public record FlagGroupTip(
    String model,
    String cameraId,
    String group,
    String label,
    String hash,
    Instant lastCapturedAt) {
  private static final Pattern HASH = Pattern.compile("[0-9a-f]{32}");

  public FlagGroupTip {
    Names.requireSegment("model", model);
    Names.requireSegment("cameraId", cameraId);
    FrameId.parse(group);
    Names.requireSegment("label", label);
    if (hash == null || !HASH.matcher(hash).matches()) {
      throw new IllegalArgumentException("hash must be 32 lowercase hex digits, got " + hash);
    }
    Objects.requireNonNull(lastCapturedAt, "lastCapturedAt");
  }
}
