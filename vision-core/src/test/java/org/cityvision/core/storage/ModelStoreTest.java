package org.cityvision.core.storage;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.cityvision.core.model.ModelPackage;
import org.cityvision.core.storage.bucket.DurableBucket;
import org.cityvision.core.testing.TestModels;
import org.cityvision.s3server.EmbeddedS3Server;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.io.TempDir;

/**
 * The model registry against a real S3 server: packages, checksums, the live pointer and its races.
 */
class ModelStoreTest {
  @TempDir Path dir;
  private EmbeddedS3Server server;
  private MinioFrameStore store;
  private ModelStore models;

  @BeforeEach
  void open(TestInfo info) throws Exception {
    server = StoreFixture.server(dir.resolve("s3"));
    store =
        StoreFixture.open(server, dir.resolve("node"), StoreFixture.bucket(info.getDisplayName()));
    models = store.models();
  }

  @AfterEach
  void close() throws Exception {
    if (store != null) {
      store.close();
    }
    if (server != null) {
      server.close();
    }
  }

  /** A package folder: a valid model.json, weights of random bytes, a report in a subfolder. */
  private ModelPackage pkg(String name, String version, long seed) throws Exception {
    Path p = dir.resolve("packages").resolve(name + "-" + version);
    ModelPackage.writeSpec(
        p, TestModels.spec(name, TestModels.WASTE_LABELS, 64).withVersion(version));
    byte[] weights = new byte[300_000];
    new Random(seed).nextBytes(weights);
    Files.write(p.resolve("model-0000.params"), weights);
    Files.createDirectories(p.resolve("report"));
    Files.writeString(p.resolve("report/EVALUATION.md"), "# " + name + " " + version + "\n");
    Files.writeString(p.resolve(".DS_Store"), "hidden files are not part of a package");
    return ModelPackage.read(p);
  }

  @Test
  void putPackageIsFetchedBackByteForByteWithEveryFileChecksummed() throws Exception {
    ModelPackage pkg = pkg("waste", "2.0.0", 1);
    ModelManifest manifest = models.put(pkg, "tester");

    assertEquals(
        List.of("model-0000.params", "model.json", "report/EVALUATION.md"),
        manifest.files().stream().map(ModelManifest.PackageFile::path).toList());
    Path copy = models.fetch("waste", "2.0.0", dir.resolve("cache"));
    assertEquals(dir.resolve("cache/waste/2.0.0"), copy);
    for (String f : List.of("model-0000.params", "model.json", "report/EVALUATION.md")) {
      assertArrayEquals(
          Files.readAllBytes(pkg.dir().resolve(f)), Files.readAllBytes(copy.resolve(f)), f);
    }
    assertFalse(Files.exists(copy.resolve(".DS_Store")));
    assertEquals("2.0.0", ModelPackage.read(copy).spec().version());
    assertEquals(
        List.of("2.0.0"), models.versions("waste").stream().map(ModelManifest::version).toList());
    assertEquals(List.of("waste"), models.models());
  }

  @Test
  void puttingAnExistingVersionAgainIsRefused() throws Exception {
    models.put(pkg("waste", "2.0.0", 1), "tester");
    ConflictException e =
        assertThrows(ConflictException.class, () -> models.put(pkg("waste", "2.0.0", 2), "tester"));
    assertTrue(e.getMessage().contains("never reused"), e.getMessage());
    assertEquals(1, models.versions("waste").size());
  }

  @Test
  void aFileAlteredInTheStoreIsRefusedOnFetch() throws Exception {
    ModelManifest m = models.put(pkg("waste", "2.0.0", 1), "tester");
    byte[] other = new byte[300_000];
    new Random(99).nextBytes(other);
    // A well-formed object (its own metadata checksum matches) with bytes the manifest does not
    // list.
    store
        .bucket()
        .put(
            DurableBucket.object(
                StorageKeys.modelFile("waste", "2.0.0", m.uploadId(), "model-0000.params"),
                "application/octet-stream",
                Map.of(),
                other,
                false));

    ChecksumMismatchException e =
        assertThrows(
            ChecksumMismatchException.class,
            () -> models.fetch("waste", "2.0.0", dir.resolve("cache")));
    assertTrue(
        e.getMessage().contains("corrupt") && e.getMessage().contains("model-0000.params"),
        e.getMessage());
    assertFalse(
        Files.exists(dir.resolve("cache/waste/2.0.0")),
        "no half-verified copy is left in the cache");
  }

  @Test
  void aPackageWithAFileMissingIsRefusedAsIncomplete() throws Exception {
    ModelManifest m = models.put(pkg("waste", "2.0.0", 1), "tester");
    store.bucket().remove(StorageKeys.modelFile("waste", "2.0.0", m.uploadId(), "model.json"));

    ChecksumMismatchException e =
        assertThrows(
            ChecksumMismatchException.class,
            () -> models.fetch("waste", "2.0.0", dir.resolve("cache")));
    assertTrue(e.getMessage().contains("incomplete"), e.getMessage());
  }

