package org.cityvision.core.storage;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.function.Consumer;
import org.cityvision.core.auth.ApiKeyRecord;
import org.cityvision.core.frame.Durability;
import org.cityvision.core.frame.FrameRecord;
import org.cityvision.core.frame.FrameUpload;
import org.cityvision.core.frame.ResultRecord;
import org.cityvision.core.job.JobState;
import org.cityvision.core.review.FlagCounts;
import org.cityvision.core.review.FlagQuery;
import org.cityvision.core.review.FlagRecord;
import org.cityvision.core.review.FlagReview;
import org.cityvision.core.review.ReviewRecord;
import org.cityvision.core.storage.bucket.DurableBucket;
import org.cityvision.core.storage.frames.FrameResultStore;
import org.cityvision.core.storage.review.ReviewQueueStore;
import org.cityvision.core.storage.system.SystemRecordStore;

/**
 * {@link FrameStore} over MinIO (or any S3-compatible server): one {@link DurableBucket} holding
 * every record kind, and a store per kind over it, to which this class delegates:
 *
 * <ul>
 *   <li>{@link FrameResultStore}: frames, thumbnails and classification results;
 *   <li>{@link ReviewQueueStore}: flags, queue markers, verdicts, counts, groups, review leases;
 *   <li>{@link SystemRecordStore}: API keys, jobs, idempotency claims, task leases, camera health;
 *   <li>{@link MinioModelStore}: the model registry ({@link #models()});
 *   <li>{@link RetentionCleanup}: retention, which crosses the kinds.
 * </ul>
 *
 * <p>Created by {@link FrameStores#open}; see {@link FrameStore} for ownership. Thread-safe.
 */
public final class MinioFrameStore implements FrameStore {
  private final StorageConfig config;
  private final DurableBucket bucket;
  private final FrameResultStore frames;
  private final ReviewQueueStore review;
  private final SystemRecordStore system;
  private final MinioModelStore models;

  private MinioFrameStore(StorageConfig config, DurableBucket bucket, Clock clock) {
    this.config = config;
    this.bucket = bucket;
    this.frames = new FrameResultStore(bucket, clock);
    this.review = new ReviewQueueStore(bucket, clock);
    this.system = new SystemRecordStore(bucket);
    this.models = new MinioModelStore(bucket, clock);
  }

  /**
   * Connects to {@code endpoint}, opens the spool under {@code config.dataDir()} and starts
   * replaying it. Creates the bucket if MinIO is reachable and it is missing; if MinIO is not
   * reachable the store still opens, degraded, and accepts writes into the spool.
   */
  static MinioFrameStore open(
      StorageConfig config, String endpoint, String accessKey, String secretKey, Clock clock)
      throws StorageException {
    DurableBucket bucket = DurableBucket.open(config, endpoint, accessKey, secretKey);
    MinioFrameStore store = new MinioFrameStore(config, bucket, clock);
    try {
      bucket.ensureBucket();
      // A store written before the bucketed queue index is rewritten before this node lists it;
      // if the store goes away meanwhile, the next recount finishes the move.
      store.review.migrateQueueIndex();
    } catch (StoreUnavailableException e) {
      bucket.markDown();
    } catch (StorageException | RuntimeException e) {
      store.closeQuietly();
      throw e;
    }
    bucket.startDelivery();
    store.review.start();
    return store;
  }

  // ------------------------------------------------------------------ frames and results

  @Override
  public FrameRecord putFrame(FrameUpload upload) throws StorageException {
    return frames.putFrame(upload);
  }

  @Override
  public FrameRecord putFrameRecord(FrameUpload upload, String imageOf) throws StorageException {
    return frames.putFrameRecord(upload, imageOf);
  }

  @Override
  public FrameRecord frame(String frameId) throws StorageException {
    return frames.frame(frameId);
  }

  @Override
  public FrameData readFrame(String frameId) throws StorageException {
    return frames.readFrame(frameId);
  }

  @Override
  public byte[] readThumbnail(String frameId) throws StorageException {
    return frames.readThumbnail(frameId);
  }

  @Override
  public Page<FrameEntry> listFrames(String prefix, String cursor, int limit)
      throws StorageException {
    return frames.listFrames(prefix, cursor, limit);
  }

  @Override
  public List<FrameEntry> framesBefore(
      String cameraId, Instant before, Duration lookback, int limit) throws StorageException {
    return frames.framesBefore(cameraId, before, lookback, limit);
  }

  @Override
  public URI presignedFrameUrl(String frameId, Duration expiry) throws StorageException {
    return frames.presignedFrameUrl(frameId, expiry);
  }

  @Override
  public URI presignedThumbnailUrl(String frameId, Duration expiry) throws StorageException {
    return frames.presignedThumbnailUrl(frameId, expiry);
  }

  @Override
  public Durability putResult(ResultRecord result) throws StorageException {
    return frames.putResult(result);
  }

  @Override
  public boolean hasResult(String frameId, String model, String version) throws StorageException {
    return frames.hasResult(frameId, model, version);
  }

  @Override
  public List<ResultRecord> results(String frameId) throws StorageException {
    return frames.results(frameId);
  }

  @Override
  public Optional<ResultRecord> result(String frameId, String model, String version)
      throws StorageException {
    return frames.result(frameId, model, version);
  }

  // ------------------------------------------------------------------ review queue

  @Override
  public FlagRecord createFlag(FlagRecord flag) throws StorageException {
    return review.createFlag(flag);
  }

  @Override
  public FlagRecord flag(String frameId) throws StorageException {
    return review.flag(frameId);
  }

