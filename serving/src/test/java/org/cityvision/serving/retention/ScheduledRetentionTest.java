package org.cityvision.serving.retention;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.locks.LockSupport;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.cityvision.core.frame.FrameUpload;
import org.cityvision.core.storage.FrameStore;
import org.cityvision.core.storage.ObjectNotFoundException;
import org.cityvision.core.testing.TestImages;
import org.cityvision.s3server.EmbeddedS3Server;
import org.cityvision.serving.ServingNode;
import org.cityvision.serving.config.RetentionConfig;
import org.cityvision.serving.config.Secrets;
import org.cityvision.serving.config.ServerConfig;
import org.cityvision.serving.config.StoreConfig;
import org.cityvision.serving.testing.ServingFixture;
import org.cityvision.serving.testing.TestClient;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Retention inside {@code serve}: scheduled, one node per slot through the store's lease, visible
 * in /metrics.
 */
class ScheduledRetentionTest {
  private static final long INTERVAL = 2;
  @TempDir Path dir;

  @Test
  void twoNodesRunOnePassPerSlotAndReportItInMetrics() throws Exception {
    try (EmbeddedS3Server s3 =
        EmbeddedS3Server.start(dir.resolve("s3"), 0, "ret-access", "ret-secret-0123")) {
      Secrets secrets = new Secrets(ServingFixture.ADMIN_KEY, "ret-access", "ret-secret-0123");
      List<ServingNode> nodes = new ArrayList<>();
      try {
        nodes.add(ServingFixture.start(node(s3, dir.resolve("a"), false), secrets));
        FrameStore store = nodes.get(0).store();
        List<String> old = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
          old.add(
              store
                  .putFrame(
                      new FrameUpload(
                          "cam-r",
                          Instant.now().minus(Duration.ofDays(40)).plusSeconds(i),
                          "image/jpeg",
                          TestImages.jpeg(64, 48, i),
                          TestImages.jpeg(32, 24, i)))
                  .frameId());
        }
        String young =
            store
                .putFrame(
                    new FrameUpload(
                        "cam-r", Instant.now(), "image/jpeg", TestImages.jpeg(64, 48, 99), null))
                .frameId();
        ServingFixture.stop(nodes.remove(0));
        Instant start = Instant.now();
        nodes.add(ServingFixture.start(node(s3, dir.resolve("a"), true), secrets));
        nodes.add(ServingFixture.start(node(s3, dir.resolve("b"), true), secrets));

        long deadline = System.nanoTime() + 60_000_000_000L;
        while (runs(nodes) < 3 && System.nanoTime() < deadline) {
          LockSupport.parkNanos(100_000_000);
        }
        FrameStore any = nodes.get(1).store();
        Instant end = Instant.now();
        long claimedSlots = 0;
        // Every slot from the one holding start to the one holding end (stepping from start could
        // skip the last), plus the next, so that no pass starting after end goes uncounted.
        for (Instant t = start;
            !t.isAfter(end.plusSeconds(INTERVAL));
            t = t.plusSeconds(INTERVAL)) {
          // A slot some node claimed cannot be claimed again.
          if (!any.claimLease(
              RetentionMaintainer.LEASE,
              RetentionMaintainer.slotName(t, INTERVAL),
              JsonNodeFactory.instance.objectNode())) {
            claimedSlots++;
          }
        }
        long runs = runs(nodes);

        assertTrue(runs >= 3, "passes ran on schedule: " + runs);
        assertTrue(
            runs <= claimedSlots,
            "at most one pass per slot: " + runs + " passes, " + claimedSlots + " slots");
        for (String id : old) {
          assertGone(any, id);
        }
        assertEquals(young, any.frame(young).frameId());
        String metrics = metrics(nodes.get(0)) + metrics(nodes.get(1));
        assertTrue(
            metrics.contains("cityvision_retention_deleted_total{kind=\"frames\"}"), metrics);
        assertEquals(
            20, sum(metrics, "cityvision_retention_deleted_total\\{kind=\"frames\"\\} (\\d+)"));
      } finally {
        for (ServingNode n : nodes) {
          ServingFixture.stop(n);
        }
      }
    }
  }

  private static ServerConfig node(EmbeddedS3Server s3, Path data, boolean retention) {
    ServerConfig c = ServingFixture.config(data);
    StoreConfig s = c.storage();
    return c.withStorage(
            new StoreConfig(
                s3.endpoint(), s.region(), "retention", false, s.spoolMaxBytes(), 5_000, 5_000))
        .withRetention(new RetentionConfig(retention, 30, 90, 24, INTERVAL, 7));
  }

  private static long runs(List<ServingNode> nodes) {
    long total = 0;
    for (ServingNode n : nodes) {
      total += sum(metrics(n), "cityvision_retention_runs_total\\{outcome=\"completed\"\\} (\\d+)");
    }
    return total;
  }

  private static String metrics(ServingNode node) {
    try (TestClient http = new TestClient(node.port())) {
      return http.get("/metrics", null).text();
    }
  }

  private static long sum(String text, String regex) {
    long total = 0;
    Matcher m = Pattern.compile(regex).matcher(text);
    while (m.find()) {
      total += Long.parseLong(m.group(1));
    }
    return total;
  }

  private static void assertGone(FrameStore store, String frameId) throws Exception {
    try {
      store.frame(frameId);
      throw new AssertionError("frame " + frameId + " is still stored");
    } catch (ObjectNotFoundException expected) {
      assertFalse(store.results(frameId).iterator().hasNext());
    }
  }
}
