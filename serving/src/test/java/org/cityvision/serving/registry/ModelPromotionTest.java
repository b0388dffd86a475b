package org.cityvision.serving.registry;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.minio.MinioClient;
import io.minio.PutObjectArgs;
import io.vertx.core.json.JsonObject;
import java.io.ByteArrayInputStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import java.util.stream.Stream;
import org.cityvision.core.model.ModelPackage;
import org.cityvision.core.storage.ModelManifest;
import org.cityvision.core.storage.StorageKeys;
import org.cityvision.core.testing.TestImages;
import org.cityvision.s3server.EmbeddedS3Server;
import org.cityvision.serving.ServingNode;
import org.cityvision.serving.config.AuthConfig;
import org.cityvision.serving.config.InferenceConfig;
import org.cityvision.serving.config.ModelsConfig;
import org.cityvision.serving.config.Secrets;
import org.cityvision.serving.config.ServerConfig;
import org.cityvision.serving.config.StoreConfig;
import org.cityvision.serving.testing.ServingFixture;
import org.cityvision.serving.testing.TestClient;
import org.cityvision.serving.testing.TestClient.Response;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two nodes on one S3 store, a sorting machine asking each throughout: a version promoted through
 * one node serves on both within 10 s and a rollback brings both back, with no failed request; a
 * corrupt version promoted by force leaves both on the version they have, saying so in {@code
 * /health/ready} and {@code /metrics}. Nodes follow the store at the default {@code
 * models.watchMs}.
 */
class ModelPromotionTest {
  private static final String ACCESS = "promotion-access";
  private static final String SECRET = "promotion-secret";
  private static final String BUCKET = "promotion";
  private static final Duration SWAP_DEADLINE = Duration.ofSeconds(10);

  @TempDir static Path dir;
  static EmbeddedS3Server s3;
  static ServingNode a;
  static ServingNode b;
  static TestClient toA;
  static TestClient toB;
  static String sorter;
  static String shippedVersion;

  @BeforeAll
  static void start() throws Exception {
    s3 = EmbeddedS3Server.start(dir.resolve("s3"), 0, ACCESS, SECRET);
    Secrets secrets = new Secrets(ServingFixture.ADMIN_KEY, ACCESS, SECRET);
    a = ServingFixture.start(node(dir.resolve("a")), secrets);
    b = ServingFixture.start(node(dir.resolve("b")), secrets);
    toA = new TestClient(a.port());
    toB = new TestClient(b.port());
    sorter = toA.newKey("sorter", "promotion-sorter");
    shippedVersion = a.models().task("waste").orElseThrow().version();
  }

  private static ServerConfig node(Path data) throws Exception {
    ServerConfig c = ServingFixture.withModels(data);
    StoreConfig s = c.storage();
    // One image per forward pass (the default); the classifier warm-up off, as in every serving
    // test.
    return c.withModels(new ModelsConfig(c.models().waste(), "", true))
        .withInference(new InferenceConfig(2, 1, 1, 2, 64, 0, 2, 3, false))
        .withAuth(new AuthConfig(0, 1, 200))
        .withStorage(
            new StoreConfig(
                s3.endpoint(), s.region(), BUCKET, false, s.spoolMaxBytes(), 5_000, 5_000));
  }

  @AfterAll
  static void stop() throws Exception {
    for (TestClient c : new TestClient[] {toA, toB}) {
      if (c != null) {
        c.close();
      }
    }
    ServingFixture.stop(a);
    ServingFixture.stop(b);
    if (s3 != null) {
      s3.close();
    }
  }

  private static ModelPackage copyAs(String version) throws Exception {
    return ServingFixture.wasteCopy(dir.resolve("packages").resolve(version), version);
  }

  private static String live() throws Exception {
    return a.store().models().live("waste").map(p -> p.version()).orElseThrow();
  }

