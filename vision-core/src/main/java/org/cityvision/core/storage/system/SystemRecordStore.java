package org.cityvision.core.storage.system;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.cityvision.core.auth.ApiKeyRecord;
import org.cityvision.core.job.JobState;
import org.cityvision.core.naming.Names;
import org.cityvision.core.storage.CameraHealthRecord;
import org.cityvision.core.storage.ConflictException;
import org.cityvision.core.storage.FrameStore;
import org.cityvision.core.storage.Page;
import org.cityvision.core.storage.StorageException;
import org.cityvision.core.storage.StorageKeys;
import org.cityvision.core.storage.StoreJson;
import org.cityvision.core.storage.bucket.DurableBucket;

/**
 * The records a deployment keeps about itself rather than about frames: API keys, batch job states,
 * idempotency claims, leases of scheduled tasks, and camera health (the record chain and its index
 * and alert markers). None is spooled: each needs the shared store's answer, so each fails with
 * {@link org.cityvision.core.storage.StoreUnavailableException} while MinIO is down. The {@link
 * FrameStore} operations of these kinds, with the same contracts.
 *
 * <p>Owned by the store that made it, over that store's bucket. Thread-safe.
 */
public final class SystemRecordStore {
  /**
   * Revisions kept per camera: enough for a reader that listed just before a write to still read
   * one.
   */
  private static final int HEALTH_REVISIONS_KEPT = 3;

  private final DurableBucket bucket;

  public SystemRecordStore(DurableBucket bucket) {
    this.bucket = bucket;
  }

  // ------------------------------------------------------------------ API keys

  /** See {@link FrameStore#createApiKey}. */
  public void createApiKey(ApiKeyRecord key) throws StorageException {
    try {
      bucket.put(DurableBucket.json(StorageKeys.apiKey(key.name()), key, true));
    } catch (ConflictException e) {
      throw new ConflictException("an API key named " + key.name() + " exists", e);
    }
  }

  /** See {@link FrameStore#apiKey}. */
  public Optional<ApiKeyRecord> apiKey(String name) throws StorageException {
    return bucket.readJson(
        StorageKeys.apiKey(Names.requireSegment("name", name)), ApiKeyRecord.class);
  }

  /** See {@link FrameStore#apiKeys}. */
  public List<ApiKeyRecord> apiKeys() throws StorageException {
    return bucket.readJsonAll(bucket.listKeys(StorageKeys.KEYS, 100_000), ApiKeyRecord.class);
  }

  /** See {@link FrameStore#deleteApiKey}. */
  public boolean deleteApiKey(String name) throws StorageException {
    String key = StorageKeys.apiKey(Names.requireSegment("name", name));
    if (!bucket.exists(key)) {
      return false;
    }
    bucket.remove(key);
    return true;
  }

  // ------------------------------------------------------------------ jobs

  /** See {@link FrameStore#putJob}. */
  public void putJob(JobState job) throws StorageException {
    bucket.put(DurableBucket.json(StorageKeys.job(job.jobId()), job, false));
  }

  /** See {@link FrameStore#job}. */
  public Optional<JobState> job(String jobId) throws StorageException {
    return bucket.readJson(StorageKeys.job(Names.requireSegment("jobId", jobId)), JobState.class);
  }

  /** See {@link FrameStore#listJobs}. */
  public Page<JobState> listJobs(String cursor, int limit) throws StorageException {
    DurableBucket.requirePageLimit(limit);
    Page<String> keys = bucket.listKeyPage(StorageKeys.JOBS, cursor, limit);
    return new Page<>(bucket.readJsonAll(keys.items(), JobState.class), keys.nextCursor());
  }

  // ------------------------------------------------------------------ idempotency

  /** See {@link FrameStore#claimIdempotencyKey}. */
  public Optional<JsonNode> claimIdempotencyKey(String idempotencyKey, JsonNode value)
      throws StorageException {
    String key = StorageKeys.idempotency(requireIdempotencyKey(idempotencyKey));
    try {
      bucket.put(DurableBucket.json(key, value, true));
      return Optional.empty();
    } catch (ConflictException e) {
      return Optional.of(StoreJson.read(bucket.read(key).bytes(), JsonNode.class, key));
    }
  }

  /** See {@link FrameStore#completeIdempotencyKey}. */
  public void completeIdempotencyKey(String idempotencyKey, JsonNode value)
      throws StorageException {
    bucket.put(
        DurableBucket.json(
            StorageKeys.idempotency(requireIdempotencyKey(idempotencyKey)), value, false));
  }

  private static String requireIdempotencyKey(String value) {
    if (value == null || value.isEmpty() || value.length() > 255) {
      throw new IllegalArgumentException("Idempotency-Key must be 1-255 characters");
    }
    return value;
  }

  // ------------------------------------------------------------------ task leases

