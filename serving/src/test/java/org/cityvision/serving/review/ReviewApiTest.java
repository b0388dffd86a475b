package org.cityvision.serving.review;

import static org.cityvision.serving.review.ReviewServer.ADMIN;
import static org.cityvision.serving.review.ReviewServer.ALICE;
import static org.cityvision.serving.review.ReviewServer.BOB;
import static org.cityvision.serving.review.ReviewServer.CAMERA;
import static org.cityvision.serving.review.ReviewServer.json;
import static org.cityvision.serving.review.ReviewServer.verdict;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.URLEncoder;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.cityvision.core.frame.FrameUpload;
import org.cityvision.core.review.FlagRecord;
import org.cityvision.core.review.FlagStatus;
import org.cityvision.core.testing.TestImages;
import org.cityvision.datasets.export.ReviewExport;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The review API over real HTTP, a real S3 server and the store, one bucket per test: the queue and
 * its filters, verdicts, their undo ({@code POST /v1/flags/{frameId}/reopen}), the audit log.
 */
class ReviewApiTest extends SharedS3 {
  private static final ObjectMapper READER = new ObjectMapper();
  @TempDir Path dataDir;
  ReviewServer api;

  @BeforeEach
  void start() throws Exception {
    api = ReviewServer.start(vertx, s3, dataDir, ReviewEvents.NONE);
  }

  @AfterEach
  void stop() throws Exception {
    api.close();
  }

  private static List<String> frameIds(JsonNode page) {
    List<String> ids = new ArrayList<>();
    page.get("items").forEach(i -> ids.add(i.get("frameId").asText()));
    return ids;
  }

  private static String q(String value) {
    return URLEncoder.encode(value, StandardCharsets.UTF_8);
  }

  @Test
  void listsOpenFlagsNewestFirstPageByPageWithCursors() throws Exception {
    List<String> newestFirst = new ArrayList<>();
    for (int m = 0; m < 5; m++) {
      newestFirst.add(0, api.flagged("cam-1", "graffiti", 0.9, m).frameId());
    }
    List<String> seen = new ArrayList<>();
    String cursor = null;
    int pages = 0;
    do {
      JsonNode page =
          json(
              api.get("/v1/flags?limit=2" + (cursor == null ? "" : "&cursor=" + q(cursor)), ALICE),
              200);
      seen.addAll(frameIds(page));
      cursor = page.get("nextCursor").isNull() ? null : page.get("nextCursor").asText();
      pages++;
    } while (cursor != null);
    assertEquals(newestFirst, seen);
    assertEquals(3, pages);
    JsonNode first = json(api.get("/v1/flags?limit=1", ALICE), 200).get("items").get(0);
    assertEquals("open", first.get("status").asText());
    assertEquals("urban", first.get("model").asText());
    assertEquals("1.0.0", first.get("modelVersion").asText());
    assertEquals("cam-1", first.get("cameraId").asText());
  }

  @Test
  void ordersLeastConfidentFirstWhenAsked() throws Exception {
    String mid = api.flagged("cam-1", "graffiti", 0.70, 0).frameId();
    String low = api.flagged("cam-1", "graffiti", 0.55, 1).frameId();
    String high = api.flagged("cam-1", "graffiti", 0.95, 2).frameId();
    assertEquals(
        List.of(low, mid, high),
        frameIds(json(api.get("/v1/flags?order=least_confident", ALICE), 200)));
    assertEquals(
        List.of(high, low, mid), frameIds(json(api.get("/v1/flags?order=newest", ALICE), 200)));
  }

