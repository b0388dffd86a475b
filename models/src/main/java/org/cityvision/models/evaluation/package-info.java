/** Evaluating a model package on a dataset split: metrics, thresholds, reports and pictures. */
package org.cityvision.models.evaluation;
