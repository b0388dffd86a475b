package org.cityvision.core.storage;

import com.fasterxml.jackson.databind.JsonNode;
import io.minio.BucketExistsArgs;
import io.minio.GetObjectArgs;
import io.minio.GetObjectResponse;
import io.minio.GetPresignedObjectUrlArgs;
import io.minio.ListObjectsArgs;
import io.minio.MakeBucketArgs;
import io.minio.MinioClient;
import io.minio.PutObjectArgs;
import io.minio.RemoveObjectArgs;
import io.minio.RemoveObjectsArgs;
import io.minio.Result;
import io.minio.StatObjectArgs;
import io.minio.StatObjectResponse;
import io.minio.errors.ErrorResponseException;
import io.minio.errors.InsufficientDataException;
import io.minio.errors.InvalidResponseException;
import io.minio.errors.ServerException;
import io.minio.http.Method;
import io.minio.messages.DeleteError;
import io.minio.messages.DeleteObject;
import io.minio.messages.Item;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import okhttp3.Dispatcher;
import okhttp3.OkHttpClient;
import org.cityvision.core.storage.spool.SpoolObject;
import org.cityvision.core.storage.spool.WriteAheadSpool;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@link FrameStore} over the MinIO Java client (8.5.17), against MinIO or any S3-compatible
 * server.
 *
 * <h2>Concurrency scheme</h2>
 *
 * The only primitive relied on is {@code PUT} with {@code If-None-Match: *}, which MinIO and
 * S3Proxy's filesystem backend evaluate atomically as they write ({@code If-Match} is checked
 * non-atomically by S3Proxy, so it is not used). A flag is a chain of immutable revisions {@code
 * flags/log/{frameId}/{inverted revision}.json}; a review reads the newest revision {@code r} and
 * creates {@code r+1} with {@code If-None-Match: *}: of two reviewers, one creates it and the other
 * gets 412, surfaced as {@link ConflictException}. The queue entries under {@code
 * flags/{status}/...} are empty markers derived from the log: written after the revision, checked
 * against the log when listed, and repaired there if a crash left one stale.
 *
 * <p>Created by {@link FrameStores#open}; see {@link FrameStore} for ownership. Thread-safe.
 */
public final class MinioFrameStore implements FrameStore {
  static final String META_SHA256 = "sha256";
  private static final Logger LOG = LoggerFactory.getLogger(MinioFrameStore.class);
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
  private static final String JSON = "application/json";
  private static final int LIST_PAGE = 1000;

  /** Bound on queue keys one {@link #listFlags} call examines before it returns a cursor. */
  static final int FLAG_SCAN_BOUND = 20_000;

  private final StorageConfig config;
  private final String bucket;
  private final MinioClient client;
  private final OkHttpClient http;
  private final WriteAheadSpool spool;
  private final SpoolFlusher flusher;
  private final Clock clock;
  private final MinioModelStore models;
  private final MinioFlagGroups flagGroups;
  private final FlagCounters counters;
  private final ReviewLeases leases;

  /** Reads the flags of a queue page in parallel; daemon threads, shut down on close. */
  private final ExecutorService reads;

  private MinioFrameStore(
      StorageConfig config,
      MinioClient client,
      OkHttpClient http,
      WriteAheadSpool spool,
      Clock clock) {
    this.config = config;
    this.bucket = config.bucket();
    this.client = client;
    this.http = http;
    this.spool = spool;
    this.clock = clock;
    this.models = new MinioModelStore(this, clock);
    this.flagGroups = new MinioFlagGroups(this);
    this.counters = new FlagCounters(this, clock);
    this.leases = new ReviewLeases(this, clock);
    AtomicInteger readers = new AtomicInteger();
    this.reads =
        Executors.newFixedThreadPool(
            16,
            r -> {
              Thread t = new Thread(r, "cityvision-flag-reads-" + readers.incrementAndGet());
              t.setDaemon(true);
              return t;
            });
    this.flusher =
        new SpoolFlusher(
            spool,
            new SpoolFlusher.Target() {
              @Override
              public void deliver(SpoolObject object) throws StorageException {
                MinioFrameStore.this.deliver(object);
              }

              @Override
              public boolean reachable() {
                return MinioFrameStore.this.reachable();
              }
            },
            config.retryBackoffMax());
  }

  /**
   * Connects to {@code endpoint}, opens the spool under {@code config.dataDir()} and starts
   * replaying it. Creates the bucket if MinIO is reachable and it is missing; if MinIO is not
   * reachable the store still opens, degraded, and accepts writes into the spool.
   */
  static MinioFrameStore open(
      StorageConfig config, String endpoint, String accessKey, String secretKey, Clock clock)
      throws StorageException {
    long timeoutMs = config.requestTimeout().toMillis();
    Dispatcher dispatcher = new Dispatcher();
    // The client runs requests through OkHttp's async dispatcher, which allows 5 per host by
    // default: too few for a server taking frames from many cameras at once.
    dispatcher.setMaxRequests(128);
    dispatcher.setMaxRequestsPerHost(128);
    OkHttpClient http =
        new OkHttpClient.Builder()
            .dispatcher(dispatcher)
            .connectTimeout(timeoutMs, TimeUnit.MILLISECONDS)
            .writeTimeout(timeoutMs, TimeUnit.MILLISECONDS)
            .readTimeout(timeoutMs, TimeUnit.MILLISECONDS)
            .callTimeout(timeoutMs * 3, TimeUnit.MILLISECONDS)
            .build();
    MinioClient client =
        MinioClient.builder()
            .endpoint(endpoint)
            .credentials(accessKey, secretKey)
            .region(config.region())
            .httpClient(http)
            .build();
    WriteAheadSpool spool =
        WriteAheadSpool.open(config.dataDir().resolve("spool"), config.spoolMaxBytes());
    MinioFrameStore store = new MinioFrameStore(config, client, http, spool, clock);
    try {
      store.ensureBucket();
      // A store written before the bucketed queue index is rewritten before this node lists it;
      // if the store goes away meanwhile, the next recount finishes the move.
      store.migrateQueueIndex();
    } catch (StoreUnavailableException e) {
      store.flusher.markDown();
    } catch (StorageException | RuntimeException e) {
      store.closeQuietly();
      throw e;
    }
    store.flusher.start();
    store.counters.start();
    return store;
  }

  private void ensureBucket() throws StorageException {
    try {
      if (!client.bucketExists(BucketExistsArgs.builder().bucket(bucket).build())) {
        client.makeBucket(MakeBucketArgs.builder().bucket(bucket).region(config.region()).build());
      }
    } catch (ErrorResponseException e) {
      // Another node created it between the check and the make.
      if (!"BucketAlreadyOwnedByYou".equals(e.errorResponse().code())) {
        throw translate("create bucket " + bucket, e);
      }
    } catch (Exception e) {
      throw translate("create bucket " + bucket, e);
    }
  }

  // ------------------------------------------------------------------ frames

  @Override
  public FrameRecord putFrame(FrameUpload upload) throws StorageException {
    Instant received = clock.instant();
    Instant captured = upload.capturedAt() == null ? received : upload.capturedAt();
    FrameId id =
        upload.frameId() != null ? upload.frameId() : FrameId.generate(upload.cameraId(), captured);
    String key = StorageKeys.frame(id, upload.contentType());
    String thumbKey = upload.thumbnail() == null ? null : StorageKeys.thumbnail(id);
    String sha = StorageKeys.sha256Hex(upload.bytes());
    Map<String, String> meta = new HashMap<>();
    meta.put(META_SHA256, sha);
    meta.put(META_FRAME_ID, id.value());
    meta.put(META_CAMERA, id.cameraId());
    meta.put(META_CAPTURED, id.capturedAt().toString());
    meta.put(META_RECEIVED, received.toString());
    List<SpoolObject> objects = new ArrayList<>(2);
    if (thumbKey != null) {
      meta.put(META_THUMBNAIL, thumbKey);
      // Thumbnail first: a visible frame object then always has its thumbnail.
      objects.add(
          object(
              thumbKey,
              "image/jpeg",
              Map.of(META_FRAME_ID, id.value()),
              upload.thumbnail(),
              false));
    }
    objects.add(new SpoolObject(key, upload.contentType(), meta, upload.bytes(), false));
    Durability durability = writeDurably(objects);
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

  @Override
  public FrameRecord putFrameRecord(FrameUpload upload, String imageOf) throws StorageException {
    FrameId.parse(imageOf);
    Instant received = clock.instant();
    Instant captured = upload.capturedAt() == null ? received : upload.capturedAt();
    FrameId id =
        upload.frameId() != null ? upload.frameId() : FrameId.generate(upload.cameraId(), captured);
    String key = StorageKeys.frame(id, upload.contentType());
    byte[] empty = new byte[0];
    Map<String, String> meta = new HashMap<>();
    // The object's own digest (of no bytes) keeps reads verifiable; the original's is kept beside
    // it.
    meta.put(META_SHA256, StorageKeys.sha256Hex(empty));
    meta.put(META_IMAGE_SHA256, StorageKeys.sha256Hex(upload.bytes()));
    meta.put(META_IMAGE_SIZE, Long.toString(upload.bytes().length));
    meta.put(META_IMAGE_OF, imageOf);
    meta.put(META_FRAME_ID, id.value());
    meta.put(META_CAMERA, id.cameraId());
    meta.put(META_CAPTURED, id.capturedAt().toString());
    meta.put(META_RECEIVED, received.toString());
    Durability durability =
        writeDurably(List.of(new SpoolObject(key, upload.contentType(), meta, empty, false)));
    return frameRecord(key, upload.contentType(), 0, meta, durability);
  }

  @Override
  public FrameRecord frame(String frameId) throws StorageException {
    FrameId id = FrameId.parse(frameId);
    for (String contentType : List.of("image/jpeg", "image/png")) {
      String key = StorageKeys.frame(id, contentType);
      Optional<SpoolObject> spooled = spool.find(key);
      if (spooled.isPresent()) {
        return frameRecord(
            key,
            contentType,
            spooled.get().content().length,
            spooled.get().metadata(),
            Durability.SPOOLED);
      }
      try {
        StatObjectResponse stat =
            client.statObject(StatObjectArgs.builder().bucket(bucket).object(key).build());
        return frameRecord(
            key, contentType, stat.size(), lower(stat.userMetadata()), Durability.STORED);
      } catch (Exception e) {
        StorageException t = translate("stat frame " + frameId, e);
        if (!(t instanceof ObjectNotFoundException)) {
          throw t;
        }
      }
    }
    throw new ObjectNotFoundException("no frame " + frameId);
  }

  @Override
  public FrameData readFrame(String frameId) throws StorageException {
    FrameId id = FrameId.parse(frameId);
    // JPEG first: cameras send JPEG; a PNG frame costs one extra 404.
    for (String contentType : List.of("image/jpeg", "image/png")) {
      String key = StorageKeys.frame(id, contentType);
      Optional<Blob> blob = readIfPresent(key);
      if (blob.isPresent()) {
        Blob b = blob.get();
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

  @Override
  public byte[] readThumbnail(String frameId) throws StorageException {
    String key = StorageKeys.thumbnail(FrameId.parse(frameId));
    return readIfPresent(key)
        .orElseThrow(() -> new ObjectNotFoundException("no thumbnail for frame " + frameId))
        .bytes();
  }

  private FrameRecord frameRecord(
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
          imageOf == null ? meta.get(META_SHA256) : meta.get(META_IMAGE_SHA256),
          key,
          meta.get(META_THUMBNAIL),
          durability,
          imageOf);
    } catch (RuntimeException e) {
      throw new StorageException("frame " + key + " has missing or invalid metadata " + meta, e);
    }
  }

  @Override
  public Page<FrameEntry> listFrames(String prefix, String cursor, int limit)
      throws StorageException {
    if (prefix == null || !prefix.startsWith(StorageKeys.FRAMES)) {
      throw new IllegalArgumentException("prefix must start with frames/, got " + prefix);
    }
    requireLimit(limit);
    String after = Cursors.decode(cursor, prefix);
    List<FrameEntry> items = new ArrayList<>();
    String last = null;
    try {
      for (Result<Item> result : list(prefix, after)) {
        Item item = result.get();
        String key = item.objectName();
        if (key.endsWith(StorageKeys.THUMB_SUFFIX)) {
          last = key;
          continue;
        }
        if (items.size() == limit) {
          return new Page<>(items, Cursors.encode(last));
        }
        String name = key.substring(key.lastIndexOf('/') + 1);
        String frameId = name.substring(0, name.lastIndexOf('.'));
        items.add(
            new FrameEntry(
                frameId,
                key,
                item.size(),
                item.lastModified() == null ? Instant.EPOCH : item.lastModified().toInstant()));
        last = key;
      }
    } catch (Exception e) {
      throw translate("list " + prefix, e);
    }
    return new Page<>(items, null);
  }

  @Override
  public List<FrameEntry> framesBefore(
      String cameraId, Instant before, Duration lookback, int limit) throws StorageException {
    StorageKeys.requireSegment("cameraId", cameraId);
    requireLimit(limit);
    if (lookback.compareTo(Duration.ofSeconds(1)) < 0
        || lookback.compareTo(Duration.ofHours(24)) > 0) {
      throw new IllegalArgumentException("lookback must be 1 s .. 24 h, got " + lookback);
    }
    Instant from = before.minus(lookback);
    ArrayDeque<FrameEntry> newest = new ArrayDeque<>();
    // Keys sort by camera, capture day, then capture time: start each day's listing at the window.
    for (Instant day = from; ; day = day.plus(Duration.ofDays(1))) {
      String prefix = StorageKeys.cameraDayPrefix(cameraId, day);
      String startAfter =
          day.equals(from) ? prefix + cameraId + "." + StorageKeys.STAMP.format(from) : null;
      try {
        for (Result<Item> result : list(prefix, startAfter)) {
          String key = result.get().objectName();
          if (key.endsWith(StorageKeys.THUMB_SUFFIX)) {
            continue;
          }
          String name = key.substring(key.lastIndexOf('/') + 1);
          FrameId id;
          try {
            id = FrameId.parse(name.substring(0, Math.max(0, name.lastIndexOf('.'))));
          } catch (IllegalArgumentException notAFrame) {
            continue;
          }
          if (!id.capturedAt().isBefore(before)) {
            break;
          }
          newest.addFirst(
              new FrameEntry(
                  id.value(),
                  key,
                  result.get().size(),
                  result.get().lastModified() == null
                      ? Instant.EPOCH
                      : result.get().lastModified().toInstant()));
          if (newest.size() > limit) {
            newest.removeLast();
          }
        }
      } catch (Exception e) {
        throw translate("list " + prefix, e);
      }
      if (prefix.equals(StorageKeys.cameraDayPrefix(cameraId, before))) {
        break;
      }
    }
    return List.copyOf(newest);
  }

  @Override
  public URI presignedFrameUrl(String frameId, Duration expiry) throws StorageException {
    return presign(frame(frameId).key(), expiry);
  }

  @Override
  public URI presignedThumbnailUrl(String frameId, Duration expiry) throws StorageException {
    FrameRecord frame = frame(frameId);
    if (frame.thumbnailKey() == null) {
      throw new ObjectNotFoundException("frame " + frameId + " has no thumbnail");
    }
    return presign(frame.thumbnailKey(), expiry);
  }

  private URI presign(String key, Duration expiry) throws StorageException {
    if (expiry.compareTo(Duration.ofSeconds(1)) < 0 || expiry.compareTo(Duration.ofDays(7)) > 0) {
      throw new IllegalArgumentException("expiry must be in 1 s .. 7 days, got " + expiry);
    }
    try {
      return URI.create(
          client.getPresignedObjectUrl(
              GetPresignedObjectUrlArgs.builder()
                  .method(Method.GET)
                  .bucket(bucket)
                  .object(key)
                  .expiry((int) expiry.toSeconds())
                  .build()));
    } catch (Exception e) {
      throw translate("presign " + key, e);
    }
  }

  // ------------------------------------------------------------------ results

  @Override
  public Durability putResult(ResultRecord result) throws StorageException {
    String key = StorageKeys.result(result.frameId(), result.model(), result.version());
    return writeDurably(List.of(json(key, result, false)));
  }

  @Override
  public boolean hasResult(String frameId, String model, String version) throws StorageException {
    FrameId.parse(frameId);
    StorageKeys.requireSegment("model", model);
    StorageKeys.requireDottedSegment("version", version);
    String key = StorageKeys.result(frameId, model, version);
    return spool.contains(key) || exists(key);
  }

  @Override
  public List<ResultRecord> results(String frameId) throws StorageException {
    FrameId.parse(frameId);
    String prefix = StorageKeys.resultsPrefix(frameId);
    TreeSet<String> keys = new TreeSet<>(spool.keys(prefix));
    keys.addAll(listKeys(prefix, 10_000));
    List<ResultRecord> out = new ArrayList<>(keys.size());
    for (String key : keys) {
      Optional<Blob> blob = readIfPresent(key);
      if (blob.isPresent()) {
        out.add(StoreJson.read(blob.get().bytes(), ResultRecord.class, key));
      }
    }
    return out;
  }

  @Override
  public Optional<ResultRecord> result(String frameId, String model, String version)
      throws StorageException {
    FrameId.parse(frameId);
    StorageKeys.requireSegment("model", model);
    StorageKeys.requireDottedSegment("version", version);
    String key = StorageKeys.result(frameId, model, version);
    Optional<Blob> blob = readIfPresent(key);
    return blob.isEmpty()
        ? Optional.empty()
        : Optional.of(StoreJson.read(blob.get().bytes(), ResultRecord.class, key));
  }

  // ------------------------------------------------------------------ flags

  @Override
  public FlagRecord createFlag(FlagRecord flag) throws StorageException {
    if (flag.status() != FlagStatus.OPEN || flag.revision() != 1) {
      throw new IllegalArgumentException("a new flag must be open at revision 1, got " + flag);
    }
    List<SpoolObject> objects = new ArrayList<>(5);
    objects.add(json(StorageKeys.flagRevision(flag.frameId(), 1), flag, true));
    for (String key : StorageKeys.queueEntries(FlagStatus.OPEN, flag)) {
      objects.add(marker(key));
    }
    if (!flusher.storeDown()) {
      try {
        put(objects.get(0));
        counters.created(flag);
        for (SpoolObject marker : objects.subList(1, objects.size())) {
          put(marker);
        }
        return flag;
      } catch (ConflictException e) {
        // Flagged before; a crash may have left it without queue entries, so write them again.
        FlagRecord existing = flag(flag.frameId());
        writeQueueEntries(existing);
        return existing;
      } catch (StoreUnavailableException e) {
        flusher.markDown();
      }
    }
    appendToSpool(objects);
    counters.created(flag);
    return flag;
  }

  @Override
  public FlagRecord flag(String frameId) throws StorageException {
    FrameId.parse(frameId);
    Optional<FlagRecord> head = flagHead(frameId);
    if (head.isPresent()) {
      return head.get();
    }
    // Created while MinIO was down and not delivered yet.
    List<String> spooled = spool.keys(StorageKeys.flagLogPrefix(frameId));
    if (!spooled.isEmpty()) {
      Optional<SpoolObject> o = spool.find(spooled.get(0));
      if (o.isPresent()) {
        return StoreJson.read(o.get().content(), FlagRecord.class, spooled.get(0));
      }
    }
    throw new ObjectNotFoundException("frame " + frameId + " has no flag");
  }

  /**
   * The newest readable revision in MinIO: one listing of the newest few keys, then one GET (more
   * only while a write is in flight). A revision can be listed before it can be read (another
   * reviewer's conditional PUT still landing, or losing); until it reads, the revision before it is
   * the head, so a concurrent reviewer gets a conflict when writing, never "no flag".
   */
  Optional<FlagRecord> flagHead(String frameId) throws StorageException {
    return newest(StorageKeys.flagLogPrefix(frameId), FlagRecord.class);
  }

  /**
   * The newest readable record of a revision chain under {@code prefix} (keys listed newest first):
   * one listing of the newest few keys, then one GET, more only while a write is in flight.
   */
  <T> Optional<T> newest(String prefix, Class<T> type) throws StorageException {
    for (String key : listKeys(prefix, 3)) {
      Optional<Blob> blob = readIfPresent(key);
      if (blob.isPresent()) {
        return Optional.of(StoreJson.read(blob.get().bytes(), type, key));
      }
    }
    return Optional.empty();
  }

  @Override
  public Page<FlagRecord> listFlags(FlagQuery q) throws StorageException {
    // A camera's or a label's own index when filtering by one, so that the listing costs what
    // that camera or label holds rather than the whole queue.
    QueueIndex index = StorageKeys.queueIndex(q.status(), q.order());
    FlagOrder keyOrder = q.order();
    if (q.order() == FlagOrder.NEWEST_FIRST && q.cameraId() != null) {
      index = StorageKeys.cameraQueue(q.status(), q.cameraId());
    } else if (q.order() == FlagOrder.NEWEST_FIRST && q.label() != null) {
      index = StorageKeys.labelQueue(q.status(), q.label());
    }
    String cursorKey = Cursors.decode(q.cursor(), index.root());
    String after = cursorKey == null ? null : index.nameOf(cursorKey);
    if (q.order() == FlagOrder.NEWEST_FIRST && q.until() != null) {
      // Names sort newest first, so everything raised after `until` sorts before this point.
      long inverted = StorageKeys.MAX_MILLIS - q.until().toEpochMilli() - 1;
      String start = String.format(Locale.ROOT, "%013d", inverted) + "~";
      if (after == null || after.compareTo(start) < 0) {
        after = start;
      }
    }
    List<FlagRecord> items = new ArrayList<>();
    // Markers whose flags are still to be read: read together, in parallel, when the page could be
    // full with them, so that a page costs about one request's time per flag, not two in a row.
    List<String> pendingKeys = new ArrayList<>();
    List<QueueKey> pending = new ArrayList<>();
    String last = after == null ? null : index.root() + after;
    int scanned = 0;
    try (QueueWalk walk = new QueueWalk(this, index, after, reads)) {
      for (String key = walk.next(); key != null; key = walk.next()) {
        QueueKey entry = QueueKey.parse(key.substring(key.lastIndexOf('/') + 1), keyOrder);
        if (entry == null) {
          last = key;
          continue;
        }
        if (q.order() == FlagOrder.NEWEST_FIRST
            && q.since() != null
            && entry.flaggedAtMillis() < q.since().toEpochMilli()) {
          readQueued(q, pendingKeys, pending, items);
          return new Page<>(items, null);
        }
        if (items.size() + pending.size() == q.limit() || scanned == FLAG_SCAN_BOUND) {
          readQueued(q, pendingKeys, pending, items);
          if (items.size() == q.limit() || scanned == FLAG_SCAN_BOUND) {
            return new Page<>(items, Cursors.encode(last));
          }
        }
        scanned++;
        last = key;
        if (entry.matches(q)) {
          pendingKeys.add(key);
          pending.add(entry);
        }
      }
      readQueued(q, pendingKeys, pending, items);
    }
    return new Page<>(items, null);
  }

  /**
   * Reads the flags of {@code entries} in parallel and adds, in marker order, those still in the
   * queried status (and model); repairs the markers a crash left stale. Empties both lists.
   */
  private void readQueued(
      FlagQuery q, List<String> keys, List<QueueKey> entries, List<FlagRecord> items)
      throws StorageException {
    List<Future<Optional<FlagRecord>>> heads = new ArrayList<>();
    for (QueueKey entry : entries) {
      heads.add(reads.submit(() -> queuedFlag(entry)));
    }
    for (int i = 0; i < entries.size(); i++) {
      Optional<FlagRecord> head;
      try {
        head = heads.get(i).get();
      } catch (ExecutionException e) {
        heads.forEach(h -> h.cancel(true));
        throw e.getCause() instanceof StorageException s
            ? s
            : translate("read flag", (Exception) e.getCause());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new StoreUnavailableException("interrupted while reading flags", e);
      }
      if (head.isPresent() && head.get().status() == q.status()) {
        // Model and reason are in the flag, not in the marker: their filters read each flag they
        // skip.
        if ((q.model() == null || q.model().equals(head.get().model()))
            && (q.reason() == null || q.reason().equals(head.get().reason()))) {
          items.add(head.get());
        }
      } else {
        // A crash between a review and its queue update left this marker behind.
        repairQueue(keys.get(i), entries.get(i).frameId(), head);
      }
    }
    keys.clear();
    entries.clear();
  }

  /**
   * The flag a marker names: one GET of the revision in the marker's name, or, for a marker without
   * one (or a revision not readable yet), the newest revision from the flag's log.
   */
  private Optional<FlagRecord> queuedFlag(QueueKey entry) throws StorageException {
    if (entry.revision() > 0) {
      String key = StorageKeys.flagRevision(entry.frameId(), entry.revision());
      Optional<Blob> blob = readIfPresent(key);
      if (blob.isPresent()) {
        return Optional.of(StoreJson.read(blob.get().bytes(), FlagRecord.class, key));
      }
    }
    return flagHead(entry.frameId());
  }

  /**
   * Best effort after a verdict was refused because the flag is no longer open: a page may have
   * shown it from an open marker that a crash left behind (pages read the marker's revision, not
   * the flag's newest), so the open markers of its earlier revisions go and its own are written.
   */
  private void repairOpenMarkers(FlagRecord head) {
    try {
      for (String key : listKeys(StorageKeys.flagLogPrefix(head.frameId()), 32)) {
        if (StorageKeys.revisionOf(key) >= head.revision()) {
          continue;
        }
        Optional<Blob> blob = readIfPresent(key);
        if (blob.isPresent()) {
          FlagRecord earlier = StoreJson.read(blob.get().bytes(), FlagRecord.class, key);
          if (earlier.status() == FlagStatus.OPEN) {
            removeAll(StorageKeys.queueEntries(FlagStatus.OPEN, earlier));
          }
        }
      }
      writeQueueEntries(head);
    } catch (StorageException e) {
      LOG.warn("flag {}: stale open markers not repaired ({})", head.frameId(), e.getMessage());
    }
  }

  @Override
  public FlagRecord reviewFlag(FlagReview review) throws StorageException {
    int attempts = review.override() ? 5 : 1;
    ConflictException lost = null;
    for (int attempt = 0; attempt < attempts; attempt++) {
      FlagRecord head =
          flagHead(review.frameId())
              .orElseThrow(
                  () -> new ObjectNotFoundException("frame " + review.frameId() + " has no flag"));
      if (!review.override() && head.status() != FlagStatus.OPEN) {
        repairOpenMarkers(head);
        throw new ConflictException(
            "flag "
                + review.frameId()
                + " is already "
                + head.status().keyName()
                + " by "
                + head.reviewer()
                + " at "
                + head.reviewedAt()
                + "; override to replace it");
      }
      Instant now = clock.instant();
      FlagRecord next = head.reviewed(review, now);
      try {
        put(json(StorageKeys.flagRevision(review.frameId(), next.revision()), next, true));
      } catch (ConflictException e) {
        lost =
            new ConflictException(
                "flag " + review.frameId() + " was reviewed by someone else at the same time", e);
        continue;
      }
      counters.moved(head, next);
      ReviewRecord record =
          new ReviewRecord(
              review.frameId(),
              review.reviewer(),
              review.verdict(),
              review.label(),
              review.note(),
              head.model(),
              head.modelVersion(),
              head.label(),
              head.status(),
              next.revision(),
              now);
      put(json(StorageKeys.review(record), record, false));
      moveQueueEntries(head, next);
      return next;
    }
    throw lost;
  }

  @Override
  public FlagRecord reopenFlag(String frameId, long revision, String reviewer)
      throws StorageException {
    FrameId.parse(frameId);
    StorageKeys.requireDottedSegment("reviewer", reviewer);
    FlagRecord head =
        flagHead(frameId)
            .orElseThrow(() -> new ObjectNotFoundException("frame " + frameId + " has no flag"));
    if (head.status() == FlagStatus.OPEN) {
      throw new ConflictException("flag " + frameId + " is open: there is no verdict to take back");
    }
    if (head.revision() != revision) {
      throw new ConflictException(
          "flag "
              + frameId
              + " is at revision "
              + head.revision()
              + ", not "
              + revision
              + ": "
              + head.reviewer()
              + " gave a later verdict ("
              + head.status().keyName()
              + ") at "
              + head.reviewedAt());
    }
    Instant now = clock.instant();
    FlagRecord next = head.reopened();
    try {
      put(json(StorageKeys.flagRevision(frameId, next.revision()), next, true));
    } catch (ConflictException e) {
      throw new ConflictException(
          "flag " + frameId + " was changed by someone else at the same time", e);
    }
    counters.moved(head, next);
    ReviewRecord record =
        new ReviewRecord(
            frameId,
            reviewer,
            Verdict.REOPEN,
            null,
            null,
            head.model(),
            head.modelVersion(),
            head.label(),
            head.status(),
            next.revision(),
            now);
    put(json(StorageKeys.review(record), record, false));
    moveQueueEntries(head, next);
    return next;
  }

  /**
   * Writes the markers of {@code to} and removes those of {@code from} (their names differ even in
   * one status: they carry the revision), and any {@code from} had without a revision.
   */
  private void moveQueueEntries(FlagRecord from, FlagRecord to) throws StorageException {
    writeQueueEntries(to);
    Set<String> old = new HashSet<>(StorageKeys.queueEntries(from.status(), from));
    old.addAll(StorageKeys.unrevisionedQueueEntries(from.status(), from));
    old.removeAll(StorageKeys.queueEntries(to.status(), to));
    // One multi-object delete, whichever of these names exist.
    removeAll(old);
  }

  /** Removes a stale queue marker and makes sure the flag's current markers exist. */
  private void repairQueue(String staleKey, String frameId, Optional<FlagRecord> head)
      throws StorageException {
    if (head.isEmpty() && !spool.keys(StorageKeys.flagLogPrefix(frameId)).isEmpty()) {
      return; // Created while MinIO was down; the flusher delivers the revision next.
    }
    if (head.isPresent()) {
      writeQueueEntries(head.get());
    }
    remove(staleKey);
  }

  private void writeQueueEntries(FlagRecord flag) throws StorageException {
    for (String key : StorageKeys.queueEntries(flag.status(), flag)) {
      put(marker(key));
    }
  }

  @Override
  public FlagCounts flagCounts() throws StorageException {
    return counters.counts();
  }

  @Override
  public List<FlagCounts> flagCountsSince(long revision) throws StorageException {
    return counters.since(revision);
  }

  @Override
  public FlagRecount recountFlags() throws StorageException {
    return counters.recount();
  }

  /**
   * Moves the flat queue markers of a store written before the bucketed index into it ({@link
   * QueueIndexMigration}); the number moved (0, after one listing per status, once done).
   */
  long migrateQueueIndex() throws StorageException {
    return QueueIndexMigration.run(this, reads);
  }

  /** Retention deleted a flag: it leaves the counts. */
  void flagDeleted(FlagRecord flag) {
    counters.deleted(flag);
  }

  // ------------------------------------------------------------------ review leases

  @Override
  public Optional<ReviewLease> leaseFlag(String frameId, String holder, Duration ttl)
      throws StorageException {
    return leases.lease(frameId, holder, ttl);
  }

  @Override
  public boolean releaseFlag(String frameId, String holder) throws StorageException {
    return leases.release(frameId, holder);
  }

  @Override
  public Page<ReviewRecord> listReviews(String cursor, int limit) throws StorageException {
    requireLimit(limit);
    Page<String> keys = listKeyPage(StorageKeys.REVIEWS, cursor, limit);
    List<ReviewRecord> out = new ArrayList<>(keys.items().size());
    for (String key : keys.items()) {
      out.add(StoreJson.read(read(key).bytes(), ReviewRecord.class, key));
    }
    return new Page<>(out, keys.nextCursor());
  }

  // ------------------------------------------------------------------ keys and jobs

  @Override
  public void createApiKey(ApiKeyRecord key) throws StorageException {
    try {
      put(json(StorageKeys.apiKey(key.name()), key, true));
    } catch (ConflictException e) {
      throw new ConflictException("an API key named " + key.name() + " exists", e);
    }
  }

  @Override
  public Optional<ApiKeyRecord> apiKey(String name) throws StorageException {
    String key = StorageKeys.apiKey(StorageKeys.requireSegment("name", name));
    Optional<Blob> blob = readIfPresent(key);
    return blob.isEmpty()
        ? Optional.empty()
        : Optional.of(StoreJson.read(blob.get().bytes(), ApiKeyRecord.class, key));
  }

  @Override
  public List<ApiKeyRecord> apiKeys() throws StorageException {
    List<ApiKeyRecord> out = new ArrayList<>();
    for (String key : listKeys(StorageKeys.KEYS, 100_000)) {
      Optional<Blob> blob = readIfPresent(key);
      if (blob.isPresent()) {
        out.add(StoreJson.read(blob.get().bytes(), ApiKeyRecord.class, key));
      }
    }
    return out;
  }

  @Override
  public boolean deleteApiKey(String name) throws StorageException {
    String key = StorageKeys.apiKey(StorageKeys.requireSegment("name", name));
    if (!exists(key)) {
      return false;
    }
    remove(key);
    return true;
  }

  @Override
  public void putJob(JobState job) throws StorageException {
    put(json(StorageKeys.job(job.jobId()), job, false));
  }

  @Override
  public Optional<JobState> job(String jobId) throws StorageException {
    String key = StorageKeys.job(StorageKeys.requireSegment("jobId", jobId));
    Optional<Blob> blob = readIfPresent(key);
    return blob.isEmpty()
        ? Optional.empty()
        : Optional.of(StoreJson.read(blob.get().bytes(), JobState.class, key));
  }

  @Override
  public Page<JobState> listJobs(String cursor, int limit) throws StorageException {
    requireLimit(limit);
    Page<String> keys = listKeyPage(StorageKeys.JOBS, cursor, limit);
    List<JobState> out = new ArrayList<>(keys.items().size());
    for (String key : keys.items()) {
      Optional<Blob> blob = readIfPresent(key);
      if (blob.isPresent()) {
        out.add(StoreJson.read(blob.get().bytes(), JobState.class, key));
      }
    }
    return new Page<>(out, keys.nextCursor());
  }

  // ------------------------------------------------------------------ idempotency

  @Override
  public Optional<JsonNode> claimIdempotencyKey(String idempotencyKey, JsonNode value)
      throws StorageException {
    String key = StorageKeys.idempotency(requireIdempotencyKey(idempotencyKey));
    try {
      put(json(key, value, true));
      return Optional.empty();
    } catch (ConflictException e) {
      return Optional.of(StoreJson.read(read(key).bytes(), JsonNode.class, key));
    }
  }

  @Override
  public void completeIdempotencyKey(String idempotencyKey, JsonNode value)
      throws StorageException {
    put(json(StorageKeys.idempotency(requireIdempotencyKey(idempotencyKey)), value, false));
  }

  private static String requireIdempotencyKey(String value) {
    if (value == null || value.isEmpty() || value.length() > 255) {
      throw new IllegalArgumentException("Idempotency-Key must be 1-255 characters");
    }
    return value;
  }

  // ------------------------------------------------------------------ model registry

  @Override
  public ModelStore models() {
    return models;
  }

  @Override
  public FlagGroups flagGroups() {
    return flagGroups;
  }

  // ------------------------------------------------------------------ camera health

  /**
   * Revisions kept per camera: enough for a reader that listed just before a write to still read
   * one.
   */
  private static final int HEALTH_REVISIONS_KEPT = 3;

  @Override
  public Optional<CameraHealthRecord> cameraHealth(String cameraId) throws StorageException {
    String prefix =
        StorageKeys.cameraHealthPrefix(StorageKeys.requireSegment("cameraId", cameraId));
    // As with flags: a revision can be listed before it reads (a write landing or losing).
    for (String key : listKeys(prefix, HEALTH_REVISIONS_KEPT)) {
      Optional<Blob> blob = readIfPresent(key);
      if (blob.isPresent()) {
        return Optional.of(
            new CameraHealthRecord(cameraId, StorageKeys.revisionOf(key), blob.get().bytes()));
      }
    }
    return Optional.empty();
  }

  @Override
  public Optional<CameraHealthRecord> cameraHealth(String cameraId, long revision)
      throws StorageException {
    String key =
        StorageKeys.cameraHealth(StorageKeys.requireSegment("cameraId", cameraId), revision);
    return readIfPresent(key).map(b -> new CameraHealthRecord(cameraId, revision, b.bytes()));
  }

  @Override
  public void putCameraHealth(CameraHealthRecord record) throws StorageException {
    String cameraId = record.cameraId();
    try {
      put(
          object(
              StorageKeys.cameraHealth(cameraId, record.revision()),
              JSON,
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
      put(marker(StorageKeys.cameraIndex(cameraId)));
    }
    // Old revisions go four at a time in one request, so 3 to 6 are kept.
    long newestStale = record.revision() - HEALTH_REVISIONS_KEPT;
    if (record.revision() % 4 == 0 && newestStale >= 1) {
      List<String> stale = new ArrayList<>(4);
      for (long r = Math.max(1, newestStale - 3); r <= newestStale; r++) {
        stale.add(StorageKeys.cameraHealth(cameraId, r));
      }
      removeAll(stale);
    }
  }

  @Override
  public Page<String> listCameraHealth(String cursor, int limit) throws StorageException {
    requireLimit(limit);
    Page<String> keys = listKeyPage(StorageKeys.CAMERA_INDEX, cursor, limit);
    return new Page<>(
        keys.items().stream().map(k -> k.substring(StorageKeys.CAMERA_INDEX.length())).toList(),
        keys.nextCursor());
  }

  @Override
  public void markCameraAlert(String cameraId, boolean open) throws StorageException {
    String key = StorageKeys.cameraAlert(StorageKeys.requireSegment("cameraId", cameraId));
    if (open) {
      put(marker(key));
    } else {
      remove(key);
    }
  }

  @Override
  public Page<String> listCameraAlerts(String cursor, int limit) throws StorageException {
    requireLimit(limit);
    Page<String> keys = listKeyPage(StorageKeys.CAMERA_ALERTS, cursor, limit);
    return new Page<>(
        keys.items().stream().map(k -> k.substring(StorageKeys.CAMERA_ALERTS.length())).toList(),
        keys.nextCursor());
  }

  // ------------------------------------------------------------------ operations

  @Override
  public StoreHealth health() {
    boolean reachable = reachable();
    long items = spool.items();
    return new StoreHealth(
        reachable, items, spool.bytes(), spool.maxBytes(), !reachable || items > 0);
  }

  private boolean reachable() {
    try {
      return client.bucketExists(BucketExistsArgs.builder().bucket(bucket).build());
    } catch (Exception e) {
      return false;
    }
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
    return new RetentionCleanup(this, policy, dryRun, progress).run(now, chunkSize);
  }

  @Override
  public boolean claimLease(String name, String slot, JsonNode holder) throws StorageException {
    try {
      put(json(leaseKey(name, slot), holder, true));
      return true;
    } catch (ConflictException e) {
      return false;
    }
  }

  @Override
  public Optional<JsonNode> lease(String name, String slot) throws StorageException {
    String key = leaseKey(name, slot);
    Optional<Blob> blob = readIfPresent(key);
    return blob.isEmpty()
        ? Optional.empty()
        : Optional.of(StoreJson.read(blob.get().bytes(), JsonNode.class, key));
  }

  @Override
  public void putLease(String name, String slot, JsonNode value) throws StorageException {
    put(json(leaseKey(name, slot), value, false));
  }

  private static String leaseKey(String name, String slot) {
    return StorageKeys.LEASES
        + StorageKeys.requireSegment("lease", name)
        + "/"
        + StorageKeys.requireSegment("slot", slot)
        + ".json";
  }

  /** When an object was last written, or empty if there is none. */
  Optional<Instant> lastModified(String key) throws StorageException {
    try {
      return Optional.of(
          client
              .statObject(StatObjectArgs.builder().bucket(bucket).object(key).build())
              .lastModified()
              .toInstant());
    } catch (Exception e) {
      StorageException t = translate("stat " + key, e);
      if (t instanceof ObjectNotFoundException) {
        return Optional.empty();
      }
      throw t;
    }
  }

  /** Holds or resumes spool delivery; for tests that need an entry to stay spooled. */
  void pauseFlusher(boolean paused) {
    flusher.pause(paused);
  }

  WriteAheadSpool spool() {
    return spool;
  }

  String bucket() {
    return bucket;
  }

  @Override
  public void close() throws StorageException {
    counters.close();
    reads.shutdownNow();
    flusher.close();
    try {
      spool.close();
    } finally {
      http.dispatcher().executorService().shutdown();
      http.connectionPool().evictAll();
    }
  }

  private void closeQuietly() {
    try {
      close();
    } catch (StorageException | RuntimeException ignored) {
      // Opening failed; that failure is the one to report.
    }
  }

  // ------------------------------------------------------------------ object primitives

  /** Writes to MinIO, or to the spool if MinIO is down or fails now. */
  private Durability writeDurably(List<SpoolObject> objects) throws StorageException {
    if (!flusher.storeDown()) {
      try {
        for (SpoolObject o : objects) {
          deliver(o);
        }
        return Durability.STORED;
      } catch (StoreUnavailableException e) {
        flusher.markDown();
      }
    }
    appendToSpool(objects);
    return Durability.SPOOLED;
  }

  private void appendToSpool(List<SpoolObject> objects) throws StorageException {
    spool.append(objects);
    if (!flusher.storeDown()) {
      flusher.signal();
    }
  }

  /** A put where "already exists" on a create-only object means "delivered before". */
  private void deliver(SpoolObject o) throws StorageException {
    try {
      put(o);
    } catch (ConflictException e) {
      if (!o.createOnly()) {
        throw e;
      }
    }
  }

  void put(SpoolObject o) throws StorageException {
    PutObjectArgs.Builder args =
        PutObjectArgs.builder().bucket(bucket).object(o.key()).stream(
                new ByteArrayInputStream(o.content()), o.content().length, -1)
            .contentType(o.contentType())
            .userMetadata(o.metadata());
    if (o.createOnly()) {
      args.headers(Map.of("If-None-Match", "*"));
    }
    try {
      client.putObject(args.build());
    } catch (Exception e) {
      throw translate("put " + o.key(), e);
    }
  }

  static SpoolObject object(
      String key,
      String contentType,
      Map<String, String> meta,
      byte[] content,
      boolean createOnly) {
    Map<String, String> withSum = new HashMap<>(meta);
    withSum.put(META_SHA256, StorageKeys.sha256Hex(content));
    return new SpoolObject(key, contentType, withSum, content, createOnly);
  }

  static SpoolObject json(String key, Object value, boolean createOnly) {
    return object(key, JSON, Map.of(), StoreJson.write(value), createOnly);
  }

  static SpoolObject marker(String key) {
    return object(key, JSON, Map.of(), new byte[0], false);
  }

  /** Bytes and metadata of an object, checksum verified. */
  record Blob(byte[] bytes, Map<String, String> metadata, Durability durability) {}

  Blob read(String key) throws StorageException {
    return readIfPresent(key).orElseThrow(() -> new ObjectNotFoundException("no object " + key));
  }

  /**
   * The whole body; with the length known (S3 always sends it), read into one array of that size
   * rather than through {@code readAllBytes}' chunk list and final copy (a frame is ~0.5 MB).
   */
  private static byte[] readBody(GetObjectResponse response) throws IOException {
    String length = response.headers().get("Content-Length");
    long n = -1;
    if (length != null) {
      try {
        n = Long.parseLong(length.trim());
      } catch (NumberFormatException e) {
        n = -1;
      }
    }
    if (n < 0 || n > Integer.MAX_VALUE - 8) {
      return response.readAllBytes();
    }
    byte[] bytes = new byte[(int) n];
    if (response.readNBytes(bytes, 0, bytes.length) != n || response.read() != -1) {
      throw new IOException(
          "body of " + response.object() + " is not the " + n + " bytes its Content-Length says");
    }
    return bytes;
  }

  Optional<Blob> readIfPresent(String key) throws StorageException {
    Optional<SpoolObject> spooled = spool.find(key);
    if (spooled.isPresent()) {
      SpoolObject o = spooled.get();
      return Optional.of(verified(key, o.content(), o.metadata(), Durability.SPOOLED));
    }
    try (GetObjectResponse response =
        client.getObject(GetObjectArgs.builder().bucket(bucket).object(key).build())) {
      byte[] bytes = readBody(response);
      Map<String, String> meta = new HashMap<>();
      for (String name : response.headers().names()) {
        String lower = name.toLowerCase(Locale.ROOT);
        if (lower.startsWith("x-amz-meta-")) {
          meta.put(lower.substring("x-amz-meta-".length()), response.headers().get(name));
        }
      }
      return Optional.of(verified(key, bytes, meta, Durability.STORED));
    } catch (Exception e) {
      StorageException t = translate("get " + key, e);
      if (t instanceof ObjectNotFoundException) {
        return Optional.empty();
      }
      throw t;
    }
  }

  private static Blob verified(
      String key, byte[] bytes, Map<String, String> meta, Durability durability)
      throws ChecksumMismatchException {
    String expected = meta.get(META_SHA256);
    String actual = StorageKeys.sha256Hex(bytes);
    if (expected == null || !expected.equals(actual)) {
      throw new ChecksumMismatchException(
          "object " + key + " has SHA-256 " + actual + " but its metadata says " + expected);
    }
    return new Blob(bytes, meta, durability);
  }

  boolean exists(String key) throws StorageException {
    try {
      client.statObject(StatObjectArgs.builder().bucket(bucket).object(key).build());
      return true;
    } catch (Exception e) {
      StorageException t = translate("stat " + key, e);
      if (t instanceof ObjectNotFoundException) {
        return false;
      }
      throw t;
    }
  }

  void remove(String key) throws StorageException {
    try {
      client.removeObject(RemoveObjectArgs.builder().bucket(bucket).object(key).build());
    } catch (Exception e) {
      throw translate("delete " + key, e);
    }
  }

  /** Deletes keys in batches of 1,000 (one request each). */
  void removeAll(Collection<String> keys) throws StorageException {
    List<DeleteObject> batch = new ArrayList<>();
    for (String key : keys) {
      batch.add(new DeleteObject(key));
      if (batch.size() == 1000) {
        removeBatch(batch);
        batch = new ArrayList<>();
      }
    }
    if (!batch.isEmpty()) {
      removeBatch(batch);
    }
  }

  private void removeBatch(List<DeleteObject> batch) throws StorageException {
    try {
      for (Result<DeleteError> error :
          client.removeObjects(RemoveObjectsArgs.builder().bucket(bucket).objects(batch).build())) {
        DeleteError e = error.get();
        throw new StoreUnavailableException(
            "delete of " + e.objectName() + " failed: " + e.code() + " " + e.message());
      }
    } catch (StorageException e) {
      throw e;
    } catch (Exception e) {
      throw translate("delete batch", e);
    }
  }

  /** Lazy listing in key order; the client fetches 1,000 keys per request as it is iterated. */
  Iterable<Result<Item>> list(String prefix, String startAfter) {
    ListObjectsArgs.Builder args =
        ListObjectsArgs.builder().bucket(bucket).prefix(prefix).recursive(true).maxKeys(LIST_PAGE);
    if (startAfter != null) {
      args.startAfter(startAfter);
    }
    return client.listObjects(args.build());
  }

  /** Up to {@code max} keys under {@code prefix}, in order. */
  List<String> listKeys(String prefix, int max) throws StorageException {
    List<String> keys = new ArrayList<>();
    try {
      ListObjectsArgs args =
          ListObjectsArgs.builder()
              .bucket(bucket)
              .prefix(prefix)
              .recursive(true)
              .maxKeys(Math.min(max, LIST_PAGE))
              .build();
      for (Result<Item> result : client.listObjects(args)) {
        keys.add(result.get().objectName());
        if (keys.size() == max) {
          break;
        }
      }
    } catch (Exception e) {
      throw translate("list " + prefix, e);
    }
    return keys;
  }

  /** What one folder level under {@code prefix} holds: its subfolders and keys, in order. */
  record Level(List<String> folders, List<String> keys) {}

  /**
   * One folder level under {@code prefix} (a listing with the {@code /} delimiter): on S3Proxy's
   * filesystem store it reads that folder only, not what the subfolders hold.
   */
  Level listLevel(String prefix) throws StorageException {
    List<String> folders = new ArrayList<>();
    List<String> keys = new ArrayList<>();
    try {
      ListObjectsArgs args =
          ListObjectsArgs.builder()
              .bucket(bucket)
              .prefix(prefix)
              .recursive(false)
              .maxKeys(LIST_PAGE)
              .build();
      for (Result<Item> result : client.listObjects(args)) {
        Item item = result.get();
        (item.isDir() ? folders : keys).add(item.objectName());
      }
    } catch (Exception e) {
      throw translate("list " + prefix, e);
    }
    return new Level(folders, keys);
  }

  Page<String> listKeyPage(String prefix, String cursor, int limit) throws StorageException {
    String after = Cursors.decode(cursor, prefix);
    List<String> keys = new ArrayList<>();
    try {
      for (Result<Item> result : list(prefix, after)) {
        String key = result.get().objectName();
        if (keys.size() == limit) {
          return new Page<>(keys, Cursors.encode(keys.get(keys.size() - 1)));
        }
        keys.add(key);
      }
    } catch (Exception e) {
      throw translate("list " + prefix, e);
    }
    return new Page<>(keys, null);
  }

  private static void requireLimit(int limit) {
    if (limit < 1 || limit > 1000) {
      throw new IllegalArgumentException("limit must be in 1..1000, got " + limit);
    }
  }

  private static Map<String, String> lower(Map<String, String> meta) {
    Map<String, String> out = new HashMap<>();
    meta.forEach((k, v) -> out.put(k.toLowerCase(Locale.ROOT), v));
    return out;
  }

  /** Maps a client failure to the exception a caller can act on. */
  static StorageException translate(String what, Exception e) {
    if (e instanceof StorageException s) {
      return s;
    }
    if (e instanceof ErrorResponseException r) {
      String code = r.errorResponse().code();
      int status = r.response() == null ? 0 : r.response().code();
      if ("NoSuchKey".equals(code) || "NoSuchObject".equals(code)) {
        return new ObjectNotFoundException(what + ": not found", e);
      }
      if ("PreconditionFailed".equals(code) || status == 412) {
        return new ConflictException(what + ": precondition failed", e);
      }
      // Missing bucket, refused credentials, throttling, 5xx: the store is not usable now;
      // writes go to the spool and are retried rather than lost.
      return new StoreUnavailableException(
          what + ": MinIO answered " + code + " (" + status + ")", e);
    }
    if (e instanceof IOException
        || e instanceof ServerException
        || e instanceof InsufficientDataException
        || e instanceof InvalidResponseException) {
      return new StoreUnavailableException(what + ": MinIO unavailable: " + e, e);
    }
    if (e instanceof InterruptedException) {
      Thread.currentThread().interrupt();
      return new StoreUnavailableException(what + ": interrupted", e);
    }
    return new StorageException(what + " failed: " + e, e);
  }

  /**
   * A queue marker's key, parsed; markers carry what the filters need, and the revision of the flag
   * they were written for (0 in markers written before names carried it).
   */
  record QueueKey(
      long flaggedAtMillis, String frameId, String cameraId, String label, long revision) {
    static QueueKey parse(String tail, FlagOrder order) {
      String[] p = tail.split("\\.");
      int base = order == FlagOrder.NEWEST_FIRST ? 0 : 1;
      long revision = 0;
      try {
        if (p.length == base + 6 && p[base + 5].startsWith("r")) {
          revision = Long.parseLong(p[base + 5].substring(1));
          if (revision < 1) {
            return null;
          }
        } else if (p.length != base + 5) {
          return null;
        }
        long millis = StorageKeys.MAX_MILLIS - Long.parseLong(p[base]);
        String frameId = p[base + 1] + "." + p[base + 2] + "." + p[base + 3];
        return new QueueKey(millis, frameId, p[base + 1], p[base + 4], revision);
      } catch (NumberFormatException e) {
        return null;
      }
    }

    boolean matches(FlagQuery q) {
      return (q.cameraId() == null || q.cameraId().equals(cameraId))
          && (q.label() == null || q.label().equals(label))
          && (q.since() == null || flaggedAtMillis >= q.since().toEpochMilli())
          && (q.until() == null || flaggedAtMillis <= q.until().toEpochMilli());
    }
  }
}