  @Test
  void aCachedCopyThatNoLongerMatchesIsDownloadedAgain() throws Exception {
    ModelPackage pkg = pkg("waste", "2.0.0", 1);
    models.put(pkg, "tester");
    Path copy = models.fetch("waste", "2.0.0", dir.resolve("cache"));
    Files.write(copy.resolve("model-0000.params"), new byte[] {1, 2, 3});

    Path again = models.fetch("waste", "2.0.0", dir.resolve("cache"));
    assertArrayEquals(
        Files.readAllBytes(pkg.weightsFile()),
        Files.readAllBytes(again.resolve("model-0000.params")));
  }

  @Test
  void rollbacksWalkBackThroughThePromotionsUntilTheFirstVersion() throws Exception {
    assertTrue(models.seed(pkg("waste", "1.0.0", 1)).isPresent());
    models.put(pkg("waste", "2.0.0", 2), "tester");
    models.put(pkg("waste", "3.0.0", 3), "tester");
    models.promote("waste", "2.0.0", "1.0.0", "admin", "better on holdout");
    LivePointer three = models.promote("waste", "3.0.0", null, "admin", "", true);
    assertEquals(3, three.revision());
    assertEquals("2.0.0", three.previous());
    assertTrue(three.forced());

    LivePointer back = models.rollback("waste", "admin", "worse in the field");
    assertEquals("2.0.0", back.version());
    assertEquals("1.0.0", back.previous());
    assertEquals(LivePointer.Action.ROLLBACK, back.action());
    assertEquals("1.0.0", models.rollback("waste", "admin", "").version());
    ConflictException none =
        assertThrows(ConflictException.class, () -> models.rollback("waste", "admin", ""));
    assertTrue(none.getMessage().contains("no version to roll back to"), none.getMessage());
    assertEquals("1.0.0", models.live("waste").orElseThrow().version());
    assertEquals(
        List.of(5L, 4L, 3L, 2L, 1L),
        models.history("waste", 10).stream().map(LivePointer::revision).toList());
  }

  @Test
  void aNewerShippedPackageIsOfferedBesideTheLiveVersionWithoutBeingMadeLive() throws Exception {
    assertTrue(models.seed(pkg("waste", "1.0.0", 1)).isPresent());

    assertTrue(models.seed(pkg("waste", "1.1.0", 2)).isEmpty());
    assertTrue(models.seed(pkg("waste", "1.1.0", 2)).isEmpty());

    assertEquals("1.0.0", models.live("waste").orElseThrow().version());
    assertEquals(1, models.live("waste").orElseThrow().revision());
    LivePointer promoted = models.promote("waste", "1.1.0", "1.0.0", "admin", "upgrade");
    assertEquals("1.1.0", promoted.version());
  }

  @Test
  void promoteRefusesUnknownVersionsStaleExpectationsAndTheLiveVersion() throws Exception {
    models.seed(pkg("waste", "1.0.0", 1));
    models.put(pkg("waste", "2.0.0", 2), "tester");

    assertThrows(
        ObjectNotFoundException.class, () -> models.promote("waste", "9.9.9", null, "admin", ""));
    ConflictException stale =
        assertThrows(
            ConflictException.class, () -> models.promote("waste", "2.0.0", "0.5.0", "admin", ""));
    assertTrue(stale.getMessage().contains("is 1.0.0, not 0.5.0"), stale.getMessage());
    assertThrows(
        ConflictException.class, () -> models.promote("waste", "1.0.0", null, "admin", ""));
    assertEquals(1, models.live("waste").orElseThrow().revision());
    assertThrows(ObjectNotFoundException.class, () -> models.rollback("urban", "admin", ""));
  }