  @Test
  void promotedVersionServesOnBothNodesWithinTenSecondsAndRollbackReturnsWithNoFailedRequest()
      throws Exception {
    String before = live();
    String next = shippedVersion + "-b";
    a.store().models().put(copyAs(next), "test");

    try (Load load = new Load()) {
      load.awaitAnswers(5);
      Response promoted =
          toA.postJson(
              "/v1/models/waste/versions/" + next + "/promote",
              ServingFixture.ADMIN_KEY,
              new JsonObject().put("reason", "better on the site's holdout"));
      long t0 = System.nanoTime();
      assertEquals(200, promoted.status(), promoted.text());
      assertEquals(next, promoted.json().getString("version"));
      assertEquals(before, promoted.json().getString("previous"));
      long promoteMs = load.awaitBothAnswering(next, t0);

      Response rolledBack =
          toB.postJson("/v1/models/waste/rollback", ServingFixture.ADMIN_KEY, new JsonObject());
      long t1 = System.nanoTime();
      assertEquals(200, rolledBack.status(), rolledBack.text());
      assertEquals(before, rolledBack.json().getString("version"));
      long rollbackMs = load.awaitBothAnswering(before, t1);

      load.stop();
      System.out.printf(
          "promote -> both nodes on %s: %d ms; rollback -> both on %s: %d ms; requests %d, failed %d%n",
          next, promoteMs, before, rollbackMs, load.answered.get(), load.failures.size());
      assertEquals(List.of(), List.copyOf(load.failures), "requests that failed during the swaps");
      assertTrue(load.answered.get() >= 10, "requests answered: " + load.answered.get());
      assertEquals(Map.of(before, true, next, true), Map.copyOf(load.versionsSeen));
    }

    // Node a re-reads the card once its maintainer has seen the rollback.
    awaitTrue(
        () ->
            before.equals(
                toA.get("/v1/models/waste", sorter)
                    .json()
                    .getJsonObject("live")
                    .getString("version")),
        SWAP_DEADLINE,
        "node a's card shows " + before + " live");
    JsonObject card = toA.get("/v1/models/waste", sorter).json();
    assertTrue(
        card.getJsonArray("versions").stream()
            .map(JsonObject.class::cast)
            .anyMatch(v -> v.getString("version").equals(next) && !v.getBoolean("live")),
        card.encodePrettily());
    // Each node reports what it serves: node a answers for both.
    awaitTrue(
        () -> {
          var nodes = toA.get("/v1/models/waste", sorter).json().getJsonArray("nodes");
          return nodes.size() == 2
              && nodes.stream()
                  .map(JsonObject.class::cast)
                  .allMatch(
                      n ->
                          before.equals(n.getString("served"))
                              && n.getBoolean("servingLive")
                              && !n.getBoolean("stale"));
        },
        SWAP_DEADLINE,
        "both nodes reported serving " + before);
  }

  @Test
  void aCorruptVersionPromotedByForceLeavesBothNodesOnTheirVersionAndTheySaySo() throws Exception {
    String before = live();
    String corrupt = shippedVersion + "-corrupt";
    ModelManifest m = a.store().models().put(copyAs(corrupt), "test");
    overwrite(StorageKeys.modelFile("waste", corrupt, m.uploadId(), "model.json"));

    Response refused =
        toA.postJson(
            "/v1/models/waste/versions/" + corrupt + "/promote",
            ServingFixture.ADMIN_KEY,
            new JsonObject());
    assertEquals(409, refused.status(), refused.text());
    assertEquals("package_invalid", refused.errorCode());
    Response forced =
        toA.postJson(
            "/v1/models/waste/versions/" + corrupt + "/promote",
            ServingFixture.ADMIN_KEY,
            new JsonObject().put("force", true).put("reason", "test of a corrupt package"));
    assertEquals(200, forced.status(), forced.text());
    assertTrue(forced.json().getBoolean("forced"));

    try (Load load = new Load()) {
      for (TestClient node : List.of(toA, toB)) {
        AtomicReference<JsonObject> waste = new AtomicReference<>();
        awaitTrue(
            () -> {
              Response ready = node.get("/health/ready", null);
              waste.set(ready.json().getJsonObject("models").getJsonObject("waste"));
              return ready.status() == 200
                  && waste.get().getString("error") != null
                  && waste.get().getString("error").contains(corrupt);
            },
            SWAP_DEADLINE,
            "a node reports it cannot serve " + corrupt);
        assertEquals(before, waste.get().getString("version"));
        assertEquals(corrupt, waste.get().getString("live"));
        assertFalse(waste.get().getBoolean("servingLive"));
        assertTrue(waste.get().getString("error").contains("corrupt"), waste.get().encode());
        String metrics = node.get("/metrics", null).text();
        assertTrue(
            metrics.contains("cityvision_model_serving_live{task=\"waste\",model=\"waste\"} 0"),
            metrics);
        assertTrue(
            metrics.contains(
                "cityvision_model_info{task=\"waste\",model=\"waste\",served=\""
                    + before
                    + "\",live=\""
                    + corrupt
                    + "\"} 1"),
            metrics);
        assertFalse(
            metrics.contains(
                "cityvision_model_swap_failures_total{task=\"waste\",model=\"waste\"} 0"));
      }
      load.awaitAnswers(load.answered.get() + 4);
      load.stop();
      assertEquals(List.of(), List.copyOf(load.failures));
      assertEquals(Map.of(before, true), Map.copyOf(load.versionsSeen));
    }

    assertEquals(
        before,
        toA.postJson("/v1/models/waste/rollback", ServingFixture.ADMIN_KEY, new JsonObject())
            .json()
            .getString("version"));
    awaitTrue(
        () ->
            toB.get("/health/ready", null)
                .json()
                .getJsonObject("models")
                .getJsonObject("waste")
                .getBoolean("servingLive"),
        SWAP_DEADLINE,
        "node b serves the live version again");
  }

