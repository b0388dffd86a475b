package org.cityvision.core.storage;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.URI;
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
import org.cityvision.core.review.Verdict;

/**
 * The system of record: frames, classification results, the review queue, reviewers' verdicts, API
 * keys, batch job state and idempotency records, all in one MinIO bucket (key layout in {@link
 * StorageKeys}). Serving nodes keep no state of their own, so several share one store.
 *
 * <p>Plain blocking Java: call it from worker threads, never from an event loop.
 *
 * <h2>Nothing accepted is lost</h2>
 *
 * {@link #putFrame}, {@link #putResult} and {@link #createFlag} return only once the write is
 * durable: in MinIO, or — when MinIO is down or slower than the configured request timeout —
 * fsynced in the local spool, from which a background flusher delivers it (oldest first, with
 * backoff) and which is replayed when a store opens over the same data directory. Spooled writes
 * are visible to reads on this node at once. Every object carries its SHA-256 in metadata, checked
 * on every read.
 *
 * <h2>Ownership and thread-safety</h2>
 *
 * Obtained from {@link FrameStores#open}; whoever opens it closes it, which stops the flusher,
 * releases the spool and stops the embedded S3 server if the store started one. Thread-safe.
 */
public interface FrameStore extends AutoCloseable {

  // ---- frames

  /**
   * Stores a frame (and its thumbnail) under a new frame id, or under {@link FrameUpload#frameId()}
   * when given: writing the same upload under the same id again replaces the objects with identical
   * ones, so a retried request stores one frame.
   *
   * @return the frame's record; {@link FrameRecord#durability()} says where it is durable
   * @throws SpoolFullException if MinIO is unavailable and the spool is full
   */
  FrameRecord putFrame(FrameUpload upload) throws StorageException;

  /**
   * Stores a frame's record without its image or thumbnail: a static frame whose image shows the
   * same scene as {@code imageOf}, the frame whose result it reused. The record keeps the size and
   * SHA-256 of the bytes as received; {@link #readFrame} of it throws {@link
   * ImageNotKeptException}. Listed, retained and deleted like any frame. Durable or spooled like
   * {@link #putFrame}.
   */
  FrameRecord putFrameRecord(FrameUpload upload, String imageOf) throws StorageException;

  /** The record of a frame, from its metadata (one HEAD request). */
  FrameRecord frame(String frameId) throws StorageException;

  /**
   * A frame with its bytes, checked against the SHA-256 written with it.
   *
   * @throws ObjectNotFoundException if there is no such frame
   * @throws ImageNotKeptException if the frame was stored as its record only
   * @throws ChecksumMismatchException if the stored bytes are corrupt
   */
  FrameData readFrame(String frameId) throws StorageException;

  /** The frame's thumbnail bytes, checked like {@link #readFrame}. */
  byte[] readThumbnail(String frameId) throws StorageException;

  /**
   * Frames under a key prefix (for example {@code frames/cam-7/2025/06/}), in key order, which is
   * camera then capture day then capture time. Memory is bounded by {@code limit}.
   *
   * @param prefix must start with {@code frames/}
   * @param cursor from the previous page, or {@code null}
   * @param limit 1..1000
   */
  Page<FrameEntry> listFrames(String prefix, String cursor, int limit) throws StorageException;

  /**
   * The camera's frames captured before {@code before} and at most {@code lookback} earlier, newest
   * first, at most {@code limit}: a camera's recent history beside one of its frames. Cost: the
   * listings of the camera's keys in that window (one request per 1,000 keys), whatever the
   * camera's total history.
   *
   * @param lookback 1 s .. 24 h
   * @param limit 1..1000
   */
  List<FrameEntry> framesBefore(String cameraId, Instant before, Duration lookback, int limit)
      throws StorageException;

  /** A presigned GET URL of the frame, valid for {@code expiry} (1 s .. 7 days). */
  URI presignedFrameUrl(String frameId, Duration expiry) throws StorageException;

  /** A presigned GET URL of the frame's thumbnail. */
  URI presignedThumbnailUrl(String frameId, Duration expiry) throws StorageException;

  // ---- results

  /** Stores one classification of a frame, replacing one of the same model version. */
  Durability putResult(ResultRecord result) throws StorageException;

  /** Whether the frame has a result of this model version: one HEAD request, for batch jobs. */
  boolean hasResult(String frameId, String model, String version) throws StorageException;

  /** Every result of a frame, ordered by model then version. */
  List<ResultRecord> results(String frameId) throws StorageException;