  @Test
  void ofConcurrentPromotesFromTheSameLiveVersionExactlyOneWins() throws Exception {
    models.seed(pkg("waste", "1.0.0", 1));
    int n = 8;
    for (int i = 0; i < n; i++) {
      models.put(pkg("waste", "2.0." + i, 10 + i), "tester");
    }
    ExecutorService pool = Executors.newFixedThreadPool(n);
    try {
      CountDownLatch go = new CountDownLatch(1);
      List<Future<LivePointer>> all = new ArrayList<>();
      for (int i = 0; i < n; i++) {
        String version = "2.0." + i;
        all.add(
            pool.submit(
                () -> {
                  go.await();
                  return models.promote("waste", version, "1.0.0", "admin-" + version, "race");
                }));
      }
      go.countDown();
      List<LivePointer> won = new ArrayList<>();
      int conflicts = 0;
      for (Future<LivePointer> f : all) {
        try {
          won.add(f.get(60, TimeUnit.SECONDS));
        } catch (ExecutionException e) {
          assertTrue(e.getCause() instanceof ConflictException, e.getCause().toString());
          conflicts++;
        }
      }
      assertEquals(1, won.size(), "promotes that succeeded: " + won);
      assertEquals(n - 1, conflicts);
      LivePointer live = models.live("waste").orElseThrow();
      assertEquals(won.get(0).version(), live.version());
      assertEquals(2, live.revision());
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void nodesSeedingTogetherSeedOnce() throws Exception {
    ModelPackage shipped = pkg("urban", "1.0.0", 1);
    ExecutorService pool = Executors.newFixedThreadPool(4);
    try {
      CountDownLatch go = new CountDownLatch(1);
      List<Future<Optional<LivePointer>>> all = new ArrayList<>();
      for (int i = 0; i < 4; i++) {
        all.add(
            pool.submit(
                () -> {
                  go.await();
                  return models.seed(shipped);
                }));
      }
      go.countDown();
      int seeded = 0;
      for (Future<Optional<LivePointer>> f : all) {
        seeded += f.get(60, TimeUnit.SECONDS).isPresent() ? 1 : 0;
      }
      assertEquals(1, seeded);
    } finally {
      pool.shutdownNow();
    }
    LivePointer live = models.live("urban").orElseThrow();
    assertEquals("1.0.0", live.version());
    assertNull(live.previous());
    assertEquals(LivePointer.Action.SEED, live.action());
    assertEquals(1, models.versions("urban").size());
    assertTrue(models.seed(shipped).isEmpty(), "a seeded model is not seeded again");
    assertNotNullFetch();
  }

  @Test
  void eachNodesLatestReportIsKeptAndIsNeverTakenForAVersion() throws Exception {
    models.seed(pkg("waste", "1.0.0", 1));
    Instant t = Instant.parse("2026-12-06T20:00:00Z");
    models.report(new NodeReport("host-a-0123", "waste", "waste", "1.0.0", "1.0.0", null, t));
    models.report(new NodeReport("host-b-4567", "waste", "waste", "0.9.0", "1.0.0", "corrupt", t));
    models.report(
        new NodeReport("host-a-0123", "waste", "waste", "1.0.0", "1.0.0", null, t.plusSeconds(30)));

    List<NodeReport> nodes = models.nodes("waste");
    assertEquals(
        List.of("host-a-0123", "host-b-4567"), nodes.stream().map(NodeReport::node).toList());
    assertEquals(t.plusSeconds(30), nodes.get(0).at());
    assertEquals("corrupt", nodes.get(1).error());
    assertEquals(
        List.of("1.0.0"), models.versions("waste").stream().map(ModelManifest::version).toList());
    assertThrows(
        IllegalArgumentException.class, () -> models.promote("waste", "nodes", null, "admin", ""));
  }

  @Test
  void shadowRunsAndEachNodesComparisonsAreKeptApartAndNeverTakenForAVersion() throws Exception {
    models.seed(pkg("waste", "1.0.0", 1));
    var json = JsonNodeFactory.instance;
    models.putShadow(
        "waste", "c1", json.objectNode().put("candidate", "c1").put("state", "active"));
    models.putShadow("waste", "c2", json.objectNode().put("candidate", "c2").put("state", "ended"));
    models.putShadowNode("waste", "c1", "host-a-0123", json.objectNode().put("compared", 5));
    models.putShadowNode("waste", "c1", "host-b-4567", json.objectNode().put("compared", 7));
    models.putShadowNode("waste", "c1", "host-a-0123", json.objectNode().put("compared", 9));

    assertEquals(
        List.of("c1", "c2"),
        models.shadows("waste").stream().map(n -> n.path("candidate").asText()).toList(),
        "the runs, not the nodes' comparisons beside them");
    assertEquals("active", models.shadow("waste", "c1").orElseThrow().path("state").asText());
    assertEquals(
        List.of(9, 7),
        models.shadowNodes("waste", "c1").stream().map(n -> n.path("compared").asInt()).toList(),
        "one object per node, the latest");
    assertEquals(
        9, models.shadowNode("waste", "c1", "host-a-0123").orElseThrow().path("compared").asInt());
    assertEquals(List.of(), models.shadowNodes("waste", "c2"));
    assertTrue(models.shadow("waste", "c3").isEmpty());
    assertEquals(
        List.of("1.0.0"), models.versions("waste").stream().map(ModelManifest::version).toList());
    assertThrows(
        IllegalArgumentException.class,
        () -> models.promote("waste", "shadows", null, "admin", ""));
  }

  private void assertNotNullFetch() throws Exception {
    Path copy = models.fetch("urban", "1.0.0", dir.resolve("cache"));
    assertEquals("urban", ModelPackage.read(copy).spec().name());
  }

  @Test
  void anAddedLabelIsCreatedOnceListedByIdAndInFullAndNeverAVersion() throws Exception {
    ModelLabel textile = new ModelLabel("textile", "clothes and rags", "admin-1", Instant.now());
    models.addLabel("waste", textile);
    models.addLabel("waste", new ModelLabel("battery", "", "admin-2", Instant.now()));

    ConflictException again =
        assertThrows(
            ConflictException.class,
            () ->
                models.addLabel(
                    "waste",
                    new ModelLabel("textile", "another meaning", "admin-2", Instant.now())));
    assertTrue(again.getMessage().contains("already has label 'textile'"), again.getMessage());
    assertEquals(List.of("battery", "textile"), models.labelIds("waste"));
    assertEquals(textile, models.labels("waste").get(1), "the first description stays");
    assertEquals(List.of(), models.labelIds("urban"));
    assertTrue(models.versions("waste").isEmpty(), "the labels folder is not a version");
  }
}
