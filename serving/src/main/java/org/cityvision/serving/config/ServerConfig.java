package org.cityvision.serving.config;

import java.nio.file.Path;
import java.util.Objects;

/**
 * Everything {@code cityvision serve} is configured with: file values over defaults, environment
 * over file, command-line options over environment ({@link ConfigLoader}). Immutable; validated
 * when built.
 *
 * @param data local state: the embedded store ({@code s3/}), the spool and request uploads
 * @param home the installation home, against which relative model paths resolve
 * @param review webhooks and the Open311 export of confirmed issues
 * @param retention what the store keeps, and the scheduled pass that enforces it
 * @param cameras camera health: frozen and silent limits, the silence sweep
 * @param capture which sorting answers are kept for review
 * @param audit which unflagged camera frames join the review queue as audit items
 * @param shadow how candidates run in the shadow of the live models
 * @param features whether each result keeps the image's pooled backbone features
 */
public record ServerConfig(
    Path data,
    Path home,
    HttpConfig http,
    ImagesConfig images,
    InferenceConfig inference,
    ModelsConfig models,
    IngestConfig ingest,
    AuthConfig auth,
    StoreConfig storage,
    LogConfig log,
    ReviewConfig review,
    RetentionConfig retention,
    CamerasConfig cameras,
    CaptureConfig capture,
    AuditConfig audit,
    ShadowConfig shadow,
    FeaturesConfig features) {
  public ServerConfig {
    Objects.requireNonNull(data, "data");
    Objects.requireNonNull(home, "home");
    data = data.toAbsolutePath().normalize();
    home = home.toAbsolutePath().normalize();
    Objects.requireNonNull(http, "http");
    Objects.requireNonNull(images, "images");
    Objects.requireNonNull(inference, "inference");
    Objects.requireNonNull(models, "models");
    Objects.requireNonNull(ingest, "ingest");
    Objects.requireNonNull(auth, "auth");
    Objects.requireNonNull(storage, "storage");
    Objects.requireNonNull(log, "log");
    Objects.requireNonNull(review, "review");
    Objects.requireNonNull(retention, "retention");
    Objects.requireNonNull(cameras, "cameras");
    Objects.requireNonNull(capture, "capture");
    audit = audit == null ? AuditConfig.defaults() : audit;
    shadow = shadow == null ? ShadowConfig.defaults() : shadow;
    features = features == null ? FeaturesConfig.defaults() : features;
  }

  /**
   * The defaults: loopback on 8080, data under {@code ./data}, the shipped models under {@code
   * home}.
   */
  public static ServerConfig defaults(Path home) {
    return new ServerConfig(
        Path.of("data"),
        home,
        HttpConfig.defaults(),
        ImagesConfig.defaults(),
        InferenceConfig.defaults(),
        ModelsConfig.defaults(),
        IngestConfig.defaults(),
        AuthConfig.defaults(),
        StoreConfig.defaults(),
        LogConfig.defaults(),
        ReviewConfig.defaults(),
        RetentionConfig.defaults(),
        CamerasConfig.defaults(),
        CaptureConfig.defaults(),
        AuditConfig.defaults(),
        ShadowConfig.defaults(),
        FeaturesConfig.defaults());
  }

  public ServerConfig withData(Path value) {
    return new ServerConfig(
        value, home, http, images, inference, models, ingest, auth, storage, log, review, retention,
        cameras, capture, audit, shadow, features);
  }

  public ServerConfig withHttp(HttpConfig value) {
    return new ServerConfig(
        data, home, value, images, inference, models, ingest, auth, storage, log, review, retention,
        cameras, capture, audit, shadow, features);
  }

  public ServerConfig withInference(InferenceConfig value) {
    return new ServerConfig(
        data, home, http, images, value, models, ingest, auth, storage, log, review, retention,
        cameras, capture, audit, shadow, features);
  }

  public ServerConfig withModels(ModelsConfig value) {
    return new ServerConfig(
        data, home, http, images, inference, value, ingest, auth, storage, log, review, retention,
        cameras, capture, audit, shadow, features);
  }

  public ServerConfig withIngest(IngestConfig value) {
    return new ServerConfig(
        data, home, http, images, inference, models, value, auth, storage, log, review, retention,
        cameras, capture, audit, shadow, features);
  }

  public ServerConfig withAuth(AuthConfig value) {
    return new ServerConfig(
        data, home, http, images, inference, models, ingest, value, storage, log, review, retention,
        cameras, capture, audit, shadow, features);
  }

  public ServerConfig withStorage(StoreConfig value) {
    return new ServerConfig(
        data, home, http, images, inference, models, ingest, auth, value, log, review, retention,
        cameras, capture, audit, shadow, features);
  }

  public ServerConfig withLog(LogConfig value) {
    return new ServerConfig(
        data, home, http, images, inference, models, ingest, auth, storage, value, review,
        retention, cameras, capture, audit, shadow, features);
  }

  public ServerConfig withReview(ReviewConfig value) {
    return new ServerConfig(
        data, home, http, images, inference, models, ingest, auth, storage, log, value, retention,
        cameras, capture, audit, shadow, features);
  }

  public ServerConfig withRetention(RetentionConfig value) {
    return new ServerConfig(
        data, home, http, images, inference, models, ingest, auth, storage, log, review, value,
        cameras, capture, audit, shadow, features);
  }

  public ServerConfig withCameras(CamerasConfig value) {
    return new ServerConfig(
        data, home, http, images, inference, models, ingest, auth, storage, log, review, retention,
        value, capture, audit, shadow, features);
  }

  public ServerConfig withCapture(CaptureConfig value) {
    return new ServerConfig(
        data, home, http, images, inference, models, ingest, auth, storage, log, review, retention,
        cameras, value, audit, shadow, features);
  }

  public ServerConfig withAudit(AuditConfig value) {
    return new ServerConfig(
        data, home, http, images, inference, models, ingest, auth, storage, log, review, retention,
        cameras, capture, value, shadow, features);
  }

  public ServerConfig withShadow(ShadowConfig value) {
    return new ServerConfig(
        data, home, http, images, inference, models, ingest, auth, storage, log, review, retention,
        cameras, capture, audit, value, features);
  }

  public ServerConfig withFeatures(FeaturesConfig value) {
    return new ServerConfig(
        data, home, http, images, inference, models, ingest, auth, storage, log, review, retention,
        cameras, capture, audit, shadow, value);
  }

  /** Where the node keeps verified copies of the model versions it fetched from the store. */
  public Path modelCacheDir() {
    return data.resolve("model-cache");
  }

  /** Where request bodies sent as multipart are written while a request runs. */
  public Path uploadsDir() {
    return data.resolve("uploads");
  }
}
