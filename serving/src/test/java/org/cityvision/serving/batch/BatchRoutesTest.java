package org.cityvision.serving.batch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpServer;
import io.vertx.core.Vertx;
import io.vertx.core.WorkerExecutor;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import org.cityvision.core.auth.ApiKeyRecord;
import org.cityvision.core.auth.KeyRole;
import org.cityvision.core.batch.BatchJobs;
import org.cityvision.core.batch.BatchOptions;
import org.cityvision.core.batch.BatchProgress;
import org.cityvision.core.classify.Classifier;
import org.cityvision.core.classify.ClassifierOptions;
import org.cityvision.core.frame.FrameUpload;
import org.cityvision.core.job.JobStatus;
import org.cityvision.core.model.ModelPackage;
import org.cityvision.core.model.Thresholds;
import org.cityvision.core.storage.FrameStore;
import org.cityvision.core.storage.FrameStores;
import org.cityvision.core.storage.StorageConfig;
import org.cityvision.core.testing.TestImages;
import org.cityvision.core.testing.TestModels;
import org.cityvision.s3server.EmbeddedS3Server;
import org.cityvision.serving.auth.ApiKeys;
import org.cityvision.serving.review.webhook.Webhook;
import org.cityvision.serving.review.webhook.WebhookConfig;
import org.cityvision.serving.review.webhook.WebhookNotifier;
import org.cityvision.serving.testing.AreaServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code /v1/batch} through the API's router and authentication over real HTTP (port 0), a real S3
 * server, a real model whose thresholds flag every frame, and a real webhook receiver on 127.0.0.1.
 */
class BatchRoutesTest {
  private static final String ADMIN = "batch-admin-key-0123456789";
  private static final String WEBHOOK_SECRET = "batch-webhook-secret-0123456789";
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Instant DAY = Instant.parse("2026-11-05T08:00:00Z");

  @TempDir static Path dir;
  static EmbeddedS3Server s3;
  static FrameStore store;
  static Classifier classifier;
  static BatchJobs jobs;
  static Vertx vertx;
  static WorkerExecutor io;
  static AreaServer server;
  static HttpClient http = HttpClient.newHttpClient();
  static String base;
  static HttpServer receiver;
  static WebhookNotifier webhooks;

  /** Flags the jobs told their listener of. */
  static final AtomicInteger heard = new AtomicInteger();

  /** Webhook bodies the receiver got. */
  static final List<JsonNode> delivered = new CopyOnWriteArrayList<>();

  @BeforeAll
  static void start() throws Exception {
    ModelPackage pkg =
        TestModels.untrainedPackage(
            Files.createDirectories(dir.resolve("urban")),
            "urban",
            List.of("pothole_road_damage", "graffiti", "garbage_dumping", "flooding", "normal"),
            160);
    ModelPackage.writeSpec(
        pkg.dir(),
        pkg.spec()
            .withThresholds(
                new Thresholds(
                    0,
                    Map.of(
                        "pothole_road_damage",
                        0.0,
                        "graffiti",
                        0.0,
                        "garbage_dumping",
                        0.0,
                        "flooding",
                        0.0))));
    classifier =
        Classifier.open(
            ModelPackage.read(pkg.dir()),
            ClassifierOptions.defaults().withWorkers(2).withTorchThreads(1).withWarmup(false));
    s3 = EmbeddedS3Server.start(dir.resolve("s3"), 0, "batch-routes", "batch-routes-secret");
    store =
        FrameStores.open(
            StorageConfig.embedded(dir.resolve("data"))
                .withEndpoint(s3.endpoint(), "batch-routes", "batch-routes-secret")
                .withBucket("batch-routes"));
    receiver = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    receiver.createContext(
        "/hook",
        ex -> {
          delivered.add(JSON.readTree(ex.getRequestBody().readAllBytes()));
          ex.sendResponseHeaders(204, -1);
          ex.close();
        });
    receiver.start();
    Webhook hook =
        new Webhook(
            "http://127.0.0.1:" + receiver.getAddress().getPort() + "/hook", List.of(), null);
    webhooks =
        WebhookNotifier.start(
            new WebhookConfig(List.of(hook), 100, 5, 5, 50, 5_000),
            Map.of(Webhook.DEFAULT_SECRET_ENV, WEBHOOK_SECRET),
            Clock.systemUTC());
    jobs =
        new BatchJobs(
            store,
            task -> task.equals("urban") ? Optional.of(classifier) : Optional.empty(),
            BatchOptions.defaults()
                .withParallelism(2)
                .withPageSize(5)
                .withCheckpointEvery(Duration.ofMillis(20))
                .withFlagListener(
                    flag -> {
                      heard.incrementAndGet();
                      webhooks.flagCreated(flag);
                    }),
            2,
            Clock.systemUTC());
    vertx = Vertx.vertx();
    io = vertx.createSharedWorkerExecutor("batch-test-io", 4);
    store.createApiKey(new ApiKeyRecord("root", KeyRole.ADMIN, ApiKeys.hash(ADMIN), DAY));
    server =
        AreaServer.start(
            vertx,
            store,
            dir.resolve("data"),
            List.of(new BatchRoutes(jobs, io, Clock.systemUTC()).area()));
    base = server.base().toString();
    for (int i = 0; i < 30; i++) {
      store.putFrame(
          new FrameUpload(
              "cam-7", DAY.plusSeconds(i), "image/jpeg", TestImages.jpeg(320, 240, i), null));
    }
    for (int i = 0; i < 6; i++) {
      store.putFrame(
          new FrameUpload(
              "cam-3", DAY.plusSeconds(i), "image/jpeg", TestImages.jpeg(320, 240, i), null));
    }
  }

