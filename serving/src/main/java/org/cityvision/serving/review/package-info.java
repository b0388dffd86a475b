/**
 * The review queue over HTTP: reviewers browse, judge and audit flagged frames; the review page.
 */
package org.cityvision.serving.review;