  @Test
  void filtersByCameraLabelAndTimeRange() throws Exception {
    String a0 = api.flagged("cam-a", "graffiti", 0.9, 0).frameId();
    String a1 = api.flagged("cam-a", "flooding", 0.9, 10).frameId();
    String b2 = api.flagged("cam-b", "graffiti", 0.9, 20).frameId();
    String a3 = api.flagged("cam-a", "graffiti", 0.9, 30).frameId();
    assertEquals(
        List.of(a3, a1, a0), frameIds(json(api.get("/v1/flags?cameraId=cam-a", ALICE), 200)));
    assertEquals(
        List.of(a3, b2, a0), frameIds(json(api.get("/v1/flags?label=graffiti", ALICE), 200)));
    assertEquals(
        List.of(a3, a0),
        frameIds(json(api.get("/v1/flags?label=graffiti&cameraId=cam-a", ALICE), 200)));
    String window = "since=" + q("2025-06-01T12:05:00Z") + "&until=" + q("2025-06-01T12:25:00Z");
    assertEquals(List.of(b2, a1), frameIds(json(api.get("/v1/flags?" + window, ALICE), 200)));
    assertEquals(
        List.of(b2, a1),
        frameIds(json(api.get("/v1/flags?order=least_confident&" + window, ALICE), 200)));
  }

  @Test
  void eachVerdictMovesTheFlagToItsStatusAndTheStatusFilterFindsIt() throws Exception {
    String confirmed = api.flagged("cam-1", "graffiti", 0.9, 0).frameId();
    String rejected = api.flagged("cam-1", "graffiti", 0.9, 1).frameId();
    String relabelled = api.flagged("cam-1", "graffiti", 0.9, 2).frameId();
    String open = api.flagged("cam-1", "graffiti", 0.9, 3).frameId();

    JsonNode c =
        json(api.post("/v1/flags/" + confirmed + "/review", ALICE, verdict("confirm")), 200);
    JsonNode x =
        json(
            api.post(
                "/v1/flags/" + rejected + "/review",
                ALICE,
                "{\"verdict\":\"reject\",\"note\":\"shadow on the wall\"}"),
            200);
    JsonNode r =
        json(
            api.post(
                "/v1/flags/" + relabelled + "/review",
                BOB,
                "{\"verdict\":\"relabel\",\"label\":\"garbage_dumping\",\"note\":\"bags, not paint\"}"),
            200);

    assertEquals("confirmed", c.get("status").asText());
    assertEquals("alice", c.get("reviewer").asText());
    assertEquals(2, c.get("revision").asLong());
    assertEquals("shadow on the wall", x.get("note").asText());
    assertEquals("relabelled", r.get("status").asText());
    assertEquals("garbage_dumping", r.get("verdictLabel").asText());
    assertEquals("graffiti", r.get("label").asText());
    assertEquals("bob", r.get("reviewer").asText());
    assertEquals(List.of(open), frameIds(json(api.get("/v1/flags?status=open", ALICE), 200)));
    assertEquals(
        List.of(confirmed), frameIds(json(api.get("/v1/flags?status=confirmed", ALICE), 200)));
    assertEquals(
        List.of(rejected), frameIds(json(api.get("/v1/flags?status=rejected", ALICE), 200)));
    assertEquals(
        List.of(relabelled), frameIds(json(api.get("/v1/flags?status=relabelled", ALICE), 200)));
    assertEquals("confirmed", api.store.flag(confirmed).status().keyName());
  }