  /** See {@link FrameStore#claimLease}. */
  public boolean claimLease(String name, String slot, JsonNode holder) throws StorageException {
    try {
      bucket.put(DurableBucket.json(StorageKeys.lease(name, slot), holder, true));
      return true;
    } catch (ConflictException e) {
      return false;
    }
  }

  /** See {@link FrameStore#lease}. */
  public Optional<JsonNode> lease(String name, String slot) throws StorageException {
    return bucket.readJson(StorageKeys.lease(name, slot), JsonNode.class);
  }

  /** See {@link FrameStore#putLease}. */
  public void putLease(String name, String slot, JsonNode value) throws StorageException {
    bucket.put(DurableBucket.json(StorageKeys.lease(name, slot), value, false));
  }

  // ------------------------------------------------------------------ camera health

  /** See {@link FrameStore#cameraHealth(String)}. */
  public Optional<CameraHealthRecord> cameraHealth(String cameraId) throws StorageException {
    String prefix = StorageKeys.cameraHealthPrefix(Names.requireSegment("cameraId", cameraId));
    // As with flags: a revision can be listed before it reads (a write landing or losing).
    for (String key : bucket.listRevisions(prefix, HEALTH_REVISIONS_KEPT)) {
      Optional<DurableBucket.Blob> blob = bucket.readIfPresent(key);
      if (blob.isPresent()) {
        return Optional.of(
            new CameraHealthRecord(cameraId, StorageKeys.revisionOf(key), blob.get().bytes()));
      }
    }
    return Optional.empty();
  }

  /** See {@link FrameStore#newestCameraHealthRevision}. */
  public long newestCameraHealthRevision(String cameraId) throws StorageException {
    String prefix = StorageKeys.cameraHealthPrefix(Names.requireSegment("cameraId", cameraId));
    List<String> newest = bucket.listRevisions(prefix, 1);
    return newest.isEmpty() ? 0 : StorageKeys.revisionOf(newest.get(0));
  }

  /** See {@link FrameStore#cameraHealth(String, long)}. */
  public Optional<CameraHealthRecord> cameraHealth(String cameraId, long revision)
      throws StorageException {
    String key = StorageKeys.cameraHealth(Names.requireSegment("cameraId", cameraId), revision);
    return bucket
        .readIfPresent(key)
        .map(b -> new CameraHealthRecord(cameraId, revision, b.bytes()));
  }

  /** See {@link FrameStore#putCameraHealth}. */
  public void putCameraHealth(CameraHealthRecord record) throws StorageException {
    String cameraId = record.cameraId();
    try {
      bucket.put(
          DurableBucket.object(
              StorageKeys.cameraHealth(cameraId, record.revision()),
              DurableBucket.JSON,
              Map.of(),
              record.json(),
              true));
    } catch (ConflictException e) {
      throw new ConflictException(
          "camera "
              + cameraId
              + " health revision "
              + record.revision()
              + " was written by another node",
          e);
    }
    if (record.revision() == 1) {
      bucket.put(DurableBucket.marker(StorageKeys.cameraIndex(cameraId)));
    }
    // Old revisions go four at a time in one request, so 3 to 6 are kept.
    long newestStale = record.revision() - HEALTH_REVISIONS_KEPT;
    if (record.revision() % 4 == 0 && newestStale >= 1) {
      List<String> stale = new ArrayList<>(4);
      for (long r = Math.max(1, newestStale - 3); r <= newestStale; r++) {
        stale.add(StorageKeys.cameraHealth(cameraId, r));
      }
      bucket.removeAll(stale);
    }
  }

  /** See {@link FrameStore#listCameraHealth}. */
  public Page<String> listCameraHealth(String cursor, int limit) throws StorageException {
    DurableBucket.requirePageLimit(limit);
    Page<String> keys = bucket.listKeyPage(StorageKeys.CAMERA_INDEX, cursor, limit);
    return new Page<>(
        keys.items().stream().map(StorageKeys::cameraOfIndex).toList(), keys.nextCursor());
  }

  /** See {@link FrameStore#markCameraAlert}. */
  public void markCameraAlert(String cameraId, boolean open) throws StorageException {
    String key = StorageKeys.cameraAlert(Names.requireSegment("cameraId", cameraId));
    if (open) {
      bucket.put(DurableBucket.marker(key));
    } else {
      bucket.remove(key);
    }
  }

  /** See {@link FrameStore#listCameraAlerts}. */
  public Page<String> listCameraAlerts(String cursor, int limit) throws StorageException {
    DurableBucket.requirePageLimit(limit);
    Page<String> keys = bucket.listKeyPage(StorageKeys.CAMERA_ALERTS, cursor, limit);
    return new Page<>(
        keys.items().stream().map(StorageKeys::cameraOfAlert).toList(), keys.nextCursor());
  }
}
