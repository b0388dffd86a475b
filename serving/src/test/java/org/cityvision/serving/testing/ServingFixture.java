package org.cityvision.serving.testing;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.cityvision.core.model.ModelException;
import org.cityvision.core.model.ModelPackage;
import org.cityvision.core.model.ModelSpec;
import org.cityvision.core.model.Thresholds;
import org.cityvision.core.testing.TestModels;
import org.cityvision.s3server.EmbeddedS3Server;
import org.cityvision.serving.ServingNode;
import org.cityvision.serving.config.AuthConfig;
import org.cityvision.serving.config.Home;
import org.cityvision.serving.config.HttpConfig;
import org.cityvision.serving.config.InferenceConfig;
import org.cityvision.serving.config.LogConfig;
import org.cityvision.serving.config.ModelsConfig;
import org.cityvision.serving.config.RetentionConfig;
import org.cityvision.serving.config.Secrets;
import org.cityvision.serving.config.ServerConfig;

/**
 * Servers for tests: real HTTP on 127.0.0.1 port 0, the real embedded S3 server, real models.
 *
 * <p>{@link #modelsDir()} is the one place that decides which models tests run: the shipped {@code
 * models/waste} and {@code models/urban} once both exist, else untrained heads on the ../shared
 * EdgeTPU backbone (skipping the test when ../shared is absent), built once per JVM.
 */
public final class ServingFixture {
  public static final String ADMIN_KEY = "test-admin-key-0123456789";
  public static final List<String> URBAN_LABELS =
      List.of("pothole_road_damage", "graffiti", "garbage_dumping", "flooding", "normal");
  public static final List<String> WASTE_LABELS = TestModels.WASTE_LABELS;

  private static final String S3_ACCESS = "serving-test";
  private static final String S3_SECRET = "serving-test-secret";

  /** The embedded S3 server of each node {@link #start} ran one for. */
  private static final Map<ServingNode, EmbeddedS3Server> EMBEDDED = new ConcurrentHashMap<>();

  private static Path models;
  private static boolean shipped;

  private ServingFixture() {}

