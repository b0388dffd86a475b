package org.cityvision.core.model;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.IntPredicate;
import java.util.zip.CRC32;
import java.util.zip.CheckedInputStream;
import java.util.zip.CheckedOutputStream;

/**
 * A model package's replay set: the backbone's pooled features of the images the package was
 * trained, validated and tested on, each with its label, split and source. A deployment has no
 * training images, yet must retrain the head on its reviewers' verdicts without forgetting what the
 * package knew: it replays these features beside the new ones, and evaluates a candidate on the
 * package's own validation rows.
 *
 * <p>On disk ({@value #FILE}, big-endian): magic {@code CVRS}, format version, counts, label and
 * source tables, per row a label index, split and source index, then every feature as IEEE 754 half
 * precision (2 bytes: 1280 features cost 2.5 KB per image, so a few thousand images fit a package
 * under 20 MB), and a CRC32 of everything before it. Half precision keeps 11 significant bits: far
 * finer than the spread of a pooled feature across augmented views of one image.
 *
 * <p>Immutable and thread-safe.
 */
public final class ReplaySet {
  /** The file name inside a model package. */
  public static final String FILE = "replay.bin";

  private static final int MAGIC = 0x43565253; // "CVRS"
  private static final int FORMAT = 1;
  private static final int MAX_ROWS = 10_000_000;
  private static final int MAX_FEATURES = 65_536;
  private static final int MAX_NAMES = 65_535;

  /** Which part of the package's data a row came from. */
  public enum Split {
    TRAIN,
    VAL,
    TEST
  }

  private final List<String> labels;
  private final List<String> sources;
  private final int featureSize;
  private final short[] labelOf;
  private final byte[] splitOf;
  private final short[] sourceOf;
  private final short[] halves;

  private ReplaySet(
      List<String> labels,
      List<String> sources,
      int featureSize,
      short[] labelOf,
      byte[] splitOf,
      short[] sourceOf,
      short[] halves) {
    this.labels = List.copyOf(labels);
    this.sources = List.copyOf(sources);
    this.featureSize = featureSize;
    this.labelOf = labelOf;
    this.splitOf = splitOf;
    this.sourceOf = sourceOf;
    this.halves = halves;
  }

  /** Starts a replay set for a model with these labels (in output order) and feature size. */
  public static Builder builder(List<String> labels, int featureSize) {
    return new Builder(labels, featureSize);
  }

  /** The model's labels, in output order. */
  public List<String> labels() {
    return labels;
  }

  /** The distinct source tags, in the order first seen. */
  public List<String> sources() {
    return sources;
  }

  public int featureSize() {
    return featureSize;
  }

  /** Number of rows (images). */
  public int size() {
    return labelOf.length;
  }

  public int labelIndex(int i) {
    return labelOf[i];
  }

  public String label(int i) {
    return labels.get(labelOf[i]);
  }

  public Split split(int i) {
    return Split.values()[splitOf[i]];
  }

  public String source(int i) {
    return sources.get(sourceOf[i]);
  }

  /** Row {@code i}'s features as a new float array. */
  public float[] features(int i) {
    float[] out = new float[featureSize];
    copyFeatures(i, out, 0);
    return out;
  }

  /** Copies row {@code i}'s features into {@code dst} from {@code offset}. */
  public void copyFeatures(int i, float[] dst, int offset) {
    int base = i * featureSize;
    for (int f = 0; f < featureSize; f++) {
      dst[offset + f] = HalfFloat.toFloat(halves[base + f]);
    }
  }

  /** The rows for which {@code keep} holds, with the same labels and sources. */
  public ReplaySet filter(IntPredicate keep) {
    int n = 0;
    int[] rows = new int[size()];
    for (int i = 0; i < size(); i++) {
      if (keep.test(i)) {
        rows[n++] = i;
      }
    }
    short[] l = new short[n];
    byte[] s = new byte[n];
    short[] src = new short[n];
    short[] h = new short[n * featureSize];
    for (int j = 0; j < n; j++) {
      int i = rows[j];
      l[j] = labelOf[i];
      s[j] = splitOf[i];
      src[j] = sourceOf[i];
      System.arraycopy(halves, i * featureSize, h, j * featureSize, featureSize);
    }
    return new ReplaySet(labels, sources, featureSize, l, s, src, h);
  }

