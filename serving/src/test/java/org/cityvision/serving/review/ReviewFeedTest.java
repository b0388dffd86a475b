package org.cityvision.serving.review;

import static org.cityvision.serving.review.ReviewServer.ALICE;
import static org.cityvision.serving.review.ReviewServer.json;
import static org.cityvision.serving.review.ReviewServer.verdict;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The live review queue, {@code GET /v1/review/events}, read as a real server-sent event stream
 * over HTTP from two review nodes sharing one S3 bucket: flags and verdicts made on either node
 * reach a stream on the other within 2 s, and a client resuming with {@code Last-Event-ID} gets
 * what it missed.
 */
class ReviewFeedTest extends SharedS3 {
  private static final ObjectMapper JSON = new ObjectMapper();
  @TempDir Path dataA;
  @TempDir Path dataB;
  ReviewServer a;
  ReviewServer b;

  @BeforeEach
  void start() throws Exception {
    a = ReviewServer.start(vertx, s3, dataA, ReviewEvents.NONE);
    b = ReviewServer.start(vertx, s3, dataB, ReviewEvents.NONE, a.bucket);
  }

  @AfterEach
  void stop() throws Exception {
    b.close();
    a.close();
  }

  /** One event of the stream. */
  record Event(Long id, String name, JsonNode data) {}

  /** A stream read line by line on the HTTP client's threads into a queue of events. */
  static final class EventStream implements AutoCloseable {
    final BlockingQueue<Event> events = new LinkedBlockingQueue<>();
    final CompletableFuture<HttpResponse<Stream<String>>> response;
    final HttpClient client = HttpClient.newHttpClient();

    EventStream(ReviewServer node, String key, Long lastEventId) {
      HttpRequest.Builder r =
          HttpRequest.newBuilder(node.base.resolve("/v1/review/events"))
              .header("Authorization", "Bearer " + key);
      if (lastEventId != null) {
        r.header("Last-Event-ID", Long.toString(lastEventId));
      }
      response = client.sendAsync(r.build(), HttpResponse.BodyHandlers.ofLines());
      response.thenAcceptAsync(
          res -> {
            Long id = null;
            String name = null;
            StringBuilder data = new StringBuilder();
            for (String line : (Iterable<String>) res.body()::iterator) {
              if (line.isEmpty()) {
                if (name != null) {
                  try {
                    events.add(new Event(id, name, JSON.readTree(data.toString())));
                  } catch (Exception e) {
                    throw new IllegalStateException("not JSON: " + data, e);
                  }
                }
                id = null;
                name = null;
                data.setLength(0);
              } else if (line.startsWith("id: ")) {
                id = Long.parseLong(line.substring(4));
              } else if (line.startsWith("event: ")) {
                name = line.substring(7);
              } else if (line.startsWith("data: ")) {
                data.append(line.substring(6));
              }
            }
          });
    }

    /** The first event matching {@code what} within {@code within}, skipping the others. */
    Event await(Predicate<Event> what, Duration within, String description)
        throws InterruptedException {
      long end = System.nanoTime() + within.toNanos();
      while (true) {
        Event e = events.poll(Math.max(0, end - System.nanoTime()), TimeUnit.NANOSECONDS);
        if (e == null) {
          throw new AssertionError("no event within " + within + ": " + description);
        }
        if (what.test(e)) {
          return e;
        }
      }
    }

    @Override
    public void close() {
      response.thenAccept(res -> res.body().close());
      response.cancel(true);
    }
  }

  private static boolean changes(Event e, String kind, String frameId) {
    if (!e.name().equals("queue")) {
      return false;
    }
    for (JsonNode c : e.data().get("changes")) {
      if (c.get("kind").asText().equals(kind) && c.get("frameId").asText().equals(frameId)) {
        return true;
      }
    }
    return false;
  }

