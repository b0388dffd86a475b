/**
 * Candidates in the shadow of the live models: every node runs a shadowed candidate on a sample of
 * live traffic, off the request path, and records how often it agrees with the live answer and,
 * once reviewers give verdicts, which of the two was right.
 */
package org.cityvision.serving.shadow;