  @Test
  void aSecondReviewerGetsConflictUnlessOverridingAndTheAuditKeepsBoth() throws Exception {
    FlagRecord flag = api.flagged("cam-1", "graffiti", 0.9, 0);
    String path = "/v1/flags/" + flag.frameId() + "/review";
    json(api.post(path, ALICE, verdict("confirm")), 200);

    JsonNode conflict = json(api.post(path, BOB, verdict("reject")), 409);
    assertEquals("conflict", conflict.at("/error/code").asText());
    assertTrue(conflict.at("/error/message").asText().contains("alice"), conflict.toString());
    assertFalse(conflict.at("/error/requestId").asText().isEmpty());
    assertEquals("confirmed", api.store.flag(flag.frameId()).status().keyName());

    JsonNode overridden =
        json(api.post(path, BOB, "{\"verdict\":\"reject\",\"override\":true}"), 200);
    assertEquals("rejected", overridden.get("status").asText());
    assertEquals(3, overridden.get("revision").asLong());

    JsonNode audit = json(api.get("/v1/reviews", ADMIN), 200).get("items");
    assertEquals(2, audit.size());
    JsonNode first = audit.get(0);
    JsonNode second = audit.get(1);
    assertEquals(
        List.of("alice", "confirm", "open", "2"),
        List.of(
            first.get("reviewer").asText(),
            first.get("verdict").asText(),
            first.get("previousStatus").asText(),
            first.get("revision").asText()));
    assertEquals(
        List.of("bob", "reject", "confirmed", "3"),
        List.of(
            second.get("reviewer").asText(),
            second.get("verdict").asText(),
            second.get("previousStatus").asText(),
            second.get("revision").asText()));
    for (JsonNode a : audit) {
      assertEquals(flag.frameId(), a.get("frameId").asText());
      assertEquals("urban", a.get("model").asText());
      assertEquals("1.0.0", a.get("modelVersion").asText());
      assertEquals("graffiti", a.get("flaggedLabel").asText());
      assertNotNull(Instant.parse(a.get("reviewedAt").asText()));
    }
  }

  @Test
  void ofTwoReviewersJudgingAtTheSameMomentExactlyOneWins() throws Exception {
    FlagRecord flag = api.flagged("cam-1", "graffiti", 0.9, 0);
    String path = "/v1/flags/" + flag.frameId() + "/review";
    ExecutorService pool = Executors.newFixedThreadPool(2);
    try {
      CountDownLatch go = new CountDownLatch(1);
      List<Callable<Integer>> calls =
          List.of(
              () -> {
                go.await();
                return api.post(path, ALICE, verdict("confirm")).statusCode();
              },
              () -> {
                go.await();
                return api.post(path, BOB, verdict("reject")).statusCode();
              });
      List<Future<Integer>> results = new ArrayList<>();
      calls.forEach(c -> results.add(pool.submit(c)));
      go.countDown();
      List<Integer> statuses = new ArrayList<>();
      for (Future<Integer> f : results) {
        statuses.add(f.get(60, TimeUnit.SECONDS));
      }
      assertEquals(List.of(200, 409), statuses.stream().sorted().toList());
    } finally {
      pool.shutdownNow();
    }
    assertEquals(1, json(api.get("/v1/reviews", ALICE), 200).get("items").size());
  }

  @Test
  void bulkReviewJudgesEachItemAndReportsEachOutcome() throws Exception {
    String a = api.flagged("cam-1", "graffiti", 0.9, 0).frameId();
    String b = api.flagged("cam-1", "graffiti", 0.9, 1).frameId();
    String taken = api.flagged("cam-1", "graffiti", 0.9, 2).frameId();
    json(api.post("/v1/flags/" + taken + "/review", BOB, verdict("reject")), 200);
    String unknown = "cam-1.20250601T120000000Z.0123456789ab";

    JsonNode out =
        json(
            api.post(
                "/v1/flags/review",
                ALICE,
                "{\"items\":["
                    + "{\"frameId\":\""
                    + a
                    + "\",\"verdict\":\"confirm\"},"
                    + "{\"frameId\":\""
                    + b
                    + "\",\"verdict\":\"relabel\",\"label\":\"normal\"},"
                    + "{\"frameId\":\""
                    + taken
                    + "\",\"verdict\":\"confirm\"},"
                    + "{\"frameId\":\""
                    + unknown
                    + "\",\"verdict\":\"confirm\"}]}"),
            200);

    assertEquals(2, out.get("succeeded").asInt());
    assertEquals(2, out.get("failed").asInt());
    List<Integer> statuses = new ArrayList<>();
    out.get("results").forEach(r -> statuses.add(r.get("status").asInt()));
    assertEquals(List.of(200, 200, 409, 404), statuses);
    assertEquals("relabelled", api.store.flag(b).status().keyName());
    assertEquals("rejected", api.store.flag(taken).status().keyName());
  }

