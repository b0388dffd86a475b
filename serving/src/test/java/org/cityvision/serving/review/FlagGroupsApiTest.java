package org.cityvision.serving.review;

import static org.cityvision.serving.review.ReviewServer.ALICE;
import static org.cityvision.serving.review.ReviewServer.BOB;
import static org.cityvision.serving.review.ReviewServer.json;
import static org.cityvision.serving.review.ReviewServer.verdict;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import org.cityvision.core.frame.FrameId;
import org.cityvision.core.review.FlagRecord;
import org.cityvision.core.review.FlagStatus;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Near-duplicate groups over real HTTP and a real S3 server: flags stored through the
 * classified-frame write path are hashed and grouped when created, {@code GET /v1/flags?group=true}
 * lists one entry per group, and {@code POST /v1/flag-groups/{groupId}/review} judges each member
 * as its own verdict, reporting (never overwriting) a member someone else judged meanwhile.
 */
class FlagGroupsApiTest extends SharedS3 {
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

  private static List<String> texts(JsonNode array) {
    List<String> out = new ArrayList<>();
    array.forEach(n -> out.add(n.asText()));
    return out;
  }

  private static String membersBody(String verdict, List<String> members) {
    return "{\"verdict\":\""
        + verdict
        + "\",\"members\":["
        + String.join(",", members.stream().map(m -> "\"" + m + "\"").toList())
        + "]}";
  }

