package org.cityvision.datasets.split;

import java.io.IOException;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.cityvision.core.digest.Sha256;
import org.cityvision.datasets.DatasetException;
import org.cityvision.datasets.folder.Sample;

/**
 * Groups images that must stay in one split because they are copies of one picture. Three signals,
 * all from what the data itself says:
 *
 * <ul>
 *   <li>identical file contents (SHA-256): TrashNet has byte-identical images filed under two
 *       classes (glass115 = metal91, ...);
 *   <li>the manifest's {@code group} column, for datasets that know their groups (reviewed frames);
 *   <li>Roboflow export names, {@code <original>_<ext>.rf.<hash>.jpg}: augmented copies of one
 *       original share everything before {@code .rf.}, once Roboflow's own {@code train_}/ {@code
 *       valid_}/{@code test_} prefix is removed.
 * </ul>
 *
 * Near-duplicates that none of these reveal (the same object photographed twice) are not found.
 *
 * <p>Stateless and thread-safe.
 */
public final class DuplicateGroups {
  private static final Pattern ROBOFLOW =
      Pattern.compile("^(?:(?:train|valid|test)_)?(.+)\\.rf\\.[0-9a-f]{32}\\.[a-z]+$");

  private DuplicateGroups() {}

  /** The group id of each sample (index into {@code samples}); samples alone get their own id. */
  public static int[] of(List<Sample> samples) throws DatasetException {
    int n = samples.size();
    int[] parent = new int[n];
    for (int i = 0; i < n; i++) {
      parent[i] = i;
    }
    Map<String, Integer> firstByKey = new HashMap<>();
    for (int i = 0; i < n; i++) {
      Sample s = samples.get(i);
      join(parent, firstByKey, "sha256:" + sha256(s), i);
      if (!s.group().isEmpty()) {
        join(parent, firstByKey, "group:" + s.source() + ":" + s.group(), i);
      }
      String roboflow = roboflowOriginal(s.fileName());
      if (roboflow != null) {
        join(parent, firstByKey, "rf:" + s.source() + ":" + roboflow, i);
      }
    }
    int[] groups = new int[n];
    for (int i = 0; i < n; i++) {
      groups[i] = find(parent, i);
    }
    return groups;
  }

  /**
   * The original picture a Roboflow export file came from, or null when the name is not one. Our
   * datasets prefix names with {@code <source>__<class>__}; that prefix is dropped too, so copies
   * filed under different classes still meet.
   */
  static String roboflowOriginal(String fileName) {
    String name = fileName;
    int marker = name.lastIndexOf("__");
    if (marker >= 0) {
      name = name.substring(marker + 2);
    }
    Matcher m = ROBOFLOW.matcher(name);
    return m.matches() ? m.group(1) : null;
  }

  private static void join(int[] parent, Map<String, Integer> firstByKey, String key, int i) {
    Integer first = firstByKey.putIfAbsent(key, i);
    if (first != null) {
      int a = find(parent, first);
      int b = find(parent, i);
      if (a != b) {
        parent[Math.max(a, b)] = Math.min(a, b);
      }
    }
  }

  private static int find(int[] parent, int i) {
    while (parent[i] != i) {
      parent[i] = parent[parent[i]];
      i = parent[i];
    }
    return i;
  }

  private static String sha256(Sample s) throws DatasetException {
    try {
      return Sha256.hex(s.file());
    } catch (IOException e) {
      throw new DatasetException("cannot read " + s.file() + ": " + e.getMessage(), e);
    }
  }
}
