package org.cityvision.core.classify;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Instant;
import java.util.Objects;
import java.util.Optional;
import org.cityvision.core.cache.BoundedMap;
import org.cityvision.core.frame.FrameId;
import org.cityvision.core.frame.FrameRecord;
import org.cityvision.core.frame.FrameUpload;
import org.cityvision.core.frame.ResultRecord;
import org.cityvision.core.image.CorruptImageException;
import org.cityvision.core.image.DifferenceHash;
import org.cityvision.core.review.FlagRecord;
import org.cityvision.core.storage.FlagGroupTip;
import org.cityvision.core.storage.FlagGroups;
import org.cityvision.core.storage.FrameStore;
import org.cityvision.core.storage.StorageException;

/**
 * The one write path of a classified frame, for camera ingest and batch jobs alike: the flag (when
 * the {@link FlagPolicy} says so), then the result in the one stored format ({@link
 * ClassificationJson}), then the {@link FlagListener} for a flag this call created.
 *
 * <h2>Why the flag comes before the result</h2>
 *
 * The result is what marks a frame as classified by a model version: batch jobs skip a frame that
 * has one. A crash between the two writes therefore leaves a flagged frame without its result,
 * which the next run classifies again (and whose flag creation is a no-op: {@link
 * FrameStore#createFlag} returns the existing flag), never a classified frame that should have been
 * flagged and was not. The listener hears of a flag only when this call created it, so a re-run
 * sends no second notification.
 *
 * <h2>Audit items</h2>
 *
 * A frame the policy does not flag may still join the queue as an {@code audit} item ({@link
 * AuditSampler}: a sample of unflagged answers and more of the least-confident {@code normal}
 * ones), labelled with the model's answer, so that reviewers find what the model missed. The audit
 * flag is written in the flag's place (before the result, for the same reason) and the listener is
 * not told: an audit item is a question to a reviewer, not a reported issue. Callers that do not
 * flag ({@link FlagPolicy#NEVER}) do not audit either.
 *
 * <h2>Near-duplicate groups</h2>
 *
 * Before a flag is stored, the 64-bit difference hash of the frame's thumbnail is computed and
 * compared with the camera's newest group ({@link FlagGroups#tip}); by the {@link FlagGrouping}
 * rule the flag joins that group or starts its own, and both the hash and the group are stored with
 * the flag, once. The review page shows a group as one tile and one verdict judges its members. A
 * flag is never refused or delayed for its group: without a thumbnail, or when the store cannot
 * answer, it is stored ungrouped.
 *
 * <h2>Features</h2>
 *
 * A classification that carries the backbone's pooled features ({@link Classification#features()})
 * has them stored inside its result ({@link ResultRecord#features()}): one write, so retries, the
 * spool and retention treat them as the result. A reused result ({@link #storeReused}) is stored
 * without them: they describe the earlier frame's image, not this one.
 *
 * <p>A static camera frame, one that shows nothing new since its camera's last classified frame, is
 * stored with that frame's result instead ({@link #storeReused}): the frame, then the result. The
 * results of the frames received here ({@link #storeNew}) are remembered, the newest {@value
 * #REMEMBERED} of them, so that {@link #reusable} answers from memory for a camera whose frames
 * come to this node: on the embedded store the listing and read it saves are a good part of a
 * static frame's cost. A frame classified on another node is looked up in the store.
 *
 * <p>Thread-safe; blocking (storage I/O). Owns nothing: the caller closes the store.
 */
public final class ClassifiedFrames {
  /** What was written: the frame's record, and the flag if the frame has one now. */
  public record Written(FrameRecord frame, Optional<FlagRecord> flag) {
    public Written {
      Objects.requireNonNull(frame, "frame");
      Objects.requireNonNull(flag, "flag");
    }
  }

  /** Results of frames received here kept for {@link #reusable}, newest first out last. */
  static final int REMEMBERED = 16_384;

  private final FrameStore store;
  private final BoundedMap<String, ResultRecord> remembered = new BoundedMap<>(REMEMBERED);
  private final FlagListener listener;
  private final AuditSampler audit;
  private final FlagGrouping grouping;

  /**
   * @param listener told of every flag created here; see its obligations
   */
  public ClassifiedFrames(FrameStore store, FlagListener listener) {
    this(store, listener, AuditSampler.NONE);
  }

  /**
   * @param listener told of every flag the policy raises here; see its obligations
   * @param audit which unflagged frames become audit items
   */
  public ClassifiedFrames(FrameStore store, FlagListener listener, AuditSampler audit) {
    this(store, listener, audit, FlagGrouping.DEFAULT);
  }

