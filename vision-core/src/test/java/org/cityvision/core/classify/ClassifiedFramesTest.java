package org.cityvision.core.classify;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import org.cityvision.core.frame.FrameUpload;
import org.cityvision.core.frame.ResultRecord;
import org.cityvision.core.model.PooledFeatures;
import org.cityvision.core.model.Thresholds;
import org.cityvision.core.review.FlagRecord;
import org.cityvision.core.storage.FrameStore;
import org.cityvision.core.storage.FrameStores;
import org.cityvision.core.storage.StorageConfig;
import org.cityvision.core.testing.TestImages;
import org.cityvision.s3server.EmbeddedS3Server;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The one classified-frame write path over a real S3 server: the order of the writes, and who is
 * told.
 */
class ClassifiedFramesTest {
  private static final List<String> LABELS = List.of("graffiti", "normal", "pothole_road_damage");
  private static final Instant NOW = Instant.parse("2026-11-06T09:00:00Z");
  private static final FlagPolicy GRAFFITI =
      new FlagPolicy(new Thresholds(0, Map.of("graffiti", 0.5)));

  /** The store calls that write, in the order the write path makes them. */
  private static final Set<String> WRITES = Set.of("putFrame", "putResult", "createFlag");

  @TempDir static Path dir;
  static EmbeddedS3Server s3;
  static FrameStore real;
  static final List<String> calls = new CopyOnWriteArrayList<>();

  /** The frames whose results were listed from the store. */
  static final List<String> lookups = new CopyOnWriteArrayList<>();

  static FrameStore store;
  final List<FlagRecord> heard = new ArrayList<>();
  ClassifiedFrames writes;

  @BeforeAll
  static void start() throws Exception {
    s3 =
        EmbeddedS3Server.start(
            dir.resolve("s3"), 0, "classified-frames", "classified-frames-secret");
    real =
        FrameStores.open(
            StorageConfig.embedded(dir.resolve("data"))
                .withEndpoint(s3.endpoint(), "classified-frames", "classified-frames-secret")
                .withBucket("classified-frames")
                .withRequestTimeout(Duration.ofSeconds(10)));
    // The real store, with its write calls recorded in order.
    store =
        (FrameStore)
            Proxy.newProxyInstance(
                FrameStore.class.getClassLoader(),
                new Class<?>[] {FrameStore.class},
                (proxy, method, args) -> {
                  if (WRITES.contains(method.getName())) {
                    calls.add(method.getName());
                  }
                  if (method.getName().equals("results")) {
                    lookups.add((String) args[0]);
                  }
                  try {
                    return method.invoke(real, args);
                  } catch (InvocationTargetException e) {
                    throw e.getCause();
                  }
                });
  }

  @BeforeEach
  void newWritePath() {
    writes = new ClassifiedFrames(store, heard::add);
    calls.clear();
    lookups.clear();
  }

  @AfterAll
  static void stop() throws Exception {
    if (real != null) {
      real.close();
    }
    if (s3 != null) {
      s3.close();
    }
  }

  private static Classification classified(String label, double score) {
    double rest = (1 - score) / (LABELS.size() - 1);
    List<Double> probabilities = LABELS.stream().map(l -> l.equals(label) ? score : rest).toList();
    return new Classification(
        label,
        score,
        List.of(new LabelScore(label, score)),
        probabilities,
        LABELS,
        "urban",
        "1.0.0",
        1,
        Timings.NONE);
  }

  private static FrameUpload upload(long seed) {
    return new FrameUpload(
        "cam-9", NOW.minusSeconds(seed), "image/jpeg", TestImages.jpeg(320, 240, seed), null);
  }

  @Test
  void writesTheFrameThenTheFlagThenTheResultAndTellsTheListenerOnce() throws Exception {

    ClassifiedFrames.Written written =
        writes.storeNew(upload(1), classified("graffiti", 0.9), GRAFFITI, NOW);

    assertEquals(List.of("putFrame", "createFlag", "putResult"), calls);
    String frameId = written.frame().frameId();
    assertEquals("graffiti", written.flag().orElseThrow().label());
    assertEquals(List.of(written.flag().get()), heard);
    assertEquals(written.flag().get(), real.flag(frameId));
    assertTrue(real.hasResult(frameId, "urban", "1.0.0"));
  }

  @Test
  void recordingAnAlreadyFlaggedFrameAgainKeepsItsFlagAndTellsNobody() throws Exception {
    String frameId =
        writes.storeNew(upload(2), classified("graffiti", 0.8), GRAFFITI, NOW).frame().frameId();
    heard.clear();

    Optional<FlagRecord> again =
        writes.record(frameId, classified("graffiti", 0.95), GRAFFITI, NOW.plusSeconds(60));

    assertEquals(0.8, again.orElseThrow().score(), 1e-9, "the first flag stays");
    assertEquals(List.of(), heard);
  }