  @Test
  void badPromotesAndRollbacksGetClearErrors() throws Exception {
    Response unknown =
        toA.postJson(
            "/v1/models/waste/versions/0.0.0-none/promote",
            ServingFixture.ADMIN_KEY,
            new JsonObject());
    assertEquals(404, unknown.status(), unknown.text());
    assertEquals(
        400,
        toA.postJson(
                "/v1/models/waste/versions/live/promote",
                ServingFixture.ADMIN_KEY,
                new JsonObject())
            .status());
    assertEquals(
        409,
        toA.postJson(
                "/v1/models/waste/versions/" + live() + "/promote",
                ServingFixture.ADMIN_KEY,
                new JsonObject())
            .status());
    assertEquals(
        400,
        toA.postJson(
                "/v1/models/waste/rollback",
                ServingFixture.ADMIN_KEY,
                new JsonObject().put("reason", 7))
            .status());
    assertEquals(403, toA.postJson("/v1/models/waste/rollback", sorter, new JsonObject()).status());
    Response none =
        toA.postJson("/v1/models/urban/rollback", ServingFixture.ADMIN_KEY, new JsonObject());
    assertEquals(404, none.status(), none.text());
    assertTrue(none.json().getJsonObject("error").getString("requestId") != null);
  }

  /**
   * Replaces an object's bytes with well-formed ones (its own checksum metadata matches) of other
   * content.
   */
  private static void overwrite(String key) throws Exception {
    byte[] bytes = new byte[4096];
    new Random(7).nextBytes(bytes);
    MinioClient client =
        MinioClient.builder()
            .endpoint(s3.endpoint())
            .credentials(ACCESS, SECRET)
            .region("us-east-1")
            .build();
    client.putObject(
        PutObjectArgs.builder().bucket(BUCKET).object(key).stream(
                new ByteArrayInputStream(bytes), bytes.length, -1)
            .userMetadata(Map.of("sha256", StorageKeys.sha256Hex(bytes)))
            .build());
  }

  private static void awaitTrue(BooleanSupplier condition, Duration deadline, String what) {
    long end = System.nanoTime() + deadline.toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > end) {
        throw new AssertionError("not within " + deadline + ": " + what);
      }
      LockSupport.parkNanos(Duration.ofMillis(50).toNanos());
    }
  }

  /**
   * A sorting machine per node asking in a loop, one item every {@link #PACE} (about 10 a second
   * per node, a fast sorting line); every answer's version is recorded, every failure kept.
   */
  private static final class Load implements AutoCloseable {
    private static final int MAX_REQUESTS = 5_000;
    private static final Duration PACE = Duration.ofMillis(100);
    final AtomicInteger answered = new AtomicInteger();
    final List<String> failures = new CopyOnWriteArrayList<>();
    final Map<String, Boolean> versionsSeen = new ConcurrentHashMap<>();
    final Map<TestClient, String> lastVersion = new ConcurrentHashMap<>();
    private final AtomicBoolean stop = new AtomicBoolean();
    private final List<Thread> threads;

    Load() {
      threads =
          Stream.of(toA, toB)
              .map(
                  c -> {
                    Thread t = new Thread(() -> run(c), "sorting-machine-" + c);
                    t.start();
                    return t;
                  })
              .toList();
    }

    private void run(TestClient client) {
      byte[] jpeg = TestImages.jpeg(320, 240, 5);
      long next = System.nanoTime();
      while (!stop.get() && answered.get() < MAX_REQUESTS) {
        next += PACE.toNanos();
        Response r = client.post("/v1/classify/waste", sorter, "image/jpeg", jpeg);
        if (r.status() != 200) {
          failures.add(r.status() + " " + r.text());
          continue;
        }
        String version = r.json().getString("version");
        versionsSeen.put(version, true);
        lastVersion.put(client, version);
        answered.incrementAndGet();
        LockSupport.parkNanos(next - System.nanoTime());
      }
    }

    void awaitAnswers(int n) {
      awaitTrue(() -> answered.get() >= n, Duration.ofSeconds(30), n + " answers");
    }

    /**
     * Milliseconds from {@code sinceNanos} until both nodes' latest answers name {@code version}.
     */
    long awaitBothAnswering(String version, long sinceNanos) {
      awaitTrue(
          () -> version.equals(lastVersion.get(toA)) && version.equals(lastVersion.get(toB)),
          SWAP_DEADLINE.minusNanos(System.nanoTime() - sinceNanos),
          "both nodes answer with version " + version);
      return (System.nanoTime() - sinceNanos) / 1_000_000;
    }

    void stop() throws InterruptedException {
      stop.set(true);
      for (Thread t : threads) {
        t.join(Duration.ofSeconds(90).toMillis());
      }
    }

    @Override
    public void close() throws InterruptedException {
      stop();
    }
  }
}