  /**
   * @param listener told of every flag the policy raises here; see its obligations
   * @param audit which unflagged frames become audit items
   * @param grouping when a new flag joins its camera's newest near-duplicate group
   */
  public ClassifiedFrames(
      FrameStore store, FlagListener listener, AuditSampler audit, FlagGrouping grouping) {
    this.store = Objects.requireNonNull(store, "store");
    this.listener = Objects.requireNonNull(listener, "listener");
    this.audit = Objects.requireNonNull(audit, "audit");
    this.grouping = Objects.requireNonNull(grouping, "grouping");
  }

  /**
   * A frame just received: stores it with its thumbnail, then {@linkplain #record records} its
   * classification.
   *
   * @param upload the frame as received, with its thumbnail
   * @param c its classification, with whatever timings should be stored
   * @param now when it was classified
   */
  public Written storeNew(FrameUpload upload, Classification c, FlagPolicy policy, Instant now)
      throws StorageException {
    FrameRecord frame = store.putFrame(upload);
    ResultRecord result = result(frame.frameId(), c, now);
    Written written =
        new Written(frame, record(frame.frameId(), upload.thumbnail(), c, result, policy, now));
    // Without its features: a reuse stores the payload only.
    remembered.put(
        frame.frameId(),
        new ResultRecord(
            result.frameId(), result.model(), result.version(), now, result.payload()));
    return written;
  }

  /**
   * An image a sorting machine sent, kept for review (capture): stores it with its thumbnail, then
   * an open flag with reason {@link FlagRecord#CAPTURED} labelled with the model's prediction, so
   * that a reviewer confirms or relabels it, then its result. The listener is not told: a captured
   * image is a training example, not a reported issue (no webhook, no Open311 request).
   *
   * @param upload the image as received, with its thumbnail; its camera id is the machine's id
   * @param c its classification
   * @param now when it was classified
   */
  public Written storeCaptured(FrameUpload upload, Classification c, Instant now)
      throws StorageException {
    FrameRecord frame = store.putFrame(upload);
    FlagRecord stored =
        store.createFlag(
            grouped(
                FlagRecord.open(
                    frame.frameId(),
                    c.label(),
                    c.score(),
                    margin(c),
                    c.model(),
                    c.version(),
                    now,
                    FlagRecord.CAPTURED),
                upload.thumbnail()));
    store.putResult(result(frame.frameId(), c, now));
    return new Written(frame, Optional.of(stored));
  }

  /**
   * A stored frame's classification: its flag if {@code policy} flags it (else its audit flag if
   * the frame is sampled for audit), then its result, then the listener for a new policy flag.
   *
   * @return the frame's flag when {@code policy} flags it or the audit samples it (a flag stored
   *     earlier is returned as it is), else empty
   */
  public Optional<FlagRecord> record(
      String frameId, Classification c, FlagPolicy policy, Instant now) throws StorageException {
    return record(frameId, null, c, result(frameId, c, now), policy, now);
  }

  /**
   * As {@link #record(String, Classification, FlagPolicy, Instant)}, with the frame's thumbnail
   * when the caller has it ({@code null}: read from the store if a flag is created), and the result
   * to store ({@link #result}).
   */
  private Optional<FlagRecord> record(
      String frameId,
      byte[] thumbnail,
      Classification c,
      ResultRecord result,
      FlagPolicy policy,
      Instant now)
      throws StorageException {
    Optional<FlagRecord> flag = Optional.empty();
    boolean created = false;
    Optional<LabelScore> decision = policy.decide(c);
    if (decision.isPresent()) {
      FlagRecord open =
          grouped(
              FlagRecord.open(
                  frameId,
                  decision.get().label(),
                  decision.get().score(),
                  margin(c),
                  c.model(),
                  c.version(),
                  now,
                  FlagRecord.FLAGGED),
              thumbnail);
      FlagRecord stored = store.createFlag(open);
      created = stored.equals(open);
      flag = Optional.of(stored);
    } else if (policy != FlagPolicy.NEVER) {
      Optional<LabelScore> sampled = audit.decide(frameId, c, now);
      if (sampled.isPresent()) {
        flag =
            Optional.of(
                store.createFlag(
                    grouped(
                        FlagRecord.open(
                            frameId,
                            sampled.get().label(),
                            sampled.get().score(),
                            margin(c),
                            c.model(),
                            c.version(),
                            now,
                            FlagRecord.AUDIT),
                        thumbnail)));
      }
    }
    store.putResult(result);
    if (created) {
      listener.flagCreated(flag.get());
    }
    return flag;
  }