  /**
   * A folder holding {@code waste/} and {@code urban/} model packages. Untrained test models flag
   * every frame (every issue class has threshold 0) and call every waste verdict uncertain
   * (threshold 0.99), so both paths are exercised whatever the untrained head outputs.
   */
  public static synchronized Path modelsDir() throws IOException, ModelException {
    if (models != null) {
      return models;
    }
    Path waste = Home.shippedModel("waste");
    Path urban = Home.shippedModel("urban");
    if (Files.isRegularFile(waste.resolve(ModelPackage.SPEC_FILE))
        && Files.isRegularFile(urban.resolve(ModelPackage.SPEC_FILE))) {
      shipped = true;
      models = waste.getParent();
      return models;
    }
    Path dir = Files.createTempDirectory("cityvision-serving-models");
    ModelPackage w = TestModels.untrainedPackage(dir.resolve("waste"), "waste", WASTE_LABELS, 160);
    ModelPackage.writeSpec(w.dir(), w.spec().withThresholds(new Thresholds(0.99, Map.of())));
    ModelPackage u = TestModels.untrainedPackage(dir.resolve("urban"), "urban", URBAN_LABELS, 160);
    ModelSpec spec =
        u.spec()
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
                        0.0)));
    ModelPackage.writeSpec(u.dir(), spec);
    models = dir;
    return models;
  }

  /** Whether tests run the shipped (trained) models rather than untrained test heads. */
  public static synchronized boolean shippedModels() {
    return shipped;
  }

  /**
   * A test configuration: port 0, data under {@code data}, no models, no warm-up, quiet access log,
   * no scheduled retention (tests store frames with capture times of their choosing).
   */
  public static ServerConfig config(Path data) {
    ServerConfig d = ServerConfig.defaults(Home.root()).withData(data);
    HttpConfig h = d.http();
    InferenceConfig i = d.inference();
    return d.withHttp(
            new HttpConfig(
                "127.0.0.1", 0, h.bodyLimitBytes(), h.maxHeaderBytes(), 20_000, 5_000, 1, 0))
        .withInference(new InferenceConfig(2, 1, 8, 2, 64, 0, 2, 3, false))
        .withModels(new ModelsConfig("", "", false))
        .withAuth(new AuthConfig(0, 1, 60_000))
        .withLog(new LogConfig(false))
        .withRetention(new RetentionConfig(false, 30, 90, 24, 3_600, 500));
  }

  /** {@link #config} with the test models. */
  public static ServerConfig withModels(Path data) throws IOException, ModelException {
    Path dir = modelsDir();
    return config(data)
        .withModels(
            new ModelsConfig(
                dir.resolve("waste").toString(), dir.resolve("urban").toString(), true));
  }

  /**
   * {@link #withModels} with a copy of the urban package (in {@code scratch}) whose issue classes
   * flag at any score, so that every posted frame opens a flag, whichever urban model (shipped or
   * test) the fixture has.
   */
  public static ServerConfig withModelsFlaggingEveryFrame(Path data, Path scratch)
      throws IOException, ModelException {
    Path urban = scratch.resolve("urban");
    Files.createDirectories(urban);
    try (Stream<Path> files = Files.list(modelsDir().resolve("urban"))) {
      for (Path f : files.filter(Files::isRegularFile).toList()) {
        Files.copy(f, urban.resolve(f.getFileName()));
      }
    }
    ModelSpec spec = ModelPackage.read(urban).spec();
    Map<String, Double> flagAll = new LinkedHashMap<>();
    spec.thresholds().flag().keySet().forEach(label -> flagAll.put(label, 0.0));
    ModelPackage.writeSpec(urban, spec.withThresholds(new Thresholds(0, flagAll)));
    return config(data)
        .withModels(
            new ModelsConfig(modelsDir().resolve("waste").toString(), urban.toString(), true));
  }

  /**
   * A real, loadable package under another version: a copy of the test waste package ({@link
   * #modelsDir()}) into {@code to} with {@code version} in its {@code model.json}.
   */
  public static ModelPackage wasteCopy(Path to, String version) throws IOException, ModelException {
    Path from = modelsDir().resolve("waste");
    Files.createDirectories(to);
    try (Stream<Path> files = Files.list(from)) {
      for (Path f : files.filter(Files::isRegularFile).toList()) {
        Files.copy(f, to.resolve(f.getFileName()));
      }
    }
    ModelPackage.writeSpec(to, ModelPackage.read(to).spec().withVersion(version));
    return ModelPackage.read(to);
  }

  /** Starts a node with {@link #ADMIN_KEY} as its bootstrap admin key. */
  public static ServingNode start(ServerConfig config) throws Exception {
    return start(config, Secrets.NONE.withAdminKey(ADMIN_KEY));
  }

  /**
   * Starts a node. With no storage endpoint in {@code config}, first starts an embedded S3 server
   * under {@code DATA/s3} for it (as the {@code cityvision} command does), which {@link #stop}
   * stops after the node.
   */
  public static ServingNode start(ServerConfig config, Secrets secrets) throws Exception {
    if (!config.storage().endpoint().isEmpty()) {
      return ServingNode.start(config, secrets)
          .toCompletionStage()
          .toCompletableFuture()
          .get(120, TimeUnit.SECONDS);
    }
    EmbeddedS3Server s3 =
        EmbeddedS3Server.start(config.data().resolve("s3"), 0, S3_ACCESS, S3_SECRET);
    try {
      ServingNode node =
          ServingNode.start(
                  config.withStorage(config.storage().withEndpoint(s3.endpoint())),
                  secrets.withS3Keys(S3_ACCESS, S3_SECRET))
              .toCompletionStage()
              .toCompletableFuture()
              .get(120, TimeUnit.SECONDS);
      EMBEDDED.put(node, s3);
      return node;
    } catch (Exception | Error e) {
      s3.close();
      throw e;
    }
  }

  /** Shuts the node down, then stops the embedded S3 server {@link #start} ran for it. */
  public static void stop(ServingNode node) throws Exception {
    if (node != null) {
      try {
        node.shutdown().toCompletionStage().toCompletableFuture().get(60, TimeUnit.SECONDS);
      } finally {
        EmbeddedS3Server s3 = EMBEDDED.remove(node);
        if (s3 != null) {
          s3.close();
        }
      }
    }
  }
}