  /** Five shots of one still scene on cam-1, one second apart, oldest first. */
  private List<FlagRecord> fiveShots() throws Exception {
    List<FlagRecord> shots = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      shots.add(api.flaggedShot("cam-1", 7, i, "graffiti", i));
    }
    return shots;
  }

  private static void assertError(JsonNode body, String code) {
    assertEquals(code, body.get("error").get("code").asText(), body.toString());
    assertTrue(body.get("error").get("message").asText().length() > 10, body.toString());
    assertTrue(body.get("error").hasNonNull("requestId"), body.toString());
  }

  @Test
  void nearIdenticalFramesOfOneCameraFormOneGroupListedAsOneEntry() throws Exception {
    List<FlagRecord> shots = fiveShots();
    FlagRecord otherScene = api.flaggedShot("cam-1", 99, 0, "graffiti", 5);
    FlagRecord otherCamera = api.flaggedShot("cam-2", 7, 0, "graffiti", 6);
    FlagRecord anHourLater = api.flaggedShot("cam-1", 7, 9, "graffiti", 3600);
    FlagRecord stored = api.flagged("cam-3", "graffiti", 0.8, 0); // no hash: ungrouped

    String group = shots.get(0).frameId();
    for (FlagRecord f : shots) {
      assertEquals(group, f.group(), "every shot of the still scene joins the first one's group");
      assertTrue(f.hash().matches("[0-9a-f]{32}"), f.hash());
    }
    assertEquals(otherScene.frameId(), otherScene.group(), "another scene starts its own group");
    assertEquals(otherCamera.frameId(), otherCamera.group(), "groups are per camera");
    assertEquals(anHourLater.frameId(), anHourLater.group(), "frames far apart do not group");
    assertNull(stored.group());

    JsonNode plain = json(api.get("/v1/flags?limit=50", ALICE), 200);
    assertEquals(9, plain.get("items").size());

    JsonNode grouped = json(api.get("/v1/flags?limit=50&group=true", ALICE), 200);
    assertEquals(5, grouped.get("items").size(), grouped.toString());
    JsonNode entry = null;
    for (JsonNode item : grouped.get("items")) {
      if (group.equals(item.get("group").asText(null))) {
        entry = item;
      } else {
        assertEquals(1, item.get("groupSize").asInt(), item.toString());
        assertEquals(List.of(item.get("frameId").asText()), texts(item.get("members")));
      }
    }
    assertTrue(entry != null, "the still scene's group is listed: " + grouped);
    assertEquals(5, entry.get("groupSize").asInt());
    assertEquals(shots.get(4).frameId(), entry.get("frameId").asText(), "newest member first");
    List<String> expected = new ArrayList<>(shots.stream().map(FlagRecord::frameId).toList());
    Collections.reverse(expected);
    assertEquals(expected, texts(entry.get("members")));

    // A page that holds one member of the group (cam-1's newest three: the late shot, the other
    // scene, the newest shot) still counts the group whole.
    JsonNode page = json(api.get("/v1/flags?limit=3&group=true&cameraId=cam-1", ALICE), 200);
    assertEquals(3, page.get("items").size(), page.toString());
    assertEquals(shots.get(4).frameId(), page.get("items").get(2).get("frameId").asText());
    assertEquals(5, page.get("items").get(2).get("groupSize").asInt());

    assertError(json(api.get("/v1/flags?group=maybe", ALICE), 400), "invalid_request");
  }

  @Test
  void oneGroupVerdictJudgesEachMemberAndReportsTheOneSomeoneElseJudgedMeanwhile()
      throws Exception {
    List<FlagRecord> shots = fiveShots();
    List<String> seen = shots.stream().map(FlagRecord::frameId).toList();
    String group = seen.get(0);
    // Alice sees the group of five; meanwhile Bob rejects one of its frames on his own.
    json(api.post("/v1/flags/" + seen.get(2) + "/review", BOB, verdict("reject")), 200);

    JsonNode out =
        json(
            api.post("/v1/flag-groups/" + group + "/review", ALICE, membersBody("confirm", seen)),
            200);
    assertEquals(group, out.get("groupId").asText());
    assertEquals(4, out.get("succeeded").asInt());
    assertEquals(1, out.get("failed").asInt());
    for (JsonNode r : out.get("results")) {
      if (r.get("frameId").asText().equals(seen.get(2))) {
        assertEquals(409, r.get("status").asInt());
        assertEquals("conflict", r.get("error").get("code").asText());
        assertTrue(r.get("error").get("message").asText().contains("bob"), r.toString());
      } else {
        assertEquals(200, r.get("status").asInt(), r.toString());
        assertEquals("confirmed", r.get("flag").get("status").asText());
        assertEquals("alice", r.get("flag").get("reviewer").asText());
      }
    }
    // Bob's verdict stands; each of Alice's is its own verdict in the store and the audit log.
    assertEquals(FlagStatus.REJECTED, api.store.flag(seen.get(2)).status());
    assertEquals("bob", api.store.flag(seen.get(2)).reviewer());
    JsonNode reviews = json(api.get("/v1/reviews?limit=100", ALICE), 200);
    long alices = 0;
    for (JsonNode r : reviews.get("items")) {
      if (r.get("reviewer").asText().equals("alice")) {
        assertEquals("confirm", r.get("verdict").asText());
        assertNotEquals(seen.get(2), r.get("frameId").asText());
        alices++;
      }
    }
    assertEquals(4, alices);
    JsonNode counts = json(api.get("/v1/flags/counts", ALICE), 200);
    assertEquals(0, counts.get("open").get("count").asInt());
    assertEquals(4, counts.get("confirmed").get("count").asInt());
    assertEquals(1, counts.get("rejected").get("count").asInt());
    assertEquals(0, json(api.get("/v1/flags?group=true", ALICE), 200).get("items").size());
    JsonNode confirmed = json(api.get("/v1/flags?status=confirmed&group=true", ALICE), 200);
    assertEquals(1, confirmed.get("items").size());
    assertEquals(4, confirmed.get("items").get(0).get("groupSize").asInt());
  }

  @Test
  void aGroupVerdictWithoutMembersJudgesTheOpenOnesAndBadInputJudgesNothing() throws Exception {
    List<FlagRecord> shots = fiveShots();
    String group = shots.get(0).frameId();
    FlagRecord ungrouped = api.flagged("cam-9", "graffiti", 0.8, 0);
    String route = "/v1/flag-groups/" + group + "/review";

    assertError(
        json(api.post("/v1/flag-groups/not-a-frame/review", ALICE, verdict("confirm")), 400),
        "invalid_frame_id");
    // Each refused body, with the error code it gets.
    Map<String, String> refused =
        Map.of(
            "{\"verdict\":\"maybe\"}", "invalid_request",
            "{\"verdict\":\"confirm\",\"override\":true}", "invalid_request",
            "{\"verdict\":\"confirm\",\"members\":[]}", "invalid_request",
            "{\"verdict\":\"confirm\",\"members\":[\"x\"]}", "invalid_frame_id",
            "{\"verdict\":\"relabel\",\"label\":\"unicorn\"}", "invalid_request",
            "{not json", "invalid_json");
    refused.forEach(
        (body, code) -> {
          try {
            assertError(json(api.post(route, ALICE, body), 400), code);
          } catch (Exception e) {
            throw new AssertionError(body, e);
          }
        });
    JsonNode notMember =
        json(
            api.post(
                route,
                ALICE,
                membersBody("confirm", List.of(shots.get(1).frameId(), ungrouped.frameId()))),
            400);
    assertError(notMember, "invalid_request");
    assertTrue(
        notMember.get("error").get("message").asText().contains(ungrouped.frameId()),
        notMember.toString());
    assertEquals(
        6,
        json(api.get("/v1/flags/counts", ALICE), 200).get("open").get("count").asInt(),
        "a refused group verdict judges nothing");

    JsonNode out =
        json(api.post(route, ALICE, "{\"verdict\":\"relabel\",\"label\":\"flooding\"}"), 200);
    assertEquals(5, out.get("succeeded").asInt());
    for (FlagRecord f : shots) {
      FlagRecord now = api.store.flag(f.frameId());
      assertEquals(FlagStatus.RELABELLED, now.status());
      assertEquals("flooding", now.verdictLabel());
    }
    assertEquals(FlagStatus.OPEN, api.store.flag(ungrouped.frameId()).status());

    assertError(json(api.post(route, ALICE, verdict("confirm")), 404), "not_found");
    String unknown = FrameId.generate("cam-x", Instant.parse("2025-06-01T12:00:00Z")).value();
    assertError(
        json(api.post("/v1/flag-groups/" + unknown + "/review", ALICE, verdict("confirm")), 404),
        "not_found");
    assertEquals(401, api.post(route, "wrong-key-0123456789", verdict("confirm")).statusCode());
  }
}
