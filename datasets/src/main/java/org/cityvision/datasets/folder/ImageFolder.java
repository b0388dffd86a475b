package org.cityvision.datasets.folder;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.cityvision.datasets.DatasetException;

/**
 * An image dataset laid out as one folder per class (an "ImageFolder"), possibly merged from
 * several folders: the main dataset plus extra ones such as exported reviewed frames. Folders whose
 * name starts with {@code _} or {@code .} are skipped (rejected or unsorted images), and so are
 * files that are not JPEG or PNG. Labels are the sorted union of the class folders' names: that
 * order is the model's output order.
 *
 * @param roots the folders read, main first
 * @param labels class labels, sorted
 * @param samples every image, ordered by id
 */
public record ImageFolder(List<Path> roots, List<String> labels, List<Sample> samples) {
  private static final Set<String> EXTENSIONS = Set.of("jpg", "jpeg", "png");

  public ImageFolder {
    roots = List.copyOf(roots);
    labels = List.copyOf(labels);
    samples = List.copyOf(samples);
    if (labels.size() < 2) {
      throw new IllegalArgumentException("a dataset needs at least 2 classes, got " + labels);
    }
  }

  /** Reads one ImageFolder and its manifest (see {@link Manifest#find}). */
  public static ImageFolder read(Path root) throws DatasetException {
    return read(root, List.of());
  }

  /**
   * Reads the main folder and extra folders into one dataset. Ids of extra samples are prefixed
   * with the extra folder's name so they cannot collide with the main dataset's.
   */
  public static ImageFolder read(Path root, List<Path> extras) throws DatasetException {
    List<Path> roots = new ArrayList<>();
    roots.add(root);
    roots.addAll(extras);
    Set<String> labels = new TreeSet<>();
    List<Sample> samples = new ArrayList<>();
    for (int i = 0; i < roots.size(); i++) {
      Path dir = roots.get(i);
      String prefix = i == 0 ? "" : dir.toAbsolutePath().normalize().getFileName() + ":";
      readOne(dir, prefix, labels, samples);
    }
    samples.sort(Comparator.comparing(Sample::id));
    for (int i = 1; i < samples.size(); i++) {
      if (samples.get(i).id().equals(samples.get(i - 1).id())) {
        throw new DatasetException(
            "two images have the id "
                + samples.get(i).id()
                + ": give extra data folders distinct names");
      }
    }
    if (labels.size() < 2) {
      throw new DatasetException(
          "dataset "
              + root.toAbsolutePath()
              + " has "
              + labels.size()
              + " class folder(s) with images; a classifier needs at least 2");
    }
    return new ImageFolder(roots, new ArrayList<>(labels), samples);
  }

  private static void readOne(Path root, String idPrefix, Set<String> labels, List<Sample> out)
      throws DatasetException {
    if (!Files.isDirectory(root)) {
      throw new DatasetException(
          "dataset folder " + root.toAbsolutePath() + " does not exist or is not a folder");
    }
    Manifest manifest = Manifest.find(root);
    List<Path> classDirs;
    try (Stream<Path> children = Files.list(root)) {
      classDirs = children.filter(Files::isDirectory).filter(d -> !skipped(d)).sorted().toList();
    } catch (IOException e) {
      throw new DatasetException("cannot list dataset folder " + root + ": " + e.getMessage(), e);
    }
    for (Path classDir : classDirs) {
      String label = classDir.getFileName().toString();
      List<Path> files;
      try (Stream<Path> children = Files.list(classDir)) {
        files =
            children.filter(Files::isRegularFile).filter(ImageFolder::isImage).sorted().toList();
      } catch (IOException e) {
        throw new DatasetException(
            "cannot list class folder " + classDir + ": " + e.getMessage(), e);
      }
      if (files.isEmpty()) {
        continue;
      }
      labels.add(label);
      for (Path file : files) {
        String name = file.getFileName().toString();
        Manifest.Row row = manifest.row(label, name).orElse(null);
        String source =
            row == null || row.get("source").isBlank() ? sourceFromName(name) : row.get("source");
        String group = row == null ? null : row.get("group");
        out.add(new Sample(idPrefix + label + "/" + name, file, label, source, group));
      }
    }
  }

  /**
   * The source tag a file name carries, {@code <source>__<rest>} (the layout of the shared
   * datasets' extra folders, whose manifests name a repository rather than a source tag), else
   * null.
   */
  static String sourceFromName(String name) {
    int cut = name.indexOf("__");
    return cut > 0 ? name.substring(0, cut) : null;
  }

  private static boolean skipped(Path dir) {
    String name = dir.getFileName().toString();
    return name.startsWith("_") || name.startsWith(".");
  }

  private static boolean isImage(Path file) {
    String name = file.getFileName().toString();
    int dot = name.lastIndexOf('.');
    return dot > 0 && EXTENSIONS.contains(name.substring(dot + 1).toLowerCase(Locale.ROOT));
  }

  /** Images per class, in label order. */
  public Map<String, Integer> classCounts() {
    Map<String, Integer> counts = new TreeMap<>();
    labels.forEach(l -> counts.put(l, 0));
    samples.forEach(s -> counts.merge(s.label(), 1, Integer::sum));
    return counts;
  }

  /** Images per source. */
  public Map<String, Integer> sourceCounts() {
    Map<String, Integer> counts = new TreeMap<>();
    samples.forEach(s -> counts.merge(s.source(), 1, Integer::sum));
    return counts;
  }

  /** A label's index in {@link #labels()}. */
  public int labelIndex(String label) {
    int i = labels.indexOf(label);
    if (i < 0) {
      throw new IllegalArgumentException("unknown label '" + label + "'; labels are " + labels);
    }
    return i;
  }
}