  @Test
  void aBulkRequestWithOneInvalidItemJudgesNothing() throws Exception {
    String a = api.flagged("cam-1", "graffiti", 0.9, 0).frameId();
    JsonNode error =
        json(
            api.post(
                "/v1/flags/review",
                ALICE,
                "{\"items\":["
                    + "{\"frameId\":\""
                    + a
                    + "\",\"verdict\":\"confirm\"},"
                    + "{\"frameId\":\""
                    + a
                    + "\",\"verdict\":\"relabel\"}]}"),
            400);
    assertTrue(error.at("/error/message").asText().startsWith("items[1]"), error.toString());
    assertEquals("open", api.store.flag(a).status().keyName());
  }

  @Test
  void invalidVerdictsAndQueriesAreRefusedWith400AndNamed() throws Exception {
    String a = api.flagged("cam-1", "graffiti", 0.9, 0).frameId();
    String path = "/v1/flags/" + a + "/review";
    List<String> bodies =
        List.of(
            "not json",
            "{}",
            "{\"verdict\":\"maybe\"}",
            "{\"verdict\":\"relabel\"}",
            "{\"verdict\":\"relabel\",\"label\":\"unicorn\"}",
            "{\"verdict\":\"confirm\",\"label\":\"graffiti\"}",
            "{\"verdict\":\"confirm\",\"colour\":\"red\"}",
            "{\"verdict\":\"confirm\",\"override\":\"yes\"}");
    for (String body : bodies) {
      JsonNode e = json(api.post(path, ALICE, body), 400);
      assertEquals(
          body.equals("not json") ? "invalid_json" : "invalid_request",
          e.at("/error/code").asText(),
          body);
    }
    List<String> queries =
        List.of(
            "status=closed",
            "order=random",
            "limit=0",
            "limit=201",
            "since=yesterday",
            "since=" + q("2025-06-02T00:00:00Z") + "&until=" + q("2025-06-01T00:00:00Z"),
            "cameraId=" + q("cam/1"),
            "colour=red",
            "cursor=garbage");
    for (String query : queries) {
      assertEquals(400, api.get("/v1/flags?" + query, ALICE).statusCode(), query);
    }
    assertEquals(400, api.get("/v1/frames/not-a-frame-id", ALICE).statusCode());
    assertEquals("open", api.store.flag(a).status().keyName());
  }

  @Test
  void unknownFramesAndFlagsAre404() throws Exception {
    String unknown = "cam-1.20250601T120000000Z.0123456789ab";
    assertEquals(
        "not_found",
        json(api.post("/v1/flags/" + unknown + "/review", ALICE, verdict("confirm")), 404)
            .at("/error/code")
            .asText());
    assertEquals(404, api.get("/v1/frames/" + unknown, ALICE).statusCode());
    assertEquals(404, api.getBytes("/v1/frames/" + unknown + "/image", ALICE).statusCode());
  }

  @Test
  void theApiNeedsAReviewerOrAdminKey() throws Exception {
    api.flagged("cam-1", "graffiti", 0.9, 0);
    assertEquals(
        "missing_credentials", json(api.get("/v1/flags", null), 401).at("/error/code").asText());
    assertEquals(401, api.get("/v1/flags", "wrong-key-0123456789").statusCode());
    assertEquals("forbidden", json(api.get("/v1/flags", CAMERA), 403).at("/error/code").asText());
    assertEquals(403, api.post("/v1/flags/review", CAMERA, "{\"items\":[]}").statusCode());
    assertEquals(1, json(api.get("/v1/flags", ADMIN), 200).get("items").size());
    JsonNode session = json(api.get("/v1/review/session", ALICE), 200);
    assertEquals("alice", session.get("reviewer").asText());
    assertEquals(ReviewServer.LABELS.size(), session.get("labels").size());
  }

