package org.cityvision.serving.review;

import static org.cityvision.serving.review.ReviewServer.ADMIN;
import static org.cityvision.serving.review.ReviewServer.ALICE;
import static org.cityvision.serving.review.ReviewServer.BOB;
import static org.cityvision.serving.review.ReviewServer.json;
import static org.cityvision.serving.review.ReviewServer.verdict;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The review queue at city scale over real HTTP and a real S3 server: review leases keep two
 * reviewers on one queue apart, and the counts are exact per status, camera and label right after a
 * verdict, with an admin recount that reports drift.
 */
class ReviewQueueScaleApiTest extends SharedS3 {
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

  private static String idsBody(List<String> ids) {
    return "{\"frameIds\":["
        + String.join(",", ids.stream().map(i -> "\"" + i + "\"").toList())
        + "]}";
  }

  @Test
  void twoReviewersLeasingPagesOfOneQueueNeverGetTheSameFrame() throws Exception {
    List<String> all = new ArrayList<>();
    for (int m = 0; m < 10; m++) {
      all.add(api.flagged(m % 2 == 0 ? "cam-1" : "cam-2", "graffiti", 0.9, m).frameId());
    }
    JsonNode alicePage = json(api.get("/v1/flags?limit=4&lease=120", ALICE), 200);
    List<String> alice = frameIds(alicePage);
    assertEquals(4, alice.size());
    assertTrue(
        Instant.parse(alicePage.get("leaseExpiresAt").asText())
            .isAfter(Instant.now().plusSeconds(100)));
    List<String> bob = frameIds(json(api.get("/v1/flags?limit=4&lease=120", BOB), 200));
    assertEquals(4, bob.size());
    assertDisjoint(alice, bob);

    // Alice asks again: her own frames (renewed) and the two nobody holds, never Bob's.
    List<String> aliceAgain = frameIds(json(api.get("/v1/flags?limit=10&lease=120", ALICE), 200));
    assertEquals(6, aliceAgain.size());
    assertTrue(aliceAgain.containsAll(alice));
    assertDisjoint(aliceAgain, bob);

    // The same holds for a filtered and an informative page.
    List<String> bobCam1 = frameIds(json(api.get("/v1/flags?cameraId=cam-1&lease=60", BOB), 200));
    assertDisjoint(bobCam1, aliceAgain);
    List<String> bobInformative =
        frameIds(json(api.get("/v1/flags?order=informative&lease=60", BOB), 200));
    assertEquals(new HashSet<>(bob), new HashSet<>(bobInformative));

    // Without lease= the queue is shown whole, as before.
    assertEquals(all.size(), frameIds(json(api.get("/v1/flags?limit=50", BOB), 200)).size());
  }

  @Test
  void releasedLeasesReturnFramesToTheQueueAndRenewReportsFramesHeldByOthers() throws Exception {
    for (int m = 0; m < 3; m++) {
      api.flagged("cam-1", "pothole", 0.9, m);
    }
    List<String> alice = frameIds(json(api.get("/v1/flags?lease=60", ALICE), 200));
    assertEquals(3, alice.size());
    assertEquals(List.of(), frameIds(json(api.get("/v1/flags?lease=60", BOB), 200)));

    JsonNode renewed =
        json(
            api.post(
                "/v1/review/leases/renew", BOB, idsBody(alice).replace("}", ",\"seconds\":60}")),
            200);
    assertEquals(0, renewed.get("leased").size());
    assertEquals(3, renewed.get("lost").size());
    JsonNode own =
        json(
            api.post(
                "/v1/review/leases/renew", ALICE, idsBody(alice).replace("}", ",\"seconds\":300}")),
            200);
    assertEquals(3, own.get("leased").size());

    assertEquals(
        0,
        json(api.post("/v1/review/leases/release", BOB, idsBody(alice)), 200)
            .get("released")
            .asInt());
    assertEquals(
        2,
        json(api.post("/v1/review/leases/release", ALICE, idsBody(alice.subList(0, 2))), 200)
            .get("released")
            .asInt());
    assertEquals(
        new HashSet<>(alice.subList(0, 2)),
        new HashSet<>(frameIds(json(api.get("/v1/flags?lease=60", BOB), 200))));
  }

