package org.cityvision.core.storage;

import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Instant;
import org.cityvision.core.frame.FrameRecord;

/**
 * Child process of {@link SpoolRecoveryTest}: stores frames while MinIO is unreachable, so they
 * land in the spool, prints each frame id, then waits to be killed without closing anything.
 *
 * <p>Arguments: data directory, unreachable endpoint, bucket, frame count.
 */
public final class SpoolWriterProcess {
  private SpoolWriterProcess() {}

  public static void main(String[] args) throws Exception {
    PrintStream out = new PrintStream(System.out, true, StandardCharsets.UTF_8);
    StorageConfig config = StoreFixture.config(args[1], Path.of(args[0]), args[2]);
    FrameStore store = FrameStores.open(config);
    int count = Integer.parseInt(args[3]);
    for (int i = 0; i < count; i++) {
      FrameRecord frame =
          store.putFrame(
              StoreFixture.upload(
                  "cam-child", Instant.parse("2025-06-01T00:00:00Z").plusSeconds(i), 20_000, i));
      out.println("SPOOLED " + frame.frameId() + " " + frame.sha256() + " " + frame.durability());
    }
    out.println("READY");
    // Block until the parent kills this process; nothing is closed on purpose.
    System.in.read();
  }
}