  @Override
  public Page<FlagRecord> listFlags(FlagQuery q) throws StorageException {
    return review.listFlags(q);
  }

  @Override
  public FlagRecord reviewFlag(FlagReview flagReview) throws StorageException {
    return review.reviewFlag(flagReview);
  }

  @Override
  public FlagRecord reopenFlag(String frameId, long revision, String reviewer)
      throws StorageException {
    return review.reopenFlag(frameId, revision, reviewer);
  }

  @Override
  public FlagCounts flagCounts() throws StorageException {
    return review.flagCounts();
  }

  @Override
  public List<FlagCounts> flagCountsSince(long revision) throws StorageException {
    return review.flagCountsSince(revision);
  }

  @Override
  public FlagRecount recountFlags() throws StorageException {
    return review.recountFlags();
  }

  @Override
  public Optional<ReviewLease> leaseFlag(String frameId, String holder, Duration ttl)
      throws StorageException {
    return review.leaseFlag(frameId, holder, ttl);
  }

  @Override
  public boolean releaseFlag(String frameId, String holder) throws StorageException {
    return review.releaseFlag(frameId, holder);
  }

  @Override
  public FlagGroups flagGroups() {
    return review.flagGroups();
  }

  @Override
  public Page<ReviewRecord> listReviews(String cursor, int limit) throws StorageException {
    return review.listReviews(cursor, limit);
  }

  // ------------------------------------------------------------------ system records

  @Override
  public void createApiKey(ApiKeyRecord key) throws StorageException {
    system.createApiKey(key);
  }

  @Override
  public Optional<ApiKeyRecord> apiKey(String name) throws StorageException {
    return system.apiKey(name);
  }

  @Override
  public List<ApiKeyRecord> apiKeys() throws StorageException {
    return system.apiKeys();
  }

  @Override
  public boolean deleteApiKey(String name) throws StorageException {
    return system.deleteApiKey(name);
  }

  @Override
  public void putJob(JobState job) throws StorageException {
    system.putJob(job);
  }

  @Override
  public Optional<JobState> job(String jobId) throws StorageException {
    return system.job(jobId);
  }

  @Override
  public Page<JobState> listJobs(String cursor, int limit) throws StorageException {
    return system.listJobs(cursor, limit);
  }

  @Override
  public Optional<JsonNode> claimIdempotencyKey(String idempotencyKey, JsonNode value)
      throws StorageException {
    return system.claimIdempotencyKey(idempotencyKey, value);
  }

  @Override
  public void completeIdempotencyKey(String idempotencyKey, JsonNode value)
      throws StorageException {
    system.completeIdempotencyKey(idempotencyKey, value);
  }

  @Override
  public boolean claimLease(String name, String slot, JsonNode holder) throws StorageException {
    return system.claimLease(name, slot, holder);
  }

  @Override
  public Optional<JsonNode> lease(String name, String slot) throws StorageException {
    return system.lease(name, slot);
  }

  @Override
  public void putLease(String name, String slot, JsonNode value) throws StorageException {
    system.putLease(name, slot, value);
  }

  @Override
  public Optional<CameraHealthRecord> cameraHealth(String cameraId) throws StorageException {
    return system.cameraHealth(cameraId);
  }

  @Override
  public long newestCameraHealthRevision(String cameraId) throws StorageException {
    return system.newestCameraHealthRevision(cameraId);
  }

  @Override
  public Optional<CameraHealthRecord> cameraHealth(String cameraId, long revision)
      throws StorageException {
    return system.cameraHealth(cameraId, revision);
  }

  @Override
  public void putCameraHealth(CameraHealthRecord record) throws StorageException {
    system.putCameraHealth(record);
  }

  @Override
  public Page<String> listCameraHealth(String cursor, int limit) throws StorageException {
    return system.listCameraHealth(cursor, limit);
  }

  @Override
  public void markCameraAlert(String cameraId, boolean open) throws StorageException {
    system.markCameraAlert(cameraId, open);
  }

  @Override
  public Page<String> listCameraAlerts(String cursor, int limit) throws StorageException {
    return system.listCameraAlerts(cursor, limit);
  }

  // ------------------------------------------------------------------ model registry

  @Override
  public ModelStore models() {
    return models;
  }

  // ------------------------------------------------------------------ operations

  @Override
  public StoreHealth health() {
    boolean reachable = bucket.reachable();
    long items = bucket.spool().items();
    return new StoreHealth(
        reachable,
        items,
        bucket.spool().bytes(),
        bucket.spool().maxBytes(),
        !reachable || items > 0);
  }

  @Override
  public RetentionReport applyRetention(Instant now, int chunkSize) throws StorageException {
    return applyRetention(config.retention(), now, chunkSize, false, report -> {});
  }

  @Override
  public RetentionReport applyRetention(
      RetentionPolicy policy,
      Instant now,
      int chunkSize,
      boolean dryRun,
      Consumer<RetentionReport> progress)
      throws StorageException {
    return new RetentionCleanup(bucket, frames, review, policy, dryRun, progress)
        .run(now, chunkSize);
  }

  /** The bucket under every record kind; tests reach the raw objects through it. */
  DurableBucket bucket() {
    return bucket;
  }

  /** See {@link ReviewQueueStore#migrateQueueIndex}. */
  long migrateQueueIndex() throws StorageException {
    return review.migrateQueueIndex();
  }

  @Override
  public void close() throws StorageException {
    review.close();
    bucket.close();
  }

  private void closeQuietly() {
    try {
      close();
    } catch (StorageException | RuntimeException ignored) {
      // Opening failed; that failure is the one to report.
    }
  }
}
