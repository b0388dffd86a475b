package org.cityvision.models.evaluation;

/**
 * One class's scores.
 *
 * @param label the class
 * @param precision of predictions of this class, the fraction that were right (0 when never
 *     predicted)
 * @param recall of images of this class, the fraction found
 * @param f1 harmonic mean of precision and recall
 * @param support images of this class
 */
public record ClassMetrics(String label, double precision, double recall, double f1, int support) {}
