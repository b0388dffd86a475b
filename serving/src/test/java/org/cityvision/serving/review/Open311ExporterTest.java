package org.cityvision.serving.review;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.vertx.core.Vertx;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.cityvision.core.review.FlagRecord;
import org.cityvision.core.review.FlagReview;
import org.cityvision.core.review.Verdict;
import org.cityvision.s3server.EmbeddedS3Server;
import org.cityvision.serving.review.open311.CameraSite;
import org.cityvision.serving.review.open311.Open311Config;
import org.cityvision.serving.review.open311.Open311Exporter;
import org.cityvision.serving.review.open311.Open311Outcome;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The Open311 export against a small fake GeoReport v2 endpoint on 127.0.0.1. */
class Open311ExporterTest {
  @TempDir static Path s3Dir;
  static EmbeddedS3Server s3;
  static Vertx vertx;
  @TempDir Path dataDir;
  ReviewServer api;
  HttpServer city;
  final List<Map<String, String>> requests = new CopyOnWriteArrayList<>();
  final AtomicInteger failuresLeft = new AtomicInteger();
  final AtomicInteger ids = new AtomicInteger(638344);
  final CompletableFuture<Map<String, String>> firstRequest = new CompletableFuture<>();

  @BeforeAll
  static void startShared() throws Exception {
    s3 = EmbeddedS3Server.start(s3Dir, 0, "open311-test", "open311-test-secret");
    vertx = Vertx.vertx();
  }

  @AfterAll
  static void stopShared() throws Exception {
    vertx.close().await(30, TimeUnit.SECONDS);
    s3.close();
  }

  @BeforeEach
  void start() throws Exception {
    api = ReviewServer.start(vertx, s3, dataDir, ReviewEvents.NONE);
    city = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    city.createContext("/georeport/v2/requests.json", this::georeport);
    city.start();
  }

  @AfterEach
  void stop() throws Exception {
    city.stop(0);
    api.close();
  }

  private void georeport(HttpExchange ex) throws IOException {
    Map<String, String> form = new HashMap<>();
    for (String pair :
        new String(ex.getRequestBody().readAllBytes(), StandardCharsets.UTF_8).split("&")) {
      String[] kv = pair.split("=", 2);
      form.put(
          URLDecoder.decode(kv[0], StandardCharsets.UTF_8),
          URLDecoder.decode(kv[1], StandardCharsets.UTF_8));
    }
    form.put("_method", ex.getRequestMethod());
    form.put("_contentType", ex.getRequestHeaders().getFirst("Content-Type"));
    requests.add(form);
    byte[] body;
    int status;
    if (failuresLeft.getAndDecrement() > 0) {
      status = 500;
      body =
          "[{\"code\":500,\"description\":\"database offline\"}]".getBytes(StandardCharsets.UTF_8);
    } else {
      status = 201;
      body =
          ("[{\"service_request_id\":\""
                  + ids.getAndIncrement()
                  + "\",\"service_notice\":\"thanks\"}]")
              .getBytes(StandardCharsets.UTF_8);
    }
    ex.getResponseHeaders().add("Content-Type", "application/json");
    ex.sendResponseHeaders(status, body.length);
    ex.getResponseBody().write(body);
    ex.close();
    firstRequest.complete(form);
  }

  private Open311Exporter exporter() {
    Open311Config config =
        new Open311Config(
            "http://127.0.0.1:" + city.getAddress().getPort() + "/georeport/v2",
            "city.example",
            Map.of("graffiti", "GRAF-01", "garbage_dumping", "DUMP-02"),
            Map.of("cam-north", new CameraSite(52.3702, 4.8952, "Dam Square, north side")),
            null,
            3600,
            5_000);
    return Open311Exporter.start(
        config,
        api.store,
        Map.of(Open311Config.DEFAULT_API_KEY_ENV, "city-api-key"),
        Clock.systemUTC());
  }

