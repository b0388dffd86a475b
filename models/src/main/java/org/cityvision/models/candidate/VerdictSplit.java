package org.cityvision.models.candidate;

import java.nio.ByteBuffer;
import org.cityvision.core.digest.Sha256;

/**
 * The deterministic split of verdicts by frame id: SHA-256 of the id decides, so a frame stays in
 * the same part for every candidate of every node, whatever order verdicts arrive in. The holdout
 * is never trained on; it is where a candidate and the live model are compared.
 *
 * <p>Within the training part a second, independently salted hash sets aside an inner validation
 * part, on which the trainer chooses how much the verdicts weigh against the replay set: a choice
 * made on the holdout would make the holdout comparison optimistic.
 *
 * <p>Stateless and thread-safe.
 */
public final class VerdictSplit {
  /** Share of verdicts in the holdout. */
  public static final double HOLDOUT = 0.2;

  /** Share of the training verdicts used as inner validation while choosing the verdict weight. */
  public static final double INNER_VALIDATION = 0.2;

  private VerdictSplit() {}

  /** Whether the frame's verdict belongs to the holdout (about {@link #HOLDOUT} of all frames). */
  public static boolean isHoldout(String frameId) {
    return unit("holdout:", frameId) < HOLDOUT;
  }

  /** Whether a training verdict belongs to the inner validation part. */
  static boolean isInnerValidation(String frameId) {
    return unit("inner:", frameId) < INNER_VALIDATION;
  }

  /** A number in [0, 1) from the salted SHA-256 of the id. */
  static double unit(String salt, String frameId) {
    long bits = ByteBuffer.wrap(Sha256.of(salt + frameId)).getLong() >>> 11;
    return bits / (double) (1L << 53);
  }
}
