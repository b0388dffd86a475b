package org.cityvision.core.storage.frames;

import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeSet;
import org.cityvision.core.frame.Durability;
import org.cityvision.core.frame.FrameId;
import org.cityvision.core.frame.FrameRecord;
import org.cityvision.core.frame.FrameUpload;
import org.cityvision.core.frame.ResultRecord;
import org.cityvision.core.naming.Names;
import org.cityvision.core.storage.FrameData;
import org.cityvision.core.storage.FrameEntry;
import org.cityvision.core.storage.FrameStore;
import org.cityvision.core.storage.ImageNotKeptException;
import org.cityvision.core.storage.ObjectNotFoundException;
import org.cityvision.core.storage.Page;
import org.cityvision.core.storage.StorageException;
import org.cityvision.core.storage.StorageKeys;
import org.cityvision.core.storage.bucket.Cursors;
import org.cityvision.core.storage.bucket.DurableBucket;
import org.cityvision.core.storage.spool.SpoolObject;

/**
 * Frames (with their thumbnails and, for a static frame, its record only) and their classification
 * results: the records a classified frame leaves, written durably (MinIO or the spool) and read
 * from this node's spool first. The {@link FrameStore} operations of these kinds, with the same
 * contracts.
 *
 * <p>A frame's metadata carries what its {@link FrameRecord} needs, so a HEAD answers {@link
 * #frame} without reading the image.
 *
 * <p>Owned by the store that made it, over that store's bucket. Thread-safe.
 */
public final class FrameResultStore {
  private static final String META_FRAME_ID = "frame-id";
  private static final String META_CAMERA = "camera-id";
  private static final String META_CAPTURED = "captured-at";
  private static final String META_RECEIVED = "received-at";
  private static final String META_THUMBNAIL = "thumbnail-key";

  /**
   * On a frame stored as its record only: the frame whose image stands for it, and the original's
   * size and digest.
   */
  private static final String META_IMAGE_OF = "image-of";

  private static final String META_IMAGE_SIZE = "image-size";
  private static final String META_IMAGE_SHA256 = "image-sha256";

  /** JPEG first: cameras send JPEG; a PNG frame costs one extra 404. */
  private static final List<String> CONTENT_TYPES = List.of("image/jpeg", "image/png");

  private final DurableBucket bucket;
  private final Clock clock;

  public FrameResultStore(DurableBucket bucket, Clock clock) {
    this.bucket = bucket;
    this.clock = clock;
  }

  // ------------------------------------------------------------------ frames

  /** See {@link FrameStore#putFrame}. */
  public FrameRecord putFrame(FrameUpload upload) throws StorageException {
    Instant received = clock.instant();
    FrameId id = frameId(upload, received);
    String key = StorageKeys.frame(id, upload.contentType());
    String thumbKey = upload.thumbnail() == null ? null : StorageKeys.thumbnail(id);
    String sha = StorageKeys.sha256Hex(upload.bytes());
    Map<String, String> meta = identity(id, received);
    meta.put(DurableBucket.META_SHA256, sha);
    List<SpoolObject> objects = new ArrayList<>(2);
    if (thumbKey != null) {
      meta.put(META_THUMBNAIL, thumbKey);
      // Thumbnail first: a visible frame object then always has its thumbnail.
      objects.add(
          DurableBucket.object(
              thumbKey,
              "image/jpeg",
              Map.of(META_FRAME_ID, id.value()),
              upload.thumbnail(),
              false));
    }
    objects.add(new SpoolObject(key, upload.contentType(), meta, upload.bytes(), false));
    Durability durability = bucket.writeDurably(objects);
    return new FrameRecord(
        id.value(),
        id.cameraId(),
        id.capturedAt(),
        received,
        upload.contentType(),
        upload.bytes().length,
        sha,
        key,
        thumbKey,
        durability);
  }

  /** See {@link FrameStore#putFrameRecord}. */
  public FrameRecord putFrameRecord(FrameUpload upload, String imageOf) throws StorageException {
    FrameId.parse(imageOf);
    Instant received = clock.instant();
    FrameId id = frameId(upload, received);
    String key = StorageKeys.frame(id, upload.contentType());
    byte[] empty = new byte[0];
    Map<String, String> meta = identity(id, received);
    // The object's own digest (of no bytes) keeps reads verifiable; the original's is kept beside
    // it.
    meta.put(DurableBucket.META_SHA256, StorageKeys.sha256Hex(empty));
    meta.put(META_IMAGE_SHA256, StorageKeys.sha256Hex(upload.bytes()));
    meta.put(META_IMAGE_SIZE, Long.toString(upload.bytes().length));
    meta.put(META_IMAGE_OF, imageOf);
    Durability durability =
        bucket.writeDurably(
            List.of(new SpoolObject(key, upload.contentType(), meta, empty, false)));
    return frameRecord(key, upload.contentType(), 0, meta, durability);
  }