  private FlagRecord confirmed(String camera, String label, int minutes) throws Exception {
    FlagRecord flag = api.flagged(camera, label, 0.87, minutes);
    return api.store.reviewFlag(
        new FlagReview(
            flag.frameId(), Verdict.CONFIRM, null, "paint on the bridge", "alice", false));
  }

  @Test
  void sendsAConfirmedFlagOnceWithServiceCodePositionDescriptionAndMedia() throws Exception {
    FlagRecord flag = confirmed("cam-north", "graffiti", 0);
    try (Open311Exporter exporter = exporter()) {
      Open311Outcome first = exporter.push(flag);
      Open311Outcome again = exporter.push(flag);

      assertEquals(Open311Outcome.State.SUBMITTED, first.state());
      assertEquals("638344", first.serviceRequestId());
      assertEquals(Open311Outcome.State.ALREADY_SUBMITTED, again.state());
      assertEquals("638344", again.serviceRequestId());
    }
    assertEquals(1, requests.size());
    Map<String, String> form = requests.get(0);
    assertEquals("POST", form.get("_method"));
    assertEquals("application/x-www-form-urlencoded", form.get("_contentType"));
    assertEquals("city-api-key", form.get("api_key"));
    assertEquals("city.example", form.get("jurisdiction_id"));
    assertEquals("GRAF-01", form.get("service_code"));
    assertEquals("52.3702", form.get("lat"));
    assertEquals("4.8952", form.get("long"));
    assertEquals("Dam Square, north side", form.get("address_string"));
    assertTrue(
        form.get("description").contains("graffiti seen by camera cam-north"),
        form.get("description"));
    assertTrue(
        form.get("description").contains("confirmed by reviewer alice"), form.get("description"));
    assertTrue(form.get("description").contains("paint on the bridge"), form.get("description"));
    assertTrue(form.get("media_url").startsWith(s3.endpoint()), form.get("media_url"));
    assertTrue(form.get("media_url").contains("X-Amz-Signature="), form.get("media_url"));
  }

  @Test
  void aConfirmationIsSentInTheBackground() throws Exception {
    FlagRecord flag = confirmed("cam-north", "garbage_dumping", 0);
    try (Open311Exporter exporter = exporter()) {
      exporter.flagReviewed(flag);
      Map<String, String> form = firstRequest.get(30, TimeUnit.SECONDS);
      assertEquals("DUMP-02", form.get("service_code"));
    }
  }

  @Test
  void skipsLabelsWithoutServiceCodeAndCamerasWithoutPosition() throws Exception {
    FlagRecord noCode = confirmed("cam-north", "flooding", 0);
    FlagRecord noPosition = confirmed("cam-elsewhere", "graffiti", 1);
    try (Open311Exporter exporter = exporter()) {
      assertEquals(Open311Outcome.State.SKIPPED, exporter.push(noCode).state());
      Open311Outcome skipped = exporter.push(noPosition);
      assertEquals(Open311Outcome.State.SKIPPED, skipped.state());
      assertTrue(skipped.detail().contains("cam-elsewhere"), skipped.detail());
    }
    assertEquals(0, requests.size());
  }

  @Test
  void aFailedSendIsRecordedAndTheNextPassSendsIt() throws Exception {
    failuresLeft.set(1);
    FlagRecord flag = confirmed("cam-north", "graffiti", 0);
    try (Open311Exporter exporter = exporter()) {
      Open311Outcome failed = exporter.push(flag);
      assertEquals(Open311Outcome.State.FAILED, failed.state());
      assertTrue(failed.detail().contains("database offline"), failed.detail());

      List<Open311Outcome> pass = exporter.pushConfirmed(Instant.parse("2025-06-01T00:00:00Z"));

      assertEquals(1, pass.size());
      assertEquals(Open311Outcome.State.SUBMITTED, pass.get(0).state());
      assertEquals(
          Open311Outcome.State.ALREADY_SUBMITTED, exporter.pushConfirmed(null).get(0).state());
    }
    assertEquals(2, requests.size());
  }
}
