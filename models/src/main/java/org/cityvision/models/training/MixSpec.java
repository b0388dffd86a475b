package org.cityvision.models.training;

import java.util.Locale;

/**
 * Batch-level image mixing in phase 2, a regulariser for small datasets: pairs of images in a batch
 * are blended and so are their targets.
 *
 * @param kind {@code NONE}; {@code CUTMIX} pastes a box of one image into the other, the targets
 *     mixed by the box's share of the area; {@code MIXUP} blends whole images pixel by pixel
 * @param alpha the mixing share is drawn from Beta(alpha, alpha) (1 = uniform)
 * @param probability share of batches that are mixed; the others train on plain images
 */
public record MixSpec(Kind kind, double alpha, double probability) {
  public enum Kind {
    NONE,
    CUTMIX,
    MIXUP
  }

  public static final MixSpec NONE = new MixSpec(Kind.NONE, 1, 0);

  public MixSpec {
    if (kind == null) {
      throw new IllegalArgumentException("mixing kind is required");
    }
    if (!(alpha > 0 && alpha <= 10)) {
      throw new IllegalArgumentException("mixing alpha must be in (0, 10], got " + alpha);
    }
    if (!(probability >= 0 && probability <= 1)) {
      throw new IllegalArgumentException(
          "mixing probability must be in [0, 1], got " + probability);
    }
  }

  /**
   * {@code none}, {@code cutmix} or {@code mixup}, optionally followed by {@code :PROBABILITY}
   * (default 0.5) and {@code :ALPHA} (default 1), e.g. {@code cutmix:0.5:1}.
   */
  public static MixSpec parse(String text) {
    String[] parts = text.trim().toLowerCase(Locale.ROOT).split(":", -1);
    Kind kind =
        switch (parts[0]) {
          case "none" -> Kind.NONE;
          case "cutmix" -> Kind.CUTMIX;
          case "mixup" -> Kind.MIXUP;
          default ->
              throw new IllegalArgumentException(
                  "mixing must be none, cutmix or mixup, got '" + text + "'");
        };
    if (parts.length > 3 || (kind == Kind.NONE && parts.length > 1)) {
      throw new IllegalArgumentException(
          "mixing is KIND[:PROBABILITY[:ALPHA]], got '" + text + "'");
    }
    if (kind == Kind.NONE) {
      return NONE;
    }
    try {
      double probability = parts.length > 1 ? Double.parseDouble(parts[1]) : 0.5;
      double alpha = parts.length > 2 ? Double.parseDouble(parts[2]) : 1;
      return new MixSpec(kind, alpha, probability);
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(
          "mixing is KIND[:PROBABILITY[:ALPHA]] with numbers, got '" + text + "'");
    }
  }

  public boolean active() {
    return kind != Kind.NONE && probability > 0;
  }

  @Override
  public String toString() {
    return kind == Kind.NONE
        ? "none"
        : kind.name().toLowerCase(Locale.ROOT) + ":" + probability + ":" + alpha;
  }
}