  /**
   * The result of {@code model} {@code version} stored for an earlier frame, which a static camera
   * frame (one that shows nothing new since that frame) may reuse instead of a forward pass.
   *
   * @return empty when that frame has no result of this version (not written yet, deleted by
   *     retention, or classified by a version that no longer serves): then classify the new frame
   */
  public Optional<ResultRecord> reusable(String earlierFrameId, String model, String version)
      throws StorageException {
    ResultRecord known = remembered.get(earlierFrameId);
    if (known != null && known.model().equals(model) && known.version().equals(version)) {
      return Optional.of(known);
    }
    return store.results(earlierFrameId).stream()
        .filter(r -> r.model().equals(model) && r.version().equals(version))
        .findFirst();
  }

  /**
   * A static camera frame: stores it with its thumbnail, then {@code earlier} (a {@link #reusable}
   * result) again under this frame, with {@code reusedFrom} naming the frame it came from. No flag
   * and no listener: the earlier frame carries its flag, if it has one.
   *
   * @param upload the frame as received, with its thumbnail
   * @param now when it was stored
   */
  public FrameRecord storeReused(FrameUpload upload, ResultRecord earlier, Instant now)
      throws StorageException {
    return storeReused(upload, earlier, now, true);
  }

  /**
   * A static camera frame as {@link #storeReused(FrameUpload, ResultRecord, Instant)}, or, when
   * {@code keepImage} is false, as its record only ({@link FrameStore#putFrameRecord}: no image, no
   * thumbnail), pointing to the earlier frame whose image shows the same scene.
   */
  public FrameRecord storeReused(
      FrameUpload upload, ResultRecord earlier, Instant now, boolean keepImage)
      throws StorageException {
    if (!(earlier.payload().deepCopy() instanceof ObjectNode payload)) {
      throw new IllegalArgumentException(
          "the result of frame " + earlier.frameId() + " must be a JSON object to reuse");
    }
    FrameRecord frame =
        keepImage ? store.putFrame(upload) : store.putFrameRecord(upload, earlier.frameId());
    payload.put("reusedFrom", earlier.frameId());
    store.putResult(
        new ResultRecord(frame.frameId(), earlier.model(), earlier.version(), now, payload));
    return frame;
  }

  /**
   * {@code open} with its thumbnail's difference hash and the group it joins: its camera's newest
   * group of its model when {@link #grouping} says so, else a new group under its own frame id,
   * which becomes the camera's newest. Ungrouped when grouping is off, the frame has no readable
   * thumbnail or the store cannot say which group is the newest.
   *
   * @param thumbnail the frame's thumbnail, or {@code null} to read it from the store
   */
  private FlagRecord grouped(FlagRecord open, byte[] thumbnail) {
    if (!grouping.enabled()) {
      return open;
    }
    DifferenceHash hash;
    Optional<FlagGroupTip> tip;
    FlagGroups groups = store.flagGroups();
    try {
      hash = DifferenceHash.of(thumbnail != null ? thumbnail : store.readThumbnail(open.frameId()));
      tip = groups.tip(open.model(), open.cameraId());
    } catch (StorageException | CorruptImageException e) {
      return open;
    }
    Instant capturedAt = FrameId.parse(open.frameId()).capturedAt();
    FlagGroupTip next =
        tip.isPresent() && grouping.joins(tip.get(), open.label(), hash, capturedAt)
            ? new FlagGroupTip(
                open.model(),
                open.cameraId(),
                tip.get().group(),
                open.label(),
                tip.get().hash(),
                capturedAt.isAfter(tip.get().lastCapturedAt())
                    ? capturedAt
                    : tip.get().lastCapturedAt())
            : new FlagGroupTip(
                open.model(),
                open.cameraId(),
                open.frameId(),
                open.label(),
                hash.hex(),
                capturedAt);
    try {
      groups.putTip(next);
    } catch (StorageException ignored) {
      // The group is right either way; the camera's next flag may start a new one.
    }
    return open.grouped(hash.hex(), next.group());
  }

  /**
   * The stored result of a classification: its JSON, and in the same object the pooled features its
   * forward pass computed, if the classifier kept them.
   */
  private static ResultRecord result(String frameId, Classification c, Instant now) {
    return new ResultRecord(
        frameId, c.model(), c.version(), now, ClassificationJson.toJson(c), c.features());
  }

  /** The top probability minus the second (0..1); 1 for a model with one class. */
  public static double margin(Classification c) {
    double first = 0;
    double second = 0;
    for (double p : c.probabilities()) {
      if (p > first) {
        second = first;
        first = p;
      } else if (p > second) {
        second = p;
      }
    }
    return Math.max(0, Math.min(1, c.probabilities().size() < 2 ? 1 : first - second));
  }
}