  @Test
  void aFrameThePolicyDoesNotFlagGetsOnlyItsResult() throws Exception {

    ClassifiedFrames.Written written =
        writes.storeNew(upload(3), classified("normal", 0.9), GRAFFITI, NOW);

    assertEquals(List.of("putFrame", "putResult"), calls);
    assertFalse(written.flag().isPresent());
    assertEquals(List.of(), heard);
    assertTrue(real.hasResult(written.frame().frameId(), "urban", "1.0.0"));
  }

  @Test
  void anUnflaggedFrameSampledForAuditGetsAnAuditFlagBeforeItsResultAndTellsNobody()
      throws Exception {
    ClassifiedFrames auditing =
        new ClassifiedFrames(
            store, heard::add, new AuditSampler(Map.of("urban", new AuditRule(1.0, 0, 1.0, 100))));

    ClassifiedFrames.Written written =
        auditing.storeNew(upload(4), classified("normal", 0.9), GRAFFITI, NOW);

    assertEquals(List.of("putFrame", "createFlag", "putResult"), calls);
    FlagRecord audit = written.flag().orElseThrow();
    assertEquals(FlagRecord.AUDIT, audit.reason());
    assertEquals(
        "normal", audit.label(), "the reviewer confirms or relabels the model's own answer");
    assertEquals(audit, real.flag(written.frame().frameId()));
    assertEquals(List.of(), heard, "an audit item is not a reported issue");

    calls.clear();
    Optional<FlagRecord> retried =
        auditing.record(
            written.frame().frameId(), classified("normal", 0.9), GRAFFITI, NOW.plusSeconds(5));
    assertEquals(Optional.of(audit), retried, "a retried write finds the same audit flag");
  }

  @Test
  void aWriteThatDoesNotFlagDoesNotAuditEither() throws Exception {
    ClassifiedFrames auditing =
        new ClassifiedFrames(
            store, heard::add, new AuditSampler(Map.of("urban", new AuditRule(1.0, 0, 1.0, 100))));

    ClassifiedFrames.Written written =
        auditing.storeNew(upload(5), classified("normal", 0.9), FlagPolicy.NEVER, NOW);

    assertFalse(written.flag().isPresent());
    assertEquals(List.of("putFrame", "putResult"), calls);
  }

  @Test
  void aClassificationsPooledFeaturesAreStoredInsideItsResultAndNotInItsPayload() throws Exception {
    float[] values = new float[1280];
    for (int i = 0; i < values.length; i++) {
      values[i] = (float) Math.sin(i) * 3;
    }
    PooledFeatures features =
        PooledFeatures.of("urban", "1.0.0", "sha256:" + "ab".repeat(32), values);
    Classification plain = classified("normal", 0.9);
    Classification c =
        new Classification(
            plain.label(),
            plain.score(),
            plain.top(),
            plain.probabilities(),
            plain.labels(),
            plain.model(),
            plain.version(),
            1,
            Timings.NONE,
            features);

    String frameId = writes.storeNew(upload(41), c, GRAFFITI, NOW).frame().frameId();

    ResultRecord stored = real.result(frameId, "urban", "1.0.0").orElseThrow();
    assertEquals(features, stored.features());
    assertEquals(List.of(stored), real.results(frameId));
    assertFalse(stored.payload().has("features"), stored.payload().toString());
    float[] back = stored.features().values();
    for (int i = 0; i < values.length; i++) {
      assertEquals(values[i], back[i], Math.abs(values[i]) * 1e-3 + 1e-4, "feature " + i);
    }
    String other = writes.storeNew(upload(42), plain, GRAFFITI, NOW).frame().frameId();
    assertTrue(real.result(other, "urban", "1.0.0").orElseThrow().pooledFeatures().isEmpty());
    assertTrue(real.result(other, "urban", "2.0.0").isEmpty());
  }

  @Test
  void aFrameReceivedHereHasItsResultReusedFromMemoryAndOneFromElsewhereFromTheStore()
      throws Exception {
    String frameId =
        writes.storeNew(upload(51), classified("normal", 0.8), GRAFFITI, NOW).frame().frameId();

    ResultRecord here = writes.reusable(frameId, "urban", "1.0.0").orElseThrow();
    assertEquals(List.of(), lookups, "the result of a frame received here needs no store lookup");
    ResultRecord stored = real.result(frameId, "urban", "1.0.0").orElseThrow();
    assertEquals(stored.payload(), here.payload());
    assertEquals(frameId, here.frameId());
    assertTrue(writes.reusable(frameId, "urban", "2.0.0").isEmpty(), "another version: none");
    assertEquals(List.of(frameId), lookups, "a version not remembered is looked up");

    // Another node (another write path) has not seen the frame: it reads the store.
    lookups.clear();
    ClassifiedFrames elsewhere = new ClassifiedFrames(store, heard::add);
    assertEquals(
        stored.payload(), elsewhere.reusable(frameId, "urban", "1.0.0").orElseThrow().payload());
    assertEquals(List.of(frameId), lookups);

    // A reuse stores the remembered payload under the new frame.
    String next = writes.storeReused(upload(52), here, NOW.plusSeconds(10)).frameId();
    assertEquals(
        "normal",
        real.result(next, "urban", "1.0.0").orElseThrow().payload().get("label").asText());
  }
}
