package org.cityvision.app.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Instant;
import java.util.concurrent.Callable;
import org.cityvision.app.storage.StorageEndpoint;
import org.cityvision.core.storage.FrameStore;
import org.cityvision.core.storage.RetentionReport;
import org.cityvision.serving.config.RetentionConfig;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code cityvision retention [--dry-run]}: one retention pass over the store {@code serve} uses,
 * with the configured {@code retention.*} policy; progress on stderr after each chunk, the counts
 * as one JSON object on stdout. With the embedded store, stop the server first (one process holds
 * it); with MinIO it may run beside the nodes (deletes are idempotent).
 */
@Command(
    name = "retention",
    mixinStandardHelpOptions = true,
    description =
        "Run one retention pass now (retention.* settings): delete expired frames, reviewed flags,"
            + " idempotency records and orphaned thumbnails; --dry-run only counts.")
public final class RetentionCommand extends KeysCommand.StoreOptions implements Callable<Integer> {
  private static final ObjectMapper JSON = new ObjectMapper();

  @Option(names = "--dry-run", description = "count what a pass would delete; delete nothing")
  boolean dryRun;

  @Option(names = "--chunk-size", description = "frames per step (default: retention.chunkSize)")
  Integer chunkSize;

  @Override
  public Integer call() throws Exception {
    RetentionConfig retention = serverConfig().retention();
    int chunk = chunkSize != null ? chunkSize : retention.chunkSize();
    if (chunk < 1 || chunk > 1000) {
      throw new IllegalArgumentException("--chunk-size must be in 1..1000, got " + chunk);
    }
    try (StorageEndpoint endpoint = endpoint();
        FrameStore store = open(endpoint)) {
      System.err.printf(
          "retention%s: frames unflagged for %d days, reviewed flags after %d days, idempotency"
              + " records after %d hours%n",
          dryRun ? " (dry run)" : "",
          retention.frameDays(),
          retention.reviewedFlagDays(),
          retention.idempotencyKeyHours());
      RetentionReport report =
          store.applyRetention(
              retention.policy(),
              Instant.now(),
              chunk,
              dryRun,
              soFar ->
                  System.err.printf(
                      "retention: %d frames scanned, %d %s%n",
                      soFar.framesScanned(),
                      soFar.framesDeleted(),
                      dryRun ? "to delete" : "deleted"));
      ObjectNode answer = JSON.valueToTree(report);
      System.out.println(JSON.writeValueAsString(answer.put("dryRun", dryRun)));
      return 0;
    }
  }
}
