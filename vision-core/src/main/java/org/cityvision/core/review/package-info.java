/** The review of flagged frames: a flag's statuses and the verdicts that move it between them. */
package org.cityvision.core.review;