  private static FrameId frameId(FrameUpload upload, Instant received) {
    Instant captured = upload.capturedAt() == null ? received : upload.capturedAt();
    return upload.frameId() != null
        ? upload.frameId()
        : FrameId.generate(upload.cameraId(), captured);
  }

  /** The metadata every frame object carries: who it is and when it was taken and received. */
  private static Map<String, String> identity(FrameId id, Instant received) {
    Map<String, String> meta = new HashMap<>();
    meta.put(META_FRAME_ID, id.value());
    meta.put(META_CAMERA, id.cameraId());
    meta.put(META_CAPTURED, id.capturedAt().toString());
    meta.put(META_RECEIVED, received.toString());
    return meta;
  }

  /** See {@link FrameStore#frame}. */
  public FrameRecord frame(String frameId) throws StorageException {
    FrameId id = FrameId.parse(frameId);
    for (String contentType : CONTENT_TYPES) {
      String key = StorageKeys.frame(id, contentType);
      Optional<SpoolObject> spooled = bucket.spool().find(key);
      if (spooled.isPresent()) {
        return frameRecord(
            key,
            contentType,
            spooled.get().content().length,
            spooled.get().metadata(),
            Durability.SPOOLED);
      }
      Optional<DurableBucket.Stat> stat = bucket.stat(key);
      if (stat.isPresent()) {
        return frameRecord(
            key, contentType, stat.get().size(), stat.get().metadata(), Durability.STORED);
      }
    }
    throw new ObjectNotFoundException("no frame " + frameId);
  }

  /** See {@link FrameStore#readFrame}. */
  public FrameData readFrame(String frameId) throws StorageException {
    FrameId id = FrameId.parse(frameId);
    for (String contentType : CONTENT_TYPES) {
      String key = StorageKeys.frame(id, contentType);
      Optional<DurableBucket.Blob> blob = bucket.readIfPresent(key);
      if (blob.isPresent()) {
        DurableBucket.Blob b = blob.get();
        FrameRecord record =
            frameRecord(key, contentType, b.bytes().length, b.metadata(), b.durability());
        if (!record.imageKept()) {
          throw new ImageNotKeptException(frameId, record.imageOf());
        }
        return new FrameData(record, b.bytes());
      }
    }
    throw new ObjectNotFoundException("no frame " + frameId);
  }

  /** See {@link FrameStore#readThumbnail}. */
  public byte[] readThumbnail(String frameId) throws StorageException {
    String key = StorageKeys.thumbnail(FrameId.parse(frameId));
    return bucket
        .readIfPresent(key)
        .orElseThrow(() -> new ObjectNotFoundException("no thumbnail for frame " + frameId))
        .bytes();
  }

  private static FrameRecord frameRecord(
      String key, String contentType, long size, Map<String, String> meta, Durability durability)
      throws StorageException {
    try {
      String imageOf = meta.get(META_IMAGE_OF);
      return new FrameRecord(
          meta.get(META_FRAME_ID),
          meta.get(META_CAMERA),
          Instant.parse(meta.get(META_CAPTURED)),
          Instant.parse(meta.get(META_RECEIVED)),
          contentType,
          imageOf == null ? size : Long.parseLong(meta.get(META_IMAGE_SIZE)),
          imageOf == null ? meta.get(DurableBucket.META_SHA256) : meta.get(META_IMAGE_SHA256),
          key,
          meta.get(META_THUMBNAIL),
          durability,
          imageOf);
    } catch (RuntimeException e) {
      throw new StorageException("frame " + key + " has missing or invalid metadata " + meta, e);
    }
  }

  /** See {@link FrameStore#listFrames}. */
  public Page<FrameEntry> listFrames(String prefix, String cursor, int limit)
      throws StorageException {
    if (prefix == null || !prefix.startsWith(StorageKeys.FRAMES)) {
      throw new IllegalArgumentException("prefix must start with frames/, got " + prefix);
    }
    DurableBucket.requirePageLimit(limit);
    List<FrameEntry> items = new ArrayList<>();
    String[] last = {null};
    boolean[] more = {false};
    bucket.walk(
        prefix,
        Cursors.decode(cursor, prefix),
        entry -> {
          Optional<FrameId> id = StorageKeys.frameOf(entry.key());
          if (StorageKeys.isThumbnail(entry.key()) || id.isEmpty()) {
            last[0] = entry.key();
            return true;
          }
          if (items.size() == limit) {
            more[0] = true;
            return false;
          }
          items.add(frameEntry(id.get(), entry));
          last[0] = entry.key();
          return true;
        });
    return new Page<>(items, more[0] ? Cursors.encode(last[0]) : null);
  }