  @Test
  void frameDetailHasEveryResultWithItsModelVersionAndTheImages() throws Exception {
    FlagRecord flag = api.flagged("cam-1", "flooding", 0.8, 0);
    JsonNode detail = json(api.get("/v1/frames/" + flag.frameId(), ALICE), 200);
    assertEquals(flag.frameId(), detail.get("frameId").asText());
    assertEquals("cam-1", detail.get("cameraId").asText());
    assertEquals("open", detail.at("/flag/status").asText());
    assertEquals(1, detail.get("results").size());
    JsonNode result = detail.get("results").get(0);
    assertEquals("urban", result.get("model").asText());
    assertEquals("1.0.0", result.get("version").asText());
    assertEquals("flooding", result.at("/result/top/0/label").asText());
    assertEquals(0.8, result.at("/result/top/0/score").asDouble(), 1e-6);

    HttpResponse<byte[]> image = api.getBytes("/v1/frames/" + flag.frameId() + "/image", ALICE);
    assertEquals(200, image.statusCode());
    assertEquals("image/jpeg", image.headers().firstValue("Content-Type").orElse(""));
    assertArrayEquals(api.store.readFrame(flag.frameId()).bytes(), image.body());
    HttpResponse<byte[]> thumb = api.getBytes("/v1/frames/" + flag.frameId() + "/thumbnail", ALICE);
    assertEquals(200, thumb.statusCode());
    assertArrayEquals(api.store.readThumbnail(flag.frameId()), thumb.body());
    assertEquals(
        401,
        api.getBytes("/v1/frames/" + flag.frameId() + "/thumbnail", "nope-0123456789")
            .statusCode());
  }

  @Test
  void countsFlagsPerStatus() throws Exception {
    List<String> ids = new ArrayList<>();
    for (int m = 0; m < 4; m++) {
      ids.add(api.flagged("cam-1", "graffiti", 0.9, m).frameId());
    }
    json(api.post("/v1/flags/" + ids.get(0) + "/review", ALICE, verdict("confirm")), 200);
    json(api.post("/v1/flags/" + ids.get(1) + "/review", ALICE, verdict("reject")), 200);
    JsonNode counts = json(api.get("/v1/flags/counts", ALICE), 200);
    assertEquals(2, counts.at("/open/count").asInt());
    assertEquals(1, counts.at("/confirmed/count").asInt());
    assertEquals(1, counts.at("/rejected/count").asInt());
    assertEquals(0, counts.at("/relabelled/count").asInt());
    assertFalse(counts.at("/open/atLeast").asBoolean());
    assertEquals(2, counts.at("/openByCamera/cam-1").asInt());
    assertEquals(2, counts.at("/openByLabel/graffiti").asInt());
  }

  @Test
  void recentHistoryOfACameraSpansEveryStatusNewestFirst() throws Exception {
    String old = api.flagged("cam-1", "graffiti", 0.9, 0).frameId();
    String judged = api.flagged("cam-1", "flooding", 0.9, 5).frameId();
    api.flagged("cam-2", "graffiti", 0.9, 7);
    String newest = api.flagged("cam-1", "graffiti", 0.9, 9).frameId();
    json(api.post("/v1/flags/" + judged + "/review", ALICE, verdict("reject")), 200);
    JsonNode recent = json(api.get("/v1/flags/recent?cameraId=cam-1&limit=5", ALICE), 200);
    assertEquals(List.of(newest, judged, old), frameIds(recent));
    assertEquals("rejected", recent.at("/items/1/status").asText());
  }

  private String frameAt(String camera, String capturedAt) throws Exception {
    Instant at = Instant.parse(capturedAt);
    return api.store
        .putFrame(
            new FrameUpload(
                camera,
                at,
                "image/jpeg",
                TestImages.jpeg(320, 180, (int) (at.getEpochSecond() % 1000)),
                TestImages.jpeg(160, 90, 1)))
        .frameId();
  }

