package org.cityvision.models.training;

import java.util.Set;
import java.util.TreeSet;

/**
 * Which training images of street scenes also serve as synthetic ones ({@code SyntheticScenes}): a
 * {@code fraction} of the training split's {@code normal} images from {@code sources} (every source
 * when {@code sources} holds {@link #ALL}) get a changed copy (flooded, or with potholes).
 *
 * @param sources source tags of the street scenes to use, or {@link #ALL}
 * @param fraction share of those images that get a copy, 0..1
 */
public record SceneSpec(Set<String> sources, double fraction) {
  public static final String ALL = "all";

  public static final SceneSpec OFF = new SceneSpec(Set.of(), 0);

  public SceneSpec {
    sources = Set.copyOf(new TreeSet<>(sources));
    if (!(fraction >= 0 && fraction <= 1)) {
      throw new IllegalArgumentException(
          "the share of street scenes used must be in 0..1, got " + fraction);
    }
    if (fraction > 0 && sources.isEmpty()) {
      throw new IllegalArgumentException("synthetic street scenes need at least one source tag");
    }
  }

  /** {@code SOURCE[,SOURCE...]:FRACTION} or {@code all:FRACTION}, e.g. {@code all:0.5}. */
  public static SceneSpec parse(String text) {
    SourceShare parsed =
        SourceShare.parse(
            text,
            "--synthesize-floods and --synthesize-potholes take SOURCE[,SOURCE...]:FRACTION or all:FRACTION",
            "the share of street scenes");
    return new SceneSpec(parsed.sources(), parsed.value());
  }

  public boolean isOff() {
    return fraction == 0;
  }

  /** Whether images of {@code source} are used. */
  boolean covers(String source) {
    return sources.contains(ALL) || sources.contains(source);
  }

  @Override
  public String toString() {
    return isOff() ? "none" : String.join(",", new TreeSet<>(sources)) + ":" + fraction;
  }
}