  /**
   * The frame's result of one model version, with its pooled features when they were kept: one GET
   * (or this node's spool), for candidate training reading many frames' features.
   */
  Optional<ResultRecord> result(String frameId, String model, String version)
      throws StorageException;

  // ---- flags and reviews

  /**
   * Puts a frame on the review queue, once: when the frame already has a flag, returns that flag
   * unchanged.
   *
   * @param flag an open flag at revision 1, as made by {@link FlagRecord#open}
   */
  FlagRecord createFlag(FlagRecord flag) throws StorageException;

  /** The current revision of a frame's flag. */
  FlagRecord flag(String frameId) throws StorageException;

  /**
   * A page of the review queue. Cost: one listing per 1,000 queue entries scanned plus two requests
   * per flag returned, independent of the queue's length when unfiltered.
   */
  Page<FlagRecord> listFlags(FlagQuery query) throws StorageException;

  /**
   * Records a verdict: moves the flag to the verdict's status and appends a {@link ReviewRecord}.
   * Of two reviewers of one flag, exactly one wins.
   *
   * @throws ConflictException if the flag is no longer open (without {@code override}) or another
   *     reviewer changed it at the same moment
   * @throws ObjectNotFoundException if the frame has no flag
   */
  FlagRecord reviewFlag(FlagReview review) throws StorageException;

  /**
   * Exact counts of the review queue: flags per status, open flags per camera and per label. The
   * store maintains them as flags are created, judged and deleted, across every node sharing it
   * (one conditional write per batch of changes); this node's own changes are included at once,
   * other nodes' within milliseconds. Cost: three requests, whatever the queue holds.
   */
  FlagCounts flagCounts() throws StorageException;

  /**
   * The counter revisions written after {@code revision}, oldest first, each with the queue changes
   * it counted ({@link FlagCounts#changes()}): what a node polls to tell its clients of changes
   * made on any node. Only the newest 64 revisions are kept: when the first returned revision is
   * not {@code revision + 1}, changes in between are gone and the caller reloads.
   */
  List<FlagCounts> flagCountsSince(long revision) throws StorageException;

  /**
   * Counts the queue by listing it (one request per 1,000 flags) and repairs the maintained counts
   * if they drifted (a node died between a change and its count), reporting the drift; writes any
   * missing per-camera and per-label queue markers. Meant for a periodic pass on one node.
   */
  FlagRecount recountFlags() throws StorageException;

  /**
   * Leases the open flag of {@code frameId} to {@code holder} until {@code now + ttl}, or renews
   * the holder's lease. Across nodes, of two reviewers claiming one frame exactly one gets it.
   *
   * @return the lease, or empty when another reviewer holds the frame
   * @throws StoreUnavailableException when MinIO is unavailable (never spooled)
   */
  Optional<ReviewLease> leaseFlag(String frameId, String holder, Duration ttl)
      throws StorageException;

  /**
   * Ends {@code holder}'s lease of {@code frameId} now, so that other reviewers see the frame
   * again; {@code false} when the holder held none.
   */
  boolean releaseFlag(String frameId, String holder) throws StorageException;

  /**
   * Takes a flag's latest verdict back: the flag returns to the open queue at a new revision and a
   * {@link Verdict#REOPEN} entry naming {@code reviewer} is appended to the reviews log. Of a
   * reopen and a verdict racing on one flag, exactly one wins (the same conditional write as {@link
   * #reviewFlag}). Who may reopen is the caller's rule.
   *
   * @param revision the revision the verdict being taken back created
   * @throws ConflictException if the flag is open or is no longer at {@code revision} (another
   *     verdict or reopen came after)
   * @throws ObjectNotFoundException if the frame has no flag
   */
  FlagRecord reopenFlag(String frameId, long revision, String reviewer) throws StorageException;

  /**
   * The review queue's near-duplicate groups (a flag's group is set when it is created, see {@link
   * FlagRecord#group()}); owned by the store.
   */
  FlagGroups flagGroups();

  /** Verdicts and reopens, oldest first (for {@code export-reviews}). */
  Page<ReviewRecord> listReviews(String cursor, int limit) throws StorageException;

  // ---- API keys

  /**
   * Stores a new API key.
   *
   * @throws ConflictException if a key of that name exists
   */
  void createApiKey(ApiKeyRecord key) throws StorageException;

  Optional<ApiKeyRecord> apiKey(String name) throws StorageException;

  /** All API keys, by name; there are few, so serving can cache them by hash. */
  List<ApiKeyRecord> apiKeys() throws StorageException;

  /** Deletes a key; {@code false} if there was none. */
  boolean deleteApiKey(String name) throws StorageException;

