package org.cityvision.models.training;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.cityvision.datasets.augment.Compositor;

/**
 * Which phase-1 views are composited (see {@code Compositor}): images of {@code sources} (items
 * shot on a plain sheet, such as TrashNet's), with {@code probability} per augmented view, onto
 * procedural backgrounds and, when {@code scenes} is set, random crops of the photos under that
 * folder.
 *
 * @param sources source tags whose images are items on a plain sheet
 * @param probability chance that an augmented view of such an image is composited, 0..1
 * @param scenes a folder of photos (searched recursively for JPEGs) for backgrounds, or null
 * @param minScale the smallest scale an item is placed at ({@code Compositor#MIN_SCALE} by default)
 */
public record CompositeSpec(Set<String> sources, double probability, Path scenes, double minScale) {
  public static final CompositeSpec OFF =
      new CompositeSpec(Set.of(), 0, null, Compositor.MIN_SCALE);

  public CompositeSpec(Set<String> sources, double probability, Path scenes) {
    this(sources, probability, scenes, Compositor.MIN_SCALE);
  }

  public CompositeSpec {
    sources = Set.copyOf(new TreeSet<>(sources));
    if (!(probability >= 0 && probability <= 1)) {
      throw new IllegalArgumentException(
          "compositing probability must be in 0..1, got " + probability);
    }
    if (probability > 0 && sources.isEmpty()) {
      throw new IllegalArgumentException("compositing needs at least one source tag");
    }
    if (!(minScale >= 0.1 && minScale <= 1)) {
      throw new IllegalArgumentException(
          "--composite-min-scale must be in 0.1..1, got " + minScale);
    }
  }

  /** {@code SOURCE[,SOURCE...]:PROBABILITY}, e.g. {@code trashnet:0.5}. */
  public static CompositeSpec parse(String text, Path scenes) {
    return parse(text, scenes, Compositor.MIN_SCALE);
  }

  /** As {@link #parse(String, Path)}, placing items down to {@code minScale} of their size. */
  public static CompositeSpec parse(String text, Path scenes, double minScale) {
    SourceShare parsed =
        SourceShare.parse(
            text, "--composite must be SOURCE[,SOURCE...]:PROBABILITY", "--composite probability");
    return new CompositeSpec(parsed.sources(), parsed.value(), scenes, minScale);
  }

  public boolean isOff() {
    return probability == 0;
  }

  /** The JPEGs under {@link #scenes()}, sorted (none when it is null). */
  List<Path> sceneFiles() {
    if (scenes == null) {
      return List.of();
    }
    try (Stream<Path> files = Files.walk(scenes)) {
      return files
          .filter(Files::isRegularFile)
          .filter(f -> f.getFileName().toString().toLowerCase(Locale.ROOT).endsWith(".jpg"))
          .sorted()
          .toList();
    } catch (IOException e) {
      throw new IllegalArgumentException(
          "cannot list scene photos under " + scenes + ": " + e.getMessage(), e);
    }
  }

  @Override
  public String toString() {
    return isOff()
        ? "none"
        : String.join(",", new TreeSet<>(sources))
            + ":"
            + probability
            + (scenes == null ? "" : " scenes " + scenes.getFileName())
            + (minScale == Compositor.MIN_SCALE ? "" : " from scale " + minScale);
  }
}
