/**
 * Reviewers' verdicts out of the store as an ImageFolder dataset with a manifest, for retraining.
 */
package org.cityvision.datasets.export;