  // ---- batch jobs

  /** Writes a job's state; one node owns a job, so the last write wins. */
  void putJob(JobState job) throws StorageException;

  Optional<JobState> job(String jobId) throws StorageException;

  Page<JobState> listJobs(String cursor, int limit) throws StorageException;

  // ---- idempotency

  /**
   * Atomically records {@code value} under an {@code Idempotency-Key} unless a record exists,
   * across every node sharing the store.
   *
   * @return empty when this call created the record (go ahead), else the record already stored
   *     (replay it, or report the request as in progress)
   * @throws StoreUnavailableException when MinIO is unavailable: this is never spooled, since the
   *     answer must come from the shared store
   */
  Optional<JsonNode> claimIdempotencyKey(String idempotencyKey, JsonNode value)
      throws StorageException;

  /** Overwrites the record of a key this node claimed (for example with the final response). */
  void completeIdempotencyKey(String idempotencyKey, JsonNode value) throws StorageException;

  // ---- operations

  /** The model registry kept in this store; owned by the store. */
  ModelStore models();

  /** The newest revision of a camera's health record, if it has one. */
  Optional<CameraHealthRecord> cameraHealth(String cameraId) throws StorageException;

  /**
   * The newest revision of a camera's health record that a listing shows (0 when it has none),
   * without reading it: a writer that holds the record at this revision can write the next one.
   */
  long newestCameraHealthRevision(String cameraId) throws StorageException;

  /**
   * One revision of a camera's health record, if it is stored and reads (a writer that lost that
   * revision reads the one that won, whether or not a listing shows it yet).
   */
  Optional<CameraHealthRecord> cameraHealth(String cameraId, long revision) throws StorageException;

  /**
   * Writes a camera's health record at {@code record.revision()}, which must be one more than the
   * revision it was derived from. Atomic across nodes: when another node wrote that revision first
   * this throws {@link ConflictException}, and the caller reads the newest and applies its change
   * again. Only the newest few revisions are kept. Not spooled: while the store is down this fails.
   */
  void putCameraHealth(CameraHealthRecord record) throws StorageException;

  /** The cameras that have a health record, in id order, a page at a time. */
  Page<String> listCameraHealth(String cursor, int limit) throws StorageException;

  /**
   * Marks ({@code open}) or unmarks a camera as having an open health alert: an index beside the
   * health record, written after it (a sweep repairs a marker that a failed write left behind).
   */
  void markCameraAlert(String cameraId, boolean open) throws StorageException;

  /** The cameras marked as having an open health alert, in id order, a page at a time. */
  Page<String> listCameraAlerts(String cursor, int limit) throws StorageException;

  /** Reachability (one bucket check) and spool depth, for {@code /health/ready}. */
  StoreHealth health();

  /**
   * One retention pass over the whole bucket, in chunks of {@code chunkSize} frames, with the
   * configured {@link RetentionPolicy}; never deletes an unreviewed flag, a verdict, or anything
   * still in the spool.
   */
  RetentionReport applyRetention(Instant now, int chunkSize) throws StorageException;

  /**
   * One retention pass with {@code policy} (see {@link #applyRetention(Instant, int)}), calling
   * {@code progress} with the running totals after each chunk. A pass killed part-way leaves
   * nothing a later pass would keep deleted, and the next pass finishes its work.
   *
   * @param dryRun count what would be deleted, delete nothing
   */
  RetentionReport applyRetention(
      RetentionPolicy policy,
      Instant now,
      int chunkSize,
      boolean dryRun,
      Consumer<RetentionReport> progress)
      throws StorageException;

  /**
   * Claims the lease {@code name} for one time slot (for example the hour a scheduled task runs
   * in), across every node sharing the store: exactly one caller per slot gets {@code true}. The
   * record, {@code holder}, is kept under {@code system/leases/{name}/{slot}.json}.
   *
   * @throws StoreUnavailableException when MinIO is unavailable (never spooled)
   */
  boolean claimLease(String name, String slot, JsonNode holder) throws StorageException;

  /** The record under {@code system/leases/{name}/{slot}.json}, if any. */
  Optional<JsonNode> lease(String name, String slot) throws StorageException;

  /**
   * Overwrites the record under {@code system/leases/{name}/{slot}.json} (for example the state of
   * the pass a lease holder runs, with its heartbeat). Last write wins.
   */
  void putLease(String name, String slot, JsonNode value) throws StorageException;

  /**
   * Stops the flusher (spooled entries stay on disk), releases the spool, stops an embedded server.
   */
  @Override
  void close() throws StorageException;
}