  @Test
  void previousFramesAreTheCamerasFramesOfTheHourBeforeNewestFirstAcrossMidnight()
      throws Exception {
    String early = frameAt("cam-h", "2025-06-01T22:30:00Z");
    String before = frameAt("cam-h", "2025-06-01T23:40:00Z");
    String justBefore = frameAt("cam-h", "2025-06-01T23:59:50Z");
    frameAt("cam-other", "2025-06-01T23:59:55Z");
    String frame = frameAt("cam-h", "2025-06-02T00:00:30Z");
    frameAt("cam-h", "2025-06-02T00:01:00Z");

    JsonNode previous = json(api.get("/v1/frames/" + frame + "/previous", ALICE), 200);
    assertEquals(List.of(justBefore, before), frameIds(previous));
    assertEquals("2025-06-01T23:59:50Z", previous.get("items").get(0).get("capturedAt").asText());
    assertEquals("cam-h", previous.get("items").get(0).get("cameraId").asText());
    assertEquals(
        List.of(justBefore),
        frameIds(json(api.get("/v1/frames/" + frame + "/previous?limit=1", ALICE), 200)));
    assertFalse(
        frameIds(json(api.get("/v1/frames/" + before + "/previous", ALICE), 200)).contains(early),
        "more than an hour earlier");
    json(api.get("/v1/frames/" + frame + "/previous?limit=21", ALICE), 400);
    json(api.get("/v1/frames/" + frame + "/previous?since=now", ALICE), 400);
    json(api.get("/v1/frames/not-a-frame/previous", ALICE), 400);
    assertEquals(403, api.get("/v1/frames/" + frame + "/previous", CAMERA).statusCode());
  }

  // ------------------------------------------------------------------ undo (reopen) and
  // score/reviewer filters

  @Test
  void aReviewerReopensTheirOwnVerdictTheFlagIsOpenAgainAndTheLogSaysReopen() throws Exception {
    String frame = api.flagged("cam-1", "graffiti", 0.9, 0).frameId();
    JsonNode confirmed =
        json(api.post("/v1/flags/" + frame + "/review", ALICE, verdict("confirm")), 200);
    assertEquals(2, confirmed.get("revision").asLong());
    assertTrue(ReviewExport.latestVerdicts(api.store, null).containsKey(frame));

    JsonNode reopened =
        json(api.post("/v1/flags/" + frame + "/reopen", ALICE, "{\"revision\":2}"), 200);

    assertEquals("open", reopened.get("status").asText());
    assertEquals(3, reopened.get("revision").asLong());
    assertTrue(reopened.get("reviewer").isNull(), reopened.toString());
    assertEquals(List.of(frame), frameIds(json(api.get("/v1/flags?status=open", ALICE), 200)));
    assertEquals(List.of(), frameIds(json(api.get("/v1/flags?status=confirmed", ALICE), 200)));
    JsonNode log = json(api.get("/v1/reviews", ADMIN), 200).get("items");
    assertEquals(2, log.size());
    assertEquals(
        List.of("alice", "reopen", "confirmed", "3"),
        List.of(
            log.get(1).get("reviewer").asText(),
            log.get(1).get("verdict").asText(),
            log.get(1).get("previousStatus").asText(),
            log.get(1).get("revision").asText()));
    assertFalse(
        ReviewExport.latestVerdicts(api.store, null).containsKey(frame),
        "export and candidate training see the frame as open again");
    // Open again means anyone judges it without override.
    JsonNode rejected =
        json(api.post("/v1/flags/" + frame + "/review", BOB, verdict("reject")), 200);
    assertEquals("rejected", rejected.get("status").asText());
    assertEquals(4, rejected.get("revision").asLong());
  }

