package org.cityvision.core.classify;

import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import org.cityvision.core.digest.Sha256;
import org.cityvision.core.frame.FrameId;

/**
 * Chooses the unflagged camera frames that join the review queue as {@code audit} items, by each
 * model's {@link AuditRule}: a sample of every answer, more of the least-confident {@code normal}
 * answers, at most {@link AuditRule#perCameraPerHour} per camera and clock hour.
 *
 * <h2>Why by frame-id hash</h2>
 *
 * Whether a frame is sampled depends only on its id (SHA-256 of {@code "audit:" + frameId}), not on
 * a random draw: two nodes agree on the same frame, and a retried write of a frame samples it again
 * and finds its audit flag already there (flags are created once), so a frame is never audited
 * twice. The salt keeps the audit sample independent of the candidate's holdout split, which hashes
 * the bare id.
 *
 * <p>The per-camera cap is counted on each node, in memory: with several nodes a camera may add up
 * to the cap per node. Thread-safe.
 */
public final class AuditSampler {
  /** Audits nothing. */
  public static final AuditSampler NONE = new AuditSampler(Map.of());

  /** The label whose least-confident answers are over-sampled. */
  public static final String NORMAL = "normal";

  /** Windows kept before old hours are dropped (bounds memory with many cameras). */
  private static final int MAX_WINDOWS = 100_000;

  private final Map<String, AuditRule> rules;
  private final ConcurrentHashMap<String, long[]> windows = new ConcurrentHashMap<>();

  /**
   * @param rules by model name; a model without a rule is not audited
   */
  public AuditSampler(Map<String, AuditRule> rules) {
    this.rules = Map.copyOf(rules);
  }

  /** Whether any model is audited. */
  public boolean enabled() {
    return !rules.isEmpty();
  }

  /**
   * Whether this unflagged frame's answer becomes an audit item, and if so with which label (the
   * model's own answer, for the reviewer to confirm or relabel). Counts it against its camera's
   * cap.
   *
   * @param frameId the stored frame's id (its camera is part of it)
   * @param c the frame's classification, which did not flag
   * @param now when it was classified (its clock hour is the cap's window)
   */
  public Optional<LabelScore> decide(String frameId, Classification c, Instant now) {
    AuditRule rule = rules.get(c.model());
    if (rule == null) {
      return Optional.empty();
    }
    double u = unit(frameId);
    boolean leastConfident = c.label().equals(NORMAL) && c.score() < rule.normalBelow();
    if (!(u < rule.rate() || (leastConfident && u < rule.normalRate()))) {
      return Optional.empty();
    }
    String camera = FrameId.parse(frameId).cameraId();
    long hour = now.truncatedTo(ChronoUnit.HOURS).getEpochSecond();
    if (windows.size() > MAX_WINDOWS) {
      windows.values().removeIf(w -> w[0] != hour);
    }
    long[] window =
        windows.compute(
            c.model() + "/" + camera,
            (k, w) -> {
              if (w == null || w[0] != hour) {
                return new long[] {hour, 1};
              }
              w[1]++;
              return w;
            });
    if (window[1] > rule.perCameraPerHour()) {
      return Optional.empty();
    }
    return Optional.of(new LabelScore(c.label(), Math.min(1.0, c.score())));
  }

  /** A number in [0, 1) from the frame id's salted SHA-256. */
  static double unit(String frameId) {
    byte[] d = Sha256.of("audit:" + frameId);
    long v = 0;
    for (int i = 0; i < 7; i++) {
      v = (v << 8) | (d[i] & 0xff);
    }
    return v / (double) (1L << 56);
  }
}