  private static FrameEntry frameEntry(FrameId id, DurableBucket.Entry entry) {
    return new FrameEntry(
        id.value(),
        entry.key(),
        entry.size(),
        entry.lastModified() == null ? Instant.EPOCH : entry.lastModified());
  }

  /** See {@link FrameStore#framesBefore}. */
  public List<FrameEntry> framesBefore(
      String cameraId, Instant before, Duration lookback, int limit) throws StorageException {
    Names.requireSegment("cameraId", cameraId);
    DurableBucket.requirePageLimit(limit);
    if (lookback.compareTo(Duration.ofSeconds(1)) < 0
        || lookback.compareTo(Duration.ofHours(24)) > 0) {
      throw new IllegalArgumentException("lookback must be 1 s .. 24 h, got " + lookback);
    }
    Instant from = before.minus(lookback);
    ArrayDeque<FrameEntry> newest = new ArrayDeque<>();
    // Keys sort by camera, capture day, then capture time: start each day's listing at the window.
    for (Instant day = from; ; day = day.plus(Duration.ofDays(1))) {
      String prefix = StorageKeys.cameraDayPrefix(cameraId, day);
      String startAfter = day.equals(from) ? StorageKeys.framesFrom(cameraId, from) : null;
      bucket.walk(
          prefix,
          startAfter,
          entry -> {
            if (StorageKeys.isThumbnail(entry.key())) {
              return true;
            }
            Optional<FrameId> id = StorageKeys.frameOf(entry.key());
            if (id.isEmpty()) {
              return true;
            }
            if (!id.get().capturedAt().isBefore(before)) {
              return false;
            }
            newest.addFirst(frameEntry(id.get(), entry));
            if (newest.size() > limit) {
              newest.removeLast();
            }
            return true;
          });
      if (prefix.equals(StorageKeys.cameraDayPrefix(cameraId, before))) {
        break;
      }
    }
    return List.copyOf(newest);
  }

  /** See {@link FrameStore#presignedFrameUrl}. */
  public URI presignedFrameUrl(String frameId, Duration expiry) throws StorageException {
    return bucket.presignedGet(frame(frameId).key(), expiry);
  }

  /** See {@link FrameStore#presignedThumbnailUrl}. */
  public URI presignedThumbnailUrl(String frameId, Duration expiry) throws StorageException {
    FrameRecord frame = frame(frameId);
    if (frame.thumbnailKey() == null) {
      throw new ObjectNotFoundException("frame " + frameId + " has no thumbnail");
    }
    return bucket.presignedGet(frame.thumbnailKey(), expiry);
  }

  // ------------------------------------------------------------------ results

  /** See {@link FrameStore#putResult}. */
  public Durability putResult(ResultRecord result) throws StorageException {
    String key = StorageKeys.result(result.frameId(), result.model(), result.version());
    return bucket.writeDurably(List.of(DurableBucket.json(key, result, false)));
  }

  /** See {@link FrameStore#hasResult}. */
  public boolean hasResult(String frameId, String model, String version) throws StorageException {
    String key = resultKey(frameId, model, version);
    return bucket.spool().contains(key) || bucket.exists(key);
  }

  /** See {@link FrameStore#results}. */
  public List<ResultRecord> results(String frameId) throws StorageException {
    FrameId.parse(frameId);
    String prefix = StorageKeys.resultsPrefix(frameId);
    TreeSet<String> keys = new TreeSet<>(bucket.spool().keys(prefix));
    keys.addAll(bucket.listKeys(prefix, 10_000));
    return bucket.readJsonAll(keys, ResultRecord.class);
  }

  /** See {@link FrameStore#result}. */
  public Optional<ResultRecord> result(String frameId, String model, String version)
      throws StorageException {
    return bucket.readJson(resultKey(frameId, model, version), ResultRecord.class);
  }

  private static String resultKey(String frameId, String model, String version) {
    FrameId.parse(frameId);
    Names.requireSegment("model", model);
    Names.requireDottedSegment("version", version);
    return StorageKeys.result(frameId, model, version);
  }
}
