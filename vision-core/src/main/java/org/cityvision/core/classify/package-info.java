/** Classifying images with a model package: predictor pool, dynamic batching, back-pressure. */
package org.cityvision.core.classify;
