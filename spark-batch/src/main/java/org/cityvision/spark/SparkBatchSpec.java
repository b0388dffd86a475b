package org.cityvision.spark;

import java.io.Serializable;
import java.util.Objects;
import org.cityvision.core.batch.BatchRequest;
import org.cityvision.core.naming.Names;

/**
 * What every task of a Spark batch job needs, shipped to executors with the tasks: no secrets
 * (executors read MinIO credentials from their environment, see {@link ExecutorResources}).
 *
 * @param jobId the job's id in the store
 * @param task the task whose model classifies
 * @param prefix the key prefix under {@code frames/}
 * @param flag create flags through the model's flag policy
 * @param modelDir the model package folder on every node, or {@link #SPARK_FILES} for a package
 *     shipped with {@code spark-submit --files}
 * @param partitionSize frames per partition (one listing page); 1..1000
 * @param taskParallelism frames in flight within one task
 * @param classifierWorkers inference threads of the one classifier per executor JVM: its cores
 */
public record SparkBatchSpec(
    String jobId,
    String task,
    String prefix,
    boolean flag,
    String modelDir,
    int partitionSize,
    int taskParallelism,
    int classifierWorkers)
    implements Serializable {
  /**
   * The model package came with {@code --files}: it is in {@code SparkFiles.getRootDirectory()}.
   */
  public static final String SPARK_FILES = "spark-files";

  public SparkBatchSpec {
    Names.requireSegment("jobId", jobId);
    new BatchRequest(task, prefix, flag);
    Objects.requireNonNull(modelDir, "modelDir");
    if (partitionSize < 1 || partitionSize > 1000) {
      throw new IllegalArgumentException("partitionSize must be 1..1000, got " + partitionSize);
    }
    if (taskParallelism < 1 || taskParallelism > 64) {
      throw new IllegalArgumentException("taskParallelism must be 1..64, got " + taskParallelism);
    }
    if (classifierWorkers < 1 || classifierWorkers > 64) {
      throw new IllegalArgumentException(
          "classifierWorkers must be 1..64, got " + classifierWorkers);
    }
  }

  public BatchRequest request() {
    return new BatchRequest(task, prefix, flag);
  }
}
