package org.cityvision.serving.capture;

import java.util.Locale;
import java.util.Objects;

/**
 * When {@code POST /v1/classify/{task}} keeps the image it answered for review: {@code never},
 * {@code uncertain} (the answer is uncertain per the model's {@code UncertaintyPolicy}, or the
 * top-2 margin is below {@code capture.marginBelow}), {@code sample:<rate>} (that fraction of
 * answers, {@code 0 < rate <= 1}) or {@code always}. Immutable.
 *
 * @param rate the sampled fraction for {@link Mode#SAMPLE}, else 1
 */
public record CapturePolicy(Mode mode, double rate) {
  /** The four policies. */
  public enum Mode {
    NEVER,
    UNCERTAIN,
    SAMPLE,
    ALWAYS
  }

  public static final CapturePolicy NEVER = new CapturePolicy(Mode.NEVER, 1);
  public static final CapturePolicy ALWAYS = new CapturePolicy(Mode.ALWAYS, 1);
  public static final CapturePolicy UNCERTAIN = new CapturePolicy(Mode.UNCERTAIN, 1);

  public CapturePolicy {
    Objects.requireNonNull(mode, "mode");
    if (!(rate > 0 && rate <= 1)) {
      throw new IllegalArgumentException("a capture sample rate must be in (0, 1], got " + rate);
    }
    if (mode != Mode.SAMPLE && rate != 1) {
      throw new IllegalArgumentException("only sample:<rate> has a rate");
    }
  }

  /**
   * Parses {@code never | uncertain | sample:<rate> | always}.
   *
   * @param what the setting's name, for the message
   * @throws IllegalArgumentException naming the setting and the accepted values
   */
  public static CapturePolicy parse(String what, String text) {
    String v = text == null ? "" : text.strip().toLowerCase(Locale.ROOT);
    switch (v) {
      case "never":
        return NEVER;
      case "uncertain":
        return UNCERTAIN;
      case "always":
        return ALWAYS;
      default:
        break;
    }
    if (v.startsWith("sample:")) {
      double rate;
      try {
        rate = Double.parseDouble(v.substring("sample:".length()));
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException(
            what + ": the rate of sample:<rate> must be a number in (0, 1], got '" + text + "'", e);
      }
      if (!(rate > 0 && rate <= 1)) {
        throw new IllegalArgumentException(
            what + ": the rate of sample:<rate> must be in (0, 1], got " + rate);
      }
      return new CapturePolicy(Mode.SAMPLE, rate);
    }
    throw new IllegalArgumentException(
        what
            + " must be never, uncertain, sample:<rate> (0 < rate <= 1) or always, "
            + "got '"
            + text
            + "'");
  }

  /**
   * Whether to keep an answer.
   *
   * @param uncertain the model's uncertainty policy calls the answer uncertain
   * @param margin the answer's top-2 probability margin ({@code ClassifiedFrames.margin})
   * @param marginBelow an answer whose top-2 margin is below this is uncertain too
   * @param draw a uniform draw in [0, 1) for {@code sample}
   */
  public boolean captures(boolean uncertain, double margin, double marginBelow, double draw) {
    return switch (mode) {
      case NEVER -> false;
      case ALWAYS -> true;
      case SAMPLE -> draw < rate;
      case UNCERTAIN -> uncertain || margin < marginBelow;
    };
  }

  /** The text {@link #parse} reads. */
  @Override
  public String toString() {
    return mode == Mode.SAMPLE ? "sample:" + rate : mode.name().toLowerCase(Locale.ROOT);
  }
}
