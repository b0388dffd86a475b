package org.cityvision.core.review;

import java.time.Instant;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import org.cityvision.core.naming.Names;

/**
 * Exact counts of the review queue, maintained by the store as flags are created, judged and
 * deleted (see {@code FrameStore.flagCounts()}): flags per status, and open flags per camera and
 * per flagged label. Immutable; thread-safe.
 *
 * @param revision the counter record's revision in the store; 0 before the first flag was counted
 * @param updatedAt when that revision was written, or {@code null} for revision 0
 * @param statuses flags per status, by {@link FlagStatus#keyName()}; every status is present
 * @param openByCamera open flags per camera id; cameras with none are absent
 * @param openByLabel open flags per flagged label; labels with none are absent
 * @param changes the queue changes this revision counted, oldest first (at most {@link
 *     #MAX_CHANGES}; a revision that counted more lists none and sets {@code changesDropped});
 *     empty for a recount
 * @param changesDropped how many changes this revision counted without listing them
 */
public record FlagCounts(
    long revision,
    Instant updatedAt,
    Map<String, Long> statuses,
    Map<String, Long> openByCamera,
    Map<String, Long> openByLabel,
    List<FlagChange> changes,
    long changesDropped) {
  /** A revision lists at most this many changes. */
  public static final int MAX_CHANGES = 1000;

  public FlagCounts {
    changes = changes == null ? List.of() : List.copyOf(changes);
    if (changes.size() > MAX_CHANGES) {
      throw new IllegalArgumentException(
          "a revision lists at most " + MAX_CHANGES + " changes, got " + changes.size());
    }
    if (changesDropped < 0) {
      throw new IllegalArgumentException(
          "changesDropped must not be negative, got " + changesDropped);
    }
    if (revision < 0) {
      throw new IllegalArgumentException("revision must not be negative, got " + revision);
    }
    Map<String, Long> all = new TreeMap<>();
    for (FlagStatus s : FlagStatus.values()) {
      all.put(s.keyName(), 0L);
    }
    if (statuses != null) {
      statuses.forEach(
          (k, v) -> all.put(FlagStatus.fromKeyName(k).keyName(), Objects.requireNonNull(v, k)));
    }
    statuses = Collections.unmodifiableMap(all);
    openByCamera = nonZero("cameraId", openByCamera);
    openByLabel = nonZero("label", openByLabel);
  }

  /** No flags at all: what a new store holds. */
  public static FlagCounts empty() {
    return new FlagCounts(0, null, Map.of(), Map.of(), Map.of(), List.of(), 0);
  }

  /** Flags of one status. */
  public long of(FlagStatus status) {
    return statuses.get(status.keyName());
  }

  private static Map<String, Long> nonZero(String what, Map<String, Long> in) {
    Map<String, Long> out = new TreeMap<>();
    if (in != null) {
      in.forEach(
          (k, v) -> {
            Names.requireSegment(what, k);
            if (Objects.requireNonNull(v, k) != 0) {
              out.put(k, v);
            }
          });
    }
    return Collections.unmodifiableMap(out);
  }
}
