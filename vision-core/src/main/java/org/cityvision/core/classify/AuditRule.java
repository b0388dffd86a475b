package org.cityvision.core.classify;

/**
 * How many of a model's unflagged camera frames join the review queue as {@code audit} items, so
 * that reviewers see what the model let pass and catch its false negatives (a flood called {@code
 * normal}). See {@link AuditSampler}.
 *
 * @param rate the share of unflagged frames sampled, 0..1 (0.01: one in a hundred)
 * @param normalBelow a {@code normal} answer whose top score is below this, 0..1, counts as least
 *     confident and is sampled at {@code normalRate} instead (0: no such answers)
 * @param normalRate the share of least-confident {@code normal} answers sampled, {@code rate}..1
 * @param perCameraPerHour audit items one camera may add per clock hour on one node, 1..10,000, so
 *     that no camera fills the queue
 */
public record AuditRule(double rate, double normalBelow, double normalRate, int perCameraPerHour) {
  public AuditRule {
    requireShare("rate", rate);
    requireShare("normalBelow", normalBelow);
    requireShare("normalRate", normalRate);
    if (normalRate < rate) {
      throw new IllegalArgumentException(
          "normalRate must be at least rate ("
              + rate
              + "), got "
              + normalRate
              + ": least-confident normal answers are sampled at least as often as the others");
    }
    if (perCameraPerHour < 1 || perCameraPerHour > 10_000) {
      throw new IllegalArgumentException(
          "perCameraPerHour must be in 1..10000, got " + perCameraPerHour);
    }
  }

  private static void requireShare(String name, double value) {
    if (!(value >= 0 && value <= 1)) {
      throw new IllegalArgumentException(name + " must be in 0..1, got " + value);
    }
  }
}
