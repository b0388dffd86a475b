package org.cityvision.core.frame;

import java.security.SecureRandom;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.time.temporal.ChronoUnit;
import java.util.HexFormat;
import java.util.Locale;
import java.util.Objects;
import java.util.regex.Pattern;
import org.cityvision.core.naming.Names;

/**
 * A frame id, {@code {cameraId}.{yyyyMMddTHHmmssSSSZ}.{12 hex}}: it carries the camera and the
 * capture time, so the frame's key ({@code frames/{cameraId}/{yyyy}/{MM}/{dd}/...}) follows from
 * the id alone and {@code GET /v1/frames/{frameId}} needs no index object and no extra request.
 *
 * @param cameraId the camera, {@code [A-Za-z0-9_-]{1,64}}
 * @param capturedAt capture time, truncated to milliseconds
 * @param nonce 12 lower-case hex digits that make ids of one camera and millisecond distinct
 */
public record FrameId(String cameraId, Instant capturedAt, String nonce) {
  /** The capture time inside a frame id (and in keys named by time): UTC to the millisecond. */
  public static final DateTimeFormatter STAMP =
      DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmssSSS'Z'", Locale.ROOT).withZone(ZoneOffset.UTC);

  private static final Pattern NONCE = Pattern.compile("[0-9a-f]{12}");
  private static final SecureRandom RANDOM = new SecureRandom();

  public FrameId {
    Names.requireSegment("cameraId", cameraId);
    Objects.requireNonNull(capturedAt, "capturedAt");
    capturedAt = capturedAt.truncatedTo(ChronoUnit.MILLIS);
    if (capturedAt.isBefore(Instant.EPOCH) || capturedAt.getEpochSecond() > 253_402_300_799L) {
      throw new IllegalArgumentException(
          "capturedAt must be in years 1970-9999, got " + capturedAt);
    }
    if (nonce == null || !NONCE.matcher(nonce).matches()) {
      throw new IllegalArgumentException("nonce must be 12 lower-case hex digits, got " + nonce);
    }
  }

  /** A fresh id for a frame of {@code cameraId} captured at {@code capturedAt}. */
  public static FrameId generate(String cameraId, Instant capturedAt) {
    byte[] random = new byte[6];
    RANDOM.nextBytes(random);
    return new FrameId(cameraId, capturedAt, HexFormat.of().formatHex(random));
  }

  /**
   * Parses an id as written by {@link #value()}.
   *
   * @throws IllegalArgumentException if {@code value} is not a frame id
   */
  public static FrameId parse(String value) {
    if (value == null) {
      throw new IllegalArgumentException("frameId must not be null");
    }
    String[] parts = value.split("\\.", -1);
    if (parts.length != 3) {
      throw new IllegalArgumentException(
          "frameId must look like {cameraId}.{yyyyMMddTHHmmssSSSZ}.{12 hex}, got '" + value + "'");
    }
    try {
      Instant at = STAMP.parse(parts[1], Instant::from);
      return new FrameId(parts[0], at, parts[2]);
    } catch (DateTimeParseException e) {
      throw new IllegalArgumentException("frameId '" + value + "' has no valid capture time", e);
    }
  }

  /** The id as a string, as used in keys and URLs. */
  public String value() {
    return cameraId + "." + STAMP.format(capturedAt) + "." + nonce;
  }

  @Override
  public String toString() {
    return value();
  }
}
