package org.cityvision.models.training;

/**
 * One epoch's numbers, for the log, {@code model.json} and the training-curves picture.
 *
 * @param phase {@code head} (phase 1, cached features) or {@code fine-tune} (phase 2)
 * @param epoch 1-based within the phase
 * @param trainLoss mean training loss
 * @param valLoss mean validation negative log-likelihood
 * @param valAccuracy validation accuracy
 * @param valMacroF1 validation macro-F1
 * @param seconds wall time of the epoch
 * @param best whether this epoch is the best so far of the whole run
 */
public record EpochRecord(
    String phase,
    int epoch,
    double trainLoss,
    double valLoss,
    double valAccuracy,
    double valMacroF1,
    double seconds,
    boolean best) {
  public EpochRecord {
    if (phase == null || epoch < 1) {
      throw new IllegalArgumentException("phase is required and epoch is 1-based");
    }
  }
}
