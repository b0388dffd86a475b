/**
 * The review queue in the bucket: flag revisions, queue markers and their walk, verdicts, counts,
 * near-duplicate groups and review leases.
 */
package org.cityvision.core.storage.review;