  /** Writes the set to {@code file} (through a temporary file and an atomic move). */
  public void write(Path file) throws IOException {
    Path parent = file.toAbsolutePath().getParent();
    Files.createDirectories(parent);
    Path tmp = Files.createTempFile(parent, FILE, ".tmp");
    try {
      try (OutputStream raw = new BufferedOutputStream(Files.newOutputStream(tmp), 1 << 16)) {
        CRC32 crc = new CRC32();
        DataOutputStream out = new DataOutputStream(new CheckedOutputStream(raw, crc));
        out.writeInt(MAGIC);
        out.writeInt(FORMAT);
        out.writeInt(size());
        out.writeInt(featureSize);
        writeNames(out, labels);
        writeNames(out, sources);
        for (int i = 0; i < size(); i++) {
          out.writeShort(labelOf[i]);
          out.writeByte(splitOf[i]);
          out.writeShort(sourceOf[i]);
        }
        for (short h : halves) {
          out.writeShort(h);
        }
        out.flush();
        new DataOutputStream(raw).writeLong(crc.getValue());
      }
      Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    } finally {
      Files.deleteIfExists(tmp);
    }
  }

  /**
   * Reads a replay set, checking its structure and checksum.
   *
   * @throws ModelException the file is missing, truncated, corrupt, or not a replay set
   */
  public static ReplaySet read(Path file) throws ModelException {
    try (InputStream raw = new BufferedInputStream(Files.newInputStream(file), 1 << 16)) {
      CRC32 crc = new CRC32();
      DataInputStream in = new DataInputStream(new CheckedInputStream(raw, crc));
      if (in.readInt() != MAGIC) {
        throw new ModelException(file + " is not a replay set (bad magic)");
      }
      int format = in.readInt();
      if (format != FORMAT) {
        throw new ModelException(
            file + " has replay format " + format + "; this build reads format " + FORMAT);
      }
      int rows = in.readInt();
      int features = in.readInt();
      if (rows < 0 || rows > MAX_ROWS || features < 1 || features > MAX_FEATURES) {
        throw new ModelException(
            file + " declares " + rows + " rows of " + features + " features: out of range");
      }
      List<String> labels = readNames(in, file, "labels");
      List<String> sources = readNames(in, file, "sources");
      short[] l = new short[rows];
      byte[] s = new byte[rows];
      short[] src = new short[rows];
      for (int i = 0; i < rows; i++) {
        l[i] = in.readShort();
        s[i] = in.readByte();
        src[i] = in.readShort();
        if (l[i] < 0
            || l[i] >= labels.size()
            || s[i] < 0
            || s[i] >= Split.values().length
            || src[i] < 0
            || src[i] >= sources.size()) {
          throw new ModelException(
              file + " row " + i + " refers to a label, split or source that does not exist");
        }
      }
      short[] h = new short[Math.multiplyExact(rows, features)];
      for (int i = 0; i < h.length; i++) {
        h[i] = in.readShort();
      }
      long expected = crc.getValue();
      long stored = new DataInputStream(raw).readLong();
      if (stored != expected) {
        throw new ModelException(
            file
                + " is corrupt: checksum "
                + Long.toHexString(stored)
                + " stored, "
                + Long.toHexString(expected)
                + " computed");
      }
      if (raw.read() != -1) {
        throw new ModelException(file + " has bytes after its checksum");
      }
      return new ReplaySet(labels, sources, features, l, s, src, h);
    } catch (EOFException e) {
      throw new ModelException(file + " is truncated", e);
    } catch (IOException e) {
      throw new ModelException("cannot read replay set " + file + ": " + e.getMessage(), e);
    }
  }

  /** The package's replay set, if it ships one; its labels must be the package's. */
  public static Optional<ReplaySet> of(ModelPackage pkg) throws ModelException {
    Path file = pkg.dir().resolve(FILE);
    if (!Files.isRegularFile(file)) {
      return Optional.empty();
    }
    ReplaySet set = read(file);
    if (!set.labels().equals(pkg.spec().labels())) {
      throw new ModelException(
          "replay set labels "
              + set.labels()
              + " differ from model "
              + pkg.spec().name()
              + "'s labels "
              + pkg.spec().labels());
    }
    return Optional.of(set);
  }