  @Test
  void badLeaseRequestsAreRefusedWithTheRuleTheyBreak() throws Exception {
    String id = api.flagged("cam-1", "pothole", 0.9, 1).frameId();
    assertTrue(
        json(api.get("/v1/flags?lease=5", ALICE), 400)
            .at("/error/message")
            .asText()
            .contains("lease must be in 30..600"));
    assertTrue(
        json(api.get("/v1/flags?status=confirmed&lease=60", ALICE), 400)
            .at("/error/message")
            .asText()
            .contains("open queue only"));
    assertTrue(
        json(
                api.post(
                    "/v1/review/leases/renew",
                    ALICE,
                    "{\"frameIds\":[\"" + id + "\"],\"seconds\":9000}"),
                400)
            .at("/error/message")
            .asText()
            .contains("seconds must be an integer in 30..600"));
    assertTrue(
        json(
                api.post(
                    "/v1/review/leases/renew",
                    ALICE,
                    "{\"frameIds\":[\"" + id + "\"],\"seconds\":60,\"x\":1}"),
                400)
            .at("/error/message")
            .asText()
            .contains("unknown field 'x'"));
    assertEquals(
        "invalid_frame_id",
        json(api.post("/v1/review/leases/release", ALICE, "{\"frameIds\":[\"../x\"]}"), 400)
            .at("/error/code")
            .asText());
    assertEquals(
        "invalid_request",
        json(api.post("/v1/review/leases/release", ALICE, "{\"frameIds\":[]}"), 400)
            .at("/error/code")
            .asText());
  }

  @Test
  void countsAreExactPerStatusCameraAndLabelRightAfterAVerdict() throws Exception {
    List<String> ids = new ArrayList<>();
    for (int m = 0; m < 5; m++) {
      ids.add(
          api.flagged(m < 3 ? "cam-1" : "cam-2", m % 2 == 0 ? "graffiti" : "pothole", 0.9, m)
              .frameId());
    }
    JsonNode before = json(api.get("/v1/flags/counts", ALICE), 200);
    assertEquals(5, before.at("/open/count").asInt());
    assertEquals(3, before.at("/openByCamera/cam-1").asInt());
    assertEquals(3, before.at("/openByLabel/graffiti").asInt());

    json(api.post("/v1/flags/" + ids.get(0) + "/review", ALICE, verdict("confirm")), 200);
    long start = System.nanoTime();
    JsonNode after = json(api.get("/v1/flags/counts", BOB), 200);
    long ms = (System.nanoTime() - start) / 1_000_000;
    assertEquals(4, after.at("/open/count").asInt());
    assertEquals(1, after.at("/confirmed/count").asInt());
    assertFalse(after.at("/open/atLeast").asBoolean());
    assertEquals(2, after.at("/openByCamera/cam-1").asInt());
    assertEquals(2, after.at("/openByLabel/graffiti").asInt());
    assertTrue(after.get("revision").asLong() > before.get("revision").asLong());
    assertTrue(ms < 2000, "counts took " + ms + " ms");
  }

  @Test
  void anAdminRecountFindsNoDriftInMaintainedCountsAndIsRefusedToReviewers() throws Exception {
    api.flagged("cam-1", "graffiti", 0.9, 1);
    json(api.post("/v1/flags/counts/recount", BOB, "{}"), 403);
    JsonNode r = json(api.post("/v1/flags/counts/recount", ADMIN, "{}"), 200);
    assertTrue(r.get("applied").asBoolean(), r.toString());
    assertEquals(0, r.get("drift").size());
    assertEquals(1, r.at("/counts/open/count").asInt());
  }

  private static void assertDisjoint(List<String> a, List<String> b) {
    Set<String> both = new HashSet<>(a);
    both.retainAll(b);
    assertEquals(Set.of(), both, "frames on both reviewers' pages");
  }
}