  @AfterAll
  static void stop() throws Exception {
    if (server != null) {
      server.close();
    }
    if (vertx != null) {
      io.close();
      vertx.close().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
    }
    if (jobs != null) {
      jobs.close();
    }
    if (webhooks != null) {
      webhooks.close();
    }
    if (receiver != null) {
      receiver.stop(0);
    }
    if (classifier != null) {
      classifier.close();
    }
    if (store != null) {
      store.close();
    }
    if (s3 != null) {
      s3.close();
    }
  }

  private static HttpResponse<String> send(String method, String path, String body)
      throws Exception {
    HttpRequest.Builder b =
        HttpRequest.newBuilder(URI.create(base + path))
            .timeout(Duration.ofSeconds(30))
            .header("Authorization", "Bearer " + ADMIN);
    b.method(
        method,
        body == null
            ? HttpRequest.BodyPublishers.noBody()
            : HttpRequest.BodyPublishers.ofString(body));
    if (body != null) {
      b.header("Content-Type", "application/json");
    }
    return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  private static JsonNode json(HttpResponse<String> r) throws Exception {
    return JSON.readTree(r.body());
  }

  private static BatchProgress awaitEnd(String jobId) throws Exception {
    return jobs.completion(jobId).orElseThrow().get(2, TimeUnit.MINUTES);
  }

  @Test
  void startedJobIsAcceptedThenReportsItsCountsWhenDone() throws Exception {
    HttpResponse<String> started =
        send("POST", "/v1/batch", "{\"task\":\"urban\",\"prefix\":\"frames/cam-3/\"}");

    assertEquals(202, started.statusCode(), started.body());
    String jobId = json(started).path("jobId").asText();
    assertEquals("/v1/batch/" + jobId, started.headers().firstValue("Location").orElseThrow());
    assertEquals("running", json(started).path("state").asText());
    awaitEnd(jobId);
    JsonNode done = json(send("GET", "/v1/batch/" + jobId, null));
    assertEquals("done", done.path("state").asText());
    assertEquals(6, done.path("listed").asInt());
    assertEquals(6, done.path("classified").asInt());
    assertEquals(0, done.path("skipped").asInt());
    assertEquals(0, done.path("failed").asInt());
    assertEquals(6, done.path("total").asInt());
    assertEquals("urban", done.path("model").asText());
    assertTrue(done.path("failures").isArray());
    assertTrue(done.path("etaSeconds").isNull(), "a finished job has no ETA");

    JsonNode listed = json(send("GET", "/v1/batch?limit=100", null));
    assertTrue(listed.path("jobs").findValuesAsText("jobId").contains(jobId));
    HttpResponse<String> cancelDone = send("POST", "/v1/batch/" + jobId + "/cancel", null);
    assertEquals(409, cancelDone.statusCode());
    assertEquals("job_finished", json(cancelDone).path("error").path("code").asText());
  }

  @Test
  void cancelStopsARunningJobAndResumeFinishesIt() throws Exception {
    String jobId =
        json(send("POST", "/v1/batch", "{\"task\":\"urban\",\"prefix\":\"frames/cam-7/\"}"))
            .path("jobId")
            .asText();

    HttpResponse<String> cancelled = send("DELETE", "/v1/batch/" + jobId, null);

    assertEquals(202, cancelled.statusCode(), cancelled.body());
    assertEquals("cancelled", json(cancelled).path("state").asText());
    BatchProgress end = awaitEnd(jobId);
    assertEquals(JobStatus.CANCELLED, end.status());
    assertTrue(end.counts().processed() < 30, "stopped early, after " + end.counts().processed());
    assertEquals("cancelled", json(send("GET", "/v1/batch/" + jobId, null)).path("state").asText());

    HttpResponse<String> resumed = send("POST", "/v1/batch/" + jobId + "/resume", null);
    assertEquals(202, resumed.statusCode(), resumed.body());
    BatchProgress finished = awaitEnd(jobId);
    assertEquals(JobStatus.DONE, finished.status());
    assertEquals(30, finished.counts().listed());
    assertEquals(30, finished.counts().classified() + finished.counts().skipped());
  }

  @Test
  void everyFlagABatchJobCreatesIsDeliveredOnceToTheWebhook() throws Exception {
    Set<String> frames = new TreeSet<>();
    for (int i = 0; i < 4; i++) {
      frames.add(
          store
              .putFrame(
                  new FrameUpload(
                      "cam-w",
                      DAY.plusSeconds(i),
                      "image/jpeg",
                      TestImages.jpeg(320, 240, 700 + i),
                      null))
              .frameId());
    }
    String request = "{\"task\":\"urban\",\"prefix\":\"frames/cam-w/\",\"flag\":true}";

    BatchProgress first = awaitEnd(json(send("POST", "/v1/batch", request)).path("jobId").asText());
    BatchProgress again = awaitEnd(json(send("POST", "/v1/batch", request)).path("jobId").asText());

    assertEquals(4, first.counts().classified(), "every frame classified");
    assertEquals(4, again.counts().skipped(), "a re-run skips classified frames");
    assertEquals(4, heard.get(), "the re-run creates no flag, so nothing is told twice");
    long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    while (delivered.size() < 4) {
      assertTrue(
          System.nanoTime() < deadline, "only " + delivered.size() + " of 4 deliveries arrived");
      LockSupport.parkNanos(Duration.ofMillis(20).toNanos());
    }
    Set<String> flagged = new TreeSet<>();
    for (JsonNode body : delivered) {
      assertEquals("flag.created", body.path("event").asText(), body.toString());
      assertEquals("open", body.at("/flag/status").asText(), body.toString());
      flagged.add(body.at("/flag/frameId").asText());
    }
    assertEquals(frames, flagged);
  }

  @Test
  void refusesBadRequestsWithJsonErrors() throws Exception {
    assertError(
        400,
        "unknown_task",
        send("POST", "/v1/batch", "{\"task\":\"waste\",\"prefix\":\"frames/cam-7/\"}"));
    assertError(
        400,
        "invalid_request",
        send("POST", "/v1/batch", "{\"task\":\"urban\",\"prefix\":\"results/\"}"));
    assertError(400, "invalid_request", send("POST", "/v1/batch", "{\"task\":\"urban\"}"));
    assertError(
        400,
        "invalid_request",
        send("POST", "/v1/batch", "{\"task\":\"urban\",\"prefix\":\"frames/\",\"flags\":true}"));
    assertError(400, "invalid_json", send("POST", "/v1/batch", "not json"));
    assertError(404, "not_found", send("GET", "/v1/batch/no-such-job", null));
    assertError(404, "not_found", send("POST", "/v1/batch/no-such-job/cancel", null));
    assertError(404, "not_found", send("POST", "/v1/batch/no-such-job/resume", null));
  }

  private static void assertError(int status, String code, HttpResponse<String> r)
      throws Exception {
    assertEquals(status, r.statusCode(), r.body());
    assertEquals(code, json(r).path("error").path("code").asText(), r.body());
  }
}
