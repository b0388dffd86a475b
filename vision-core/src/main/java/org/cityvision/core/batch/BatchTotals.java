package org.cityvision.core.batch;

import java.util.Map;
import org.cityvision.core.job.JobStatus;

/**
 * What the batch jobs of one node did since it started, for monitoring.
 *
 * @param running jobs running on the node now
 * @param ended jobs that ended on the node, by final status
 * @param classified frames classified by jobs on the node (a resumed job counts only what it did
 *     here)
 * @param skipped frames skipped (already classified by the model version)
 * @param failed frames that failed
 */
public record BatchTotals(
    int running, Map<JobStatus, Long> ended, long classified, long skipped, long failed) {
  public BatchTotals {
    ended = Map.copyOf(ended);
  }
}