  @Test
  void flagsAndVerdictsMadeOnEitherNodeReachAStreamOnTheOtherWithinTwoSeconds() throws Exception {
    a.flagged("cam-1", "graffiti", 0.9, 0);
    try (EventStream stream = new EventStream(a, ALICE, null)) {
      Event hello =
          stream.await(e -> e.name().equals("queue"), Duration.ofSeconds(5), "the current counts");
      assertEquals(1, hello.data().at("/counts/open/count").asInt());

      long start = System.nanoTime();
      String onB = b.flagged("cam-2", "pothole", 0.8, 5).frameId();
      Event created =
          stream.await(
              e -> changes(e, "created", onB), Duration.ofSeconds(2), "the flag created on node B");
      long ms = (System.nanoTime() - start) / 1_000_000;
      assertEquals(2, created.data().at("/counts/open/count").asInt());
      assertEquals(1, created.data().at("/counts/openByCamera/cam-2").asInt());
      assertTrue(ms <= 2000, "took " + ms + " ms");

      json(b.post("/v1/flags/" + onB + "/review", ALICE, verdict("reject")), 200);
      Event judged =
          stream.await(
              e -> changes(e, "reviewed", onB), Duration.ofSeconds(2), "the verdict on node B");
      assertEquals(1, judged.data().at("/counts/open/count").asInt());
      assertEquals(1, judged.data().at("/counts/rejected/count").asInt());
      assertTrue(judged.id() > created.id(), "event ids grow");
    }
  }

  @Test
  void aClientResumingWithLastEventIdGetsEveryChangeItMissedInOrder() throws Exception {
    long last;
    try (EventStream stream = new EventStream(a, ALICE, null)) {
      last =
          stream
              .await(e -> e.name().equals("queue"), Duration.ofSeconds(5), "the current counts")
              .id();
    }
    List<String> missed = new ArrayList<>();
    for (int m = 0; m < 3; m++) {
      missed.add(b.flagged("cam-3", "graffiti", 0.9, m).frameId());
    }
    b.store.flagCounts();
    try (EventStream resumed = new EventStream(a, ALICE, last)) {
      List<String> got = new ArrayList<>();
      long previous = last;
      while (got.size() < 3) {
        Event e =
            resumed.await(x -> x.name().equals("queue"), Duration.ofSeconds(5), "the missed flags");
        assertTrue(e.id() > previous, "ids ascend: " + e.id() + " after " + previous);
        previous = e.id();
        e.data().get("changes").forEach(c -> got.add(c.get("frameId").asText()));
      }
      assertEquals(missed, got);
    }
  }

  @Test
  void aStreamEndsBeforeTheRequestTimeoutAndABadResumeIdIsRefused() throws Exception {
    HttpClient client = HttpClient.newHttpClient();
    long start = System.nanoTime();
    HttpResponse<String> whole =
        client.send(
            HttpRequest.newBuilder(a.base.resolve("/v1/review/events"))
                .header("Authorization", "Bearer " + ALICE)
                .timeout(Duration.ofSeconds(15))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertEquals(200, whole.statusCode());
    assertEquals(
        "text/event-stream; charset=utf-8", whole.headers().firstValue("Content-Type").orElse(""));
    assertTrue(whole.body().contains("event: queue"), whole.body());
    assertTrue(
        System.nanoTime() - start < Duration.ofSeconds(10).toNanos(), "the 5 s stream ended");

    HttpResponse<String> bad =
        client.send(
            HttpRequest.newBuilder(a.base.resolve("/v1/review/events"))
                .header("Authorization", "Bearer " + ALICE)
                .header("Last-Event-ID", "yesterday")
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertTrue(
        json(bad, 400).at("/error/message").asText().contains("Last-Event-ID must be an event id"));
    assertEquals(
        401,
        client
            .send(
                HttpRequest.newBuilder(a.base.resolve("/v1/review/events")).build(),
                HttpResponse.BodyHandlers.ofString())
            .statusCode());
  }
}