  @Test
  void aReopenAfterAnotherVerdictIsAConflictAndChangesNothingButAnAdminMayReopen()
      throws Exception {
    String frame = api.flagged("cam-1", "graffiti", 0.9, 0).frameId();
    json(api.post("/v1/flags/" + frame + "/review", ALICE, verdict("confirm")), 200);
    json(
        api.post(
            "/v1/flags/" + frame + "/review", BOB, "{\"verdict\":\"reject\",\"override\":true}"),
        200);

    JsonNode exact =
        json(api.post("/v1/flags/" + frame + "/reopen", ALICE, "{\"revision\":2}"), 409);
    assertEquals("conflict", exact.at("/error/code").asText());
    assertTrue(exact.at("/error/message").asText().contains("bob"), exact.toString());
    JsonNode latest = json(api.post("/v1/flags/" + frame + "/reopen", ALICE, "{}"), 409);
    assertTrue(latest.at("/error/message").asText().contains("bob"), latest.toString());
    assertEquals(FlagStatus.REJECTED, api.store.flag(frame).status());
    assertEquals(3, api.store.flag(frame).revision());

    JsonNode byAdmin =
        json(api.post("/v1/flags/" + frame + "/reopen", ADMIN, "{\"revision\":3}"), 200);
    assertEquals("open", byAdmin.get("status").asText());
    assertEquals(
        "root",
        json(api.get("/v1/reviews", ADMIN), 200).get("items").get(2).get("reviewer").asText());
  }

  @Test
  void reopenRefusesOpenFlagsUnknownFramesAndBadBodies() throws Exception {
    String frame = api.flagged("cam-1", "graffiti", 0.9, 0).frameId();
    JsonNode open = json(api.post("/v1/flags/" + frame + "/reopen", ALICE, ""), 409);
    assertTrue(open.at("/error/message").asText().contains("no verdict"), open.toString());
    json(api.post("/v1/flags/" + frame + "/review", ALICE, verdict("confirm")), 200);
    JsonNode unknownField =
        json(api.post("/v1/flags/" + frame + "/reopen", ALICE, "{\"why\":\"oops\"}"), 400);
    assertTrue(unknownField.at("/error/message").asText().contains("why"), unknownField.toString());
    json(api.post("/v1/flags/" + frame + "/reopen", ALICE, "{\"revision\":1}"), 400);
    json(api.post("/v1/flags/" + frame + "/reopen", ALICE, "{\"revision\":\"2\"}"), 400);
    json(api.post("/v1/flags/" + frame + "/review", ALICE, "{\"verdict\":\"reopen\"}"), 400);
    json(api.post("/v1/flags/cam-1.20250601T120000000Z.0123456789ab/reopen", ALICE, ""), 404);
    json(api.post("/v1/flags/not-a-frame/reopen", ALICE, ""), 400);
    assertEquals(FlagStatus.CONFIRMED, api.store.flag(frame).status());
  }

  @Test
  void aReviewersOwnVerdictCannotBeReopenedAfterTheWindowButAnAdminsCan(@TempDir Path other)
      throws Exception {
    try (ReviewServer shortWindow =
        ReviewServer.start(vertx, s3, other, ReviewEvents.NONE, Duration.ofMillis(1))) {
      String frame = shortWindow.flagged("cam-1", "graffiti", 0.9, 0).frameId();
      json(shortWindow.post("/v1/flags/" + frame + "/review", ALICE, verdict("confirm")), 200);
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
      JsonNode late;
      do {
        late =
            READER.readTree(shortWindow.post("/v1/flags/" + frame + "/reopen", ALICE, "").body());
      } while (!"reopen_window_passed".equals(late.at("/error/code").asText())
          && System.nanoTime() < deadline);
      assertEquals("reopen_window_passed", late.at("/error/code").asText(), late.toString());
      assertEquals(FlagStatus.CONFIRMED, shortWindow.store.flag(frame).status());
      assertEquals(
          "open",
          json(shortWindow.post("/v1/flags/" + frame + "/reopen", ADMIN, ""), 200)
              .get("status")
              .asText());
    }
  }

