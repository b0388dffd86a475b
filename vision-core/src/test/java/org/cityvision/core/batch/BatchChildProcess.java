package org.cityvision.core.batch;

import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import org.cityvision.core.classify.Classifier;
import org.cityvision.core.model.ModelPackage;
import org.cityvision.core.storage.FrameStore;

/**
 * Child process of {@link BatchKillResumeTest}: runs a batch job and prints {@code JOB id} and then
 * {@code PROGRESS processed} at each checkpoint, until the parent kills it. Nothing is closed on
 * purpose: the process must die the way a crashed node does.
 *
 * <p>Arguments: S3 endpoint, bucket, data directory, model package directory, prefix.
 */
public final class BatchChildProcess {
  private BatchChildProcess() {}

  public static void main(String[] args) throws Exception {
    PrintStream out = new PrintStream(System.out, true, StandardCharsets.UTF_8);
    FrameStore store = BatchFixture.open(args[0], Path.of(args[2]), args[1]);
    Classifier classifier =
        Classifier.open(ModelPackage.read(Path.of(args[3])), BatchFixture.classifierOptions());
    BatchOptions options =
        BatchOptions.defaults()
            .withParallelism(4)
            .withPageSize(10)
            .withCheckpointEvery(Duration.ofMillis(50));
    BatchJob job =
        BatchJob.create(
            store,
            classifier,
            new BatchRequest("urban", args[4], false),
            options,
            Clock.systemUTC());
    out.println("JOB " + job.jobId());
    BatchProgress end = job.run(p -> out.println("PROGRESS " + p.counts().processed()));
    out.println("END " + end.status());
    System.in.read();
  }
}
