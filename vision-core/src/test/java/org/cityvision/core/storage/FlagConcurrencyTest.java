package org.cityvision.core.storage;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.cityvision.core.frame.FrameId;
import org.cityvision.core.review.FlagQuery;
import org.cityvision.core.review.FlagRecord;
import org.cityvision.core.review.FlagReview;
import org.cityvision.core.review.FlagStatus;
import org.cityvision.core.review.Verdict;
import org.cityvision.s3server.EmbeddedS3Server;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two parties updating one flag, or claiming one idempotency key, from two store instances (two
 * serving nodes) at the same moment: exactly one wins, the others get a typed conflict.
 */
class FlagConcurrencyTest {
  private static final Instant T0 = Instant.parse("2025-06-01T12:00:00Z");

  @TempDir static Path serverDir;
  private static EmbeddedS3Server server;

  @BeforeAll
  static void startServer() throws Exception {
    server = StoreFixture.server(serverDir);
  }

  @AfterAll
  static void stopServer() {
    server.close();
  }

  /** Runs all tasks released at once; returns each task's outcome (value or exception). */
  private static List<Object> race(List<Callable<Object>> tasks) throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(tasks.size());
    try {
      CountDownLatch start = new CountDownLatch(1);
      List<Future<Object>> futures = new ArrayList<>();
      for (Callable<Object> task : tasks) {
        futures.add(
            pool.submit(
                () -> {
                  start.await();
                  return task.call();
                }));
      }
      start.countDown();
      List<Object> outcomes = new ArrayList<>();
      for (Future<Object> f : futures) {
        try {
          outcomes.add(f.get());
        } catch (ExecutionException e) {
          outcomes.add(e.getCause());
        }
      }
      return outcomes;
    } finally {
      pool.shutdown();
    }
  }

  @Test
  void exactlyOneOfConcurrentReviewersWinsAndTheOthersGetConflict(
      TestInfo info, @TempDir Path nodeA, @TempDir Path nodeB) throws Exception {
    String bucket = StoreFixture.bucket(info.getTestMethod().orElseThrow().getName());
    try (MinioFrameStore a = StoreFixture.open(server, nodeA, bucket);
        MinioFrameStore b = StoreFixture.open(server, nodeB, bucket)) {
      int flags = 15;
      for (int i = 0; i < flags; i++) {
        String frameId = FrameId.generate("cam-1", T0.plusSeconds(i)).value();
        a.createFlag(FlagRecord.open(frameId, "pothole", 0.7, "urban", "1.0.0", T0));

        List<Object> outcomes =
            race(
                List.of(
                    () ->
                        a.reviewFlag(
                            new FlagReview(frameId, Verdict.CONFIRM, null, null, "alice", false)),
                    () ->
                        b.reviewFlag(
                            new FlagReview(frameId, Verdict.REJECT, null, null, "bob", false)),
                    () ->
                        a.reviewFlag(
                            new FlagReview(
                                frameId, Verdict.RELABEL, "crack", null, "carol", false)),
                    () ->
                        b.reviewFlag(
                            new FlagReview(frameId, Verdict.CONFIRM, null, null, "dave", false))));

        List<FlagRecord> winners =
            outcomes.stream()
                .filter(FlagRecord.class::isInstance)
                .map(FlagRecord.class::cast)
                .toList();
        assertEquals(1, winners.size(), "outcomes " + outcomes);
        assertTrue(
            outcomes.stream()
                .filter(o -> !(o instanceof FlagRecord))
                .allMatch(ConflictException.class::isInstance),
            "outcomes " + outcomes);
        assertEquals(winners.get(0), b.flag(frameId));
        assertEquals(2, winners.get(0).revision());
      }
      assertEquals(flags, a.listReviews(null, 1000).items().size());
      assertTrue(a.listFlags(FlagQuery.of(FlagStatus.OPEN, 100)).items().isEmpty());
    }
  }

  @Test
  void idempotencyKeyIsClaimedByExactlyOneNode(
      TestInfo info, @TempDir Path nodeA, @TempDir Path nodeB) throws Exception {
    String bucket = StoreFixture.bucket(info.getTestMethod().orElseThrow().getName());
    try (MinioFrameStore a = StoreFixture.open(server, nodeA, bucket);
        MinioFrameStore b = StoreFixture.open(server, nodeB, bucket)) {
      for (int key = 0; key < 10; key++) {
        String idempotencyKey = "post-frame-" + key;
        List<Callable<Object>> claims = new ArrayList<>();
        for (int caller = 0; caller < 6; caller++) {
          MinioFrameStore node = caller % 2 == 0 ? a : b;
          JsonNode value = JsonNodeFactory.instance.objectNode().put("caller", caller);
          claims.add(() -> node.claimIdempotencyKey(idempotencyKey, value));
        }

        List<Object> outcomes = race(claims);

        long claimed = outcomes.stream().filter(Optional.empty()::equals).count();
        assertEquals(1, claimed, "outcomes " + outcomes);
        JsonNode stored =
            outcomes.stream()
                .filter(o -> !Optional.empty().equals(o))
                .map(o -> ((Optional<?>) o).orElseThrow())
                .map(JsonNode.class::cast)
                .findFirst()
                .orElseThrow();
        assertTrue(
            outcomes.stream()
                .filter(o -> !Optional.empty().equals(o))
                .allMatch(o -> Optional.of(stored).equals(o)),
            "outcomes " + outcomes);
      }
    }
  }
}