  @Test
  void ofAReopenAndAnOverridingVerdictAtTheSameMomentTheFlagEndsConsistentWithTheLog()
      throws Exception {
    for (int round = 0; round < 4; round++) {
      String frame = api.flagged("cam-1", "graffiti", 0.9, round).frameId();
      json(api.post("/v1/flags/" + frame + "/review", ALICE, verdict("confirm")), 200);
      ExecutorService pool = Executors.newFixedThreadPool(2);
      try {
        CountDownLatch go = new CountDownLatch(1);
        Future<Integer> reopen =
            pool.submit(
                () -> {
                  go.await();
                  return api.post("/v1/flags/" + frame + "/reopen", ALICE, "{\"revision\":2}")
                      .statusCode();
                });
        Future<Integer> override =
            pool.submit(
                () -> {
                  go.await();
                  return api.post(
                          "/v1/flags/" + frame + "/review",
                          BOB,
                          "{\"verdict\":\"reject\",\"override\":true}")
                      .statusCode();
                });
        go.countDown();
        int reopened = reopen.get(30, TimeUnit.SECONDS);
        int overridden = override.get(30, TimeUnit.SECONDS);
        // Bob's override always lands (it retries on a lost race); Alice's reopen only before it.
        assertEquals(200, overridden);
        assertTrue(reopened == 200 || reopened == 409, "reopen answered " + reopened);
        FlagRecord head = api.store.flag(frame);
        assertEquals(FlagStatus.REJECTED, head.status());
        assertEquals(reopened == 200 ? 4 : 3, head.revision());
        List<String> log = new ArrayList<>();
        for (JsonNode r : json(api.get("/v1/reviews?limit=1000", ADMIN), 200).get("items")) {
          if (r.get("frameId").asText().equals(frame)) {
            log.add(r.get("verdict").asText() + "@" + r.get("revision").asText());
          }
        }
        log.sort(Comparator.comparing(e -> e.substring(e.indexOf('@'))));
        assertEquals(
            reopened == 200
                ? List.of("confirm@2", "reopen@3", "reject@4")
                : List.of("confirm@2", "reject@3"),
            log);
      } finally {
        pool.shutdownNow();
      }
    }
  }

  @Test
  void theQueueFiltersByScoreRangeAndByReviewerAndRefusesBadRanges() throws Exception {
    String low = api.flagged("cam-1", "graffiti", 0.55, 0).frameId();
    String mid = api.flagged("cam-1", "graffiti", 0.70, 1).frameId();
    String high = api.flagged("cam-1", "graffiti", 0.95, 2).frameId();
    assertEquals(
        List.of(mid), frameIds(json(api.get("/v1/flags?minScore=0.6&maxScore=0.9", ALICE), 200)));
    assertEquals(List.of(high, mid), frameIds(json(api.get("/v1/flags?minScore=0.7", ALICE), 200)));
    assertEquals(
        Set.of(mid, low),
        Set.copyOf(
            frameIds(json(api.get("/v1/flags?maxScore=0.7&order=informative", ALICE), 200))));

    json(api.post("/v1/flags/" + low + "/review", ALICE, verdict("confirm")), 200);
    json(api.post("/v1/flags/" + high + "/review", BOB, verdict("confirm")), 200);
    assertEquals(
        List.of(high),
        frameIds(json(api.get("/v1/flags?status=confirmed&reviewer=bob", ALICE), 200)));
    assertEquals(
        List.of(low),
        frameIds(json(api.get("/v1/flags?status=confirmed&reviewer=alice", ALICE), 200)));

    for (String bad :
        List.of(
            "minScore=abc",
            "maxScore=1.5",
            "minScore=-0.1",
            "minScore=0.8&maxScore=0.2",
            "minScore=NaN",
            "reviewer=" + URLEncoder.encode("no one!", StandardCharsets.UTF_8))) {
      JsonNode error = json(api.get("/v1/flags?" + bad, ALICE), 400);
      assertEquals("invalid_request", error.at("/error/code").asText(), bad + ": " + error);
    }
  }
}
