/**
 * Candidate models from reviewers' verdicts: a new head (or a lightly fine-tuned backbone) trained
 * on a live package's replay set plus the verdicts, and its side-by-side evaluation against the
 * live model.
 */
package org.cityvision.models.candidate;
