package org.cityvision.app.cli;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/** Reading a child process's output without hanging a test on a process that never writes. */
final class ProcessLines {
  private ProcessLines() {}

  /**
   * The next line of {@code out}, waiting at most {@code seconds}; {@code null} at end of stream.
   */
  static String next(BufferedReader out, long seconds) throws Exception {
    return CompletableFuture.supplyAsync(
            () -> {
              try {
                return out.readLine();
              } catch (IOException e) {
                throw new UncheckedIOException(e);
              }
            })
        .get(seconds, TimeUnit.SECONDS);
  }
}