  private static void writeNames(DataOutputStream out, List<String> names) throws IOException {
    out.writeInt(names.size());
    for (String name : names) {
      byte[] bytes = name.getBytes(StandardCharsets.UTF_8);
      out.writeShort(bytes.length);
      out.write(bytes);
    }
  }

  private static List<String> readNames(DataInputStream in, Path file, String what)
      throws IOException, ModelException {
    int n = in.readInt();
    if (n < 0 || n > MAX_NAMES) {
      throw new ModelException(file + " declares " + n + " " + what + ": out of range");
    }
    List<String> names = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      byte[] bytes = new byte[in.readUnsignedShort()];
      in.readFully(bytes);
      names.add(new String(bytes, StandardCharsets.UTF_8));
    }
    if (new HashSet<>(names).size() != names.size()) {
      throw new ModelException(file + " repeats a name among its " + what + ": " + names);
    }
    return names;
  }

  /** Collects rows. Not thread-safe. */
  public static final class Builder {
    private final List<String> labels;
    private final int featureSize;
    private final Map<String, Integer> sources = new LinkedHashMap<>();
    private short[] labelOf = new short[256];
    private byte[] splitOf = new byte[256];
    private short[] sourceOf = new short[256];
    private short[] halves;
    private int rows;

    private Builder(List<String> labels, int featureSize) {
      if (labels == null || labels.size() < 2 || new HashSet<>(labels).size() != labels.size()) {
        throw new IllegalArgumentException(
            "a replay set needs at least 2 distinct labels, got " + labels);
      }
      if (labels.size() > Short.MAX_VALUE) {
        throw new IllegalArgumentException(
            "at most " + Short.MAX_VALUE + " labels, got " + labels.size());
      }
      if (featureSize < 1 || featureSize > MAX_FEATURES) {
        throw new IllegalArgumentException(
            "featureSize must be 1.." + MAX_FEATURES + ", got " + featureSize);
      }
      this.labels = List.copyOf(labels);
      this.featureSize = featureSize;
      this.halves = new short[256 * featureSize];
    }

    /**
     * Adds one image's features.
     *
     * @throws IllegalArgumentException the label is not one of the set's, the features have the
     *     wrong length or hold a non-finite value, or the source tag is blank
     */
    public Builder add(float[] features, String label, Split split, String source) {
      int labelIndex = labels.indexOf(label);
      if (labelIndex < 0) {
        throw new IllegalArgumentException("label '" + label + "' is not one of " + labels);
      }
      if (features == null || features.length != featureSize) {
        throw new IllegalArgumentException(
            "expected "
                + featureSize
                + " features, got "
                + (features == null ? "none" : features.length));
      }
      if (split == null || source == null || source.isBlank()) {
        throw new IllegalArgumentException("split and a non-blank source are required");
      }
      Integer sourceIndex = sources.get(source);
      if (sourceIndex == null) {
        if (sources.size() >= MAX_NAMES || sources.size() > Short.MAX_VALUE) {
          throw new IllegalArgumentException("too many sources");
        }
        sourceIndex = sources.size();
        sources.put(source, sourceIndex);
      }
      if (rows == labelOf.length) {
        int grown = rows * 2;
        labelOf = Arrays.copyOf(labelOf, grown);
        splitOf = Arrays.copyOf(splitOf, grown);
        sourceOf = Arrays.copyOf(sourceOf, grown);
        halves = Arrays.copyOf(halves, Math.multiplyExact(grown, featureSize));
      }
      int base = rows * featureSize;
      for (int f = 0; f < featureSize; f++) {
        if (!Float.isFinite(features[f])) {
          throw new IllegalArgumentException("feature " + f + " is " + features[f]);
        }
        halves[base + f] = HalfFloat.fromFloat(features[f]);
      }
      labelOf[rows] = (short) labelIndex;
      splitOf[rows] = (byte) split.ordinal();
      sourceOf[rows] = sourceIndex.shortValue();
      rows++;
      return this;
    }

    public ReplaySet build() {
      return new ReplaySet(
          labels,
          List.copyOf(sources.keySet()),
          featureSize,
          Arrays.copyOf(labelOf, rows),
          Arrays.copyOf(splitOf, rows),
          Arrays.copyOf(sourceOf, rows),
          Arrays.copyOf(halves, rows * featureSize));
    }
  }
}
