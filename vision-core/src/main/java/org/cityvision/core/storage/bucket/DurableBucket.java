package org.cityvision.core.storage.bucket;

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
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import okhttp3.Dispatcher;
import okhttp3.OkHttpClient;
import org.cityvision.core.frame.Durability;
import org.cityvision.core.storage.ChecksumMismatchException;
import org.cityvision.core.storage.ConflictException;
import org.cityvision.core.storage.ObjectNotFoundException;
import org.cityvision.core.storage.Page;
import org.cityvision.core.storage.StorageConfig;
import org.cityvision.core.storage.StorageException;
import org.cityvision.core.storage.StorageKeys;
import org.cityvision.core.storage.StoreJson;
import org.cityvision.core.storage.StoreUnavailableException;
import org.cityvision.core.storage.spool.SpoolObject;
import org.cityvision.core.storage.spool.WriteAheadSpool;

/**
 * The one bucket every record kind lives in, as raw objects: put (and create-if-absent), read with
 * checksum verification, stat, list (pages, delimiter levels, lazy walks), remove, presign; the
 * write-ahead spool that takes writes while MinIO is down and the thread that delivers them. The
 * only class that talks to the MinIO client; every client failure leaves it as one of the typed
 * {@link StorageException}s ({@link #translate}).
 *
 * <p>Every object is written with its SHA-256 in {@code x-amz-meta-sha256}, and every read verifies
 * it. The only concurrency primitive is {@code PUT} with {@code If-None-Match: *} ({@link
 * SpoolObject#createOnly()}), which MinIO and S3Proxy's filesystem backend evaluate atomically; a
 * lost race is a {@link ConflictException}.
 *
 * <p>Opened by the store that owns it ({@link #open}), which starts its delivery thread ({@link
 * #startDelivery}) and closes it. Thread-safe.
 */
public final class DurableBucket implements AutoCloseable {
  /** Room a revision listing leaves for writes in flight listed under temporary names. */
  private static final int IN_FLIGHT_NAMES = 8;

  /** The object metadata that holds the SHA-256 of the object's bytes. */
  public static final String META_SHA256 = "sha256";

  public static final String JSON = "application/json";
  private static final int LIST_PAGE = 1000;

  private final String bucket;
  private final String region;
  private final MinioClient client;
  private final OkHttpClient http;
  private final WriteAheadSpool spool;
  private final SpoolFlusher flusher;

  private DurableBucket(
      StorageConfig config, MinioClient client, OkHttpClient http, WriteAheadSpool spool) {
    this.bucket = config.bucket();
    this.region = config.region();
    this.client = client;
    this.http = http;
    this.spool = spool;
    this.flusher =
        new SpoolFlusher(
            spool,
            new SpoolFlusher.Target() {
              @Override
              public void deliver(SpoolObject object) throws StorageException {
                DurableBucket.this.deliver(object);
              }

              @Override
              public boolean reachable() {
                return DurableBucket.this.reachable();
              }
            },
            config.retryBackoffMax());
  }

  /**
   * A client of {@code endpoint} with the configured timeouts and the spool under {@code
   * config.dataDir()}, opened (what a previous process left in it is delivered once {@link
   * #startDelivery} runs). Makes no request: {@link #ensureBucket} is the first.
   *
   * <p>The caller closes the returned bucket.
   */
  public static DurableBucket open(
      StorageConfig config, String endpoint, String accessKey, String secretKey)
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
    return new DurableBucket(config, client, http, spool);
  }

  /** Creates the bucket if it is missing. */
  public void ensureBucket() throws StorageException {
    try {
      if (!client.bucketExists(BucketExistsArgs.builder().bucket(bucket).build())) {
        client.makeBucket(MakeBucketArgs.builder().bucket(bucket).region(region).build());
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

  /** Starts delivering the spool in the background. */
  public void startDelivery() {
    flusher.start();
  }

  /** Whether the bucket answers now (one request). */
  public boolean reachable() {
    try {
      return client.bucketExists(BucketExistsArgs.builder().bucket(bucket).build());
    } catch (Exception e) {
      return false;
    }
  }

  /** Whether MinIO is known to be down, so that writes go straight to the spool. */
  public boolean down() {
    return flusher.storeDown();
  }

  /** Records that MinIO is down: writes go to the spool until the flusher reaches it again. */
  public void markDown() {
    flusher.markDown();
  }

  /** Holds or resumes spool delivery; for tests that need an entry to stay spooled. */
  public void pauseDelivery(boolean paused) {
    flusher.pause(paused);
  }

  /** The local spool: what this node accepted and has not delivered yet. */
  public WriteAheadSpool spool() {
    return spool;
  }

  // ------------------------------------------------------------------ writes

  /**
   * Writes {@code objects} in order to MinIO, or, if MinIO is down or fails now, all of them to the
   * spool; returns only when they are durable in one or the other.
   */
  public Durability writeDurably(List<SpoolObject> objects) throws StorageException {
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

  /** Appends {@code objects} to the spool as one entry, delivered in order. */
  public void appendToSpool(List<SpoolObject> objects) throws StorageException {
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

  /**
   * Writes one object to MinIO (never to the spool).
   *
   * @throws ConflictException if the object is create-only and exists
   */
  public void put(SpoolObject o) throws StorageException {
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

  /** An object to write, with the SHA-256 of {@code content} added to {@code meta}. */
  public static SpoolObject object(
      String key,
      String contentType,
      Map<String, String> meta,
      byte[] content,
      boolean createOnly) {
    Map<String, String> withSum = new HashMap<>(meta);
    withSum.put(META_SHA256, StorageKeys.sha256Hex(content));
    return new SpoolObject(key, contentType, withSum, content, createOnly);
  }

  /** A record written as JSON ({@link StoreJson}). */
  public static SpoolObject json(String key, Object value, boolean createOnly) {
    return object(key, JSON, Map.of(), StoreJson.write(value), createOnly);
  }

  /** An empty object whose key is all it says (a queue or index marker); overwritten freely. */
  public static SpoolObject marker(String key) {
    return object(key, JSON, Map.of(), new byte[0], false);
  }

  // ------------------------------------------------------------------ reads

  /** Bytes and metadata of an object, checksum verified, and where they were read from. */
  public record Blob(byte[] bytes, Map<String, String> metadata, Durability durability) {}

  /** What a HEAD says of an object; metadata names in lower case. */
  public record Stat(long size, Instant lastModified, Map<String, String> metadata) {}

  /**
   * The object, from this node's spool if a write of it waits there, else from MinIO.
   *
   * @throws ObjectNotFoundException if it is in neither
   */
  public Blob read(String key) throws StorageException {
    return readIfPresent(key).orElseThrow(() -> new ObjectNotFoundException("no object " + key));
  }

  /** The object, from this node's spool if a write of it waits there, else from MinIO, or empty. */
  public Optional<Blob> readIfPresent(String key) throws StorageException {
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

  /**
   * A JSON record ({@link StoreJson}), from the spool or MinIO as {@link #readIfPresent}, or empty.
   */
  public <T> Optional<T> readJson(String key, Class<T> type) throws StorageException {
    Optional<Blob> blob = readIfPresent(key);
    return blob.isEmpty()
        ? Optional.empty()
        : Optional.of(StoreJson.read(blob.get().bytes(), type, key));
  }

  /** The JSON records of {@code keys} in order, skipping those that no longer exist. */
  public <T> List<T> readJsonAll(Collection<String> keys, Class<T> type) throws StorageException {
    List<T> out = new ArrayList<>(keys.size());
    for (String key : keys) {
      readJson(key, type).ifPresent(out::add);
    }
    return out;
  }

  /**
   * The newest readable record of a revision chain under {@code prefix} (keys listed newest first):
   * one listing of the newest few keys, then one GET, more only while a write is in flight (a
   * revision can be listed before it can be read: another writer's conditional PUT still landing,
   * or losing).
   */
  public <T> Optional<T> newest(String prefix, Class<T> type) throws StorageException {
    for (String key : listRevisions(prefix, 3)) {
      Optional<T> record = readJson(key, type);
      if (record.isPresent()) {
        return record;
      }
    }
    return Optional.empty();
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

  /** What MinIO holds of the object (the spool is not asked), or empty. */
  public Optional<Stat> stat(String key) throws StorageException {
    try {
      StatObjectResponse stat =
          client.statObject(StatObjectArgs.builder().bucket(bucket).object(key).build());
      Map<String, String> meta = new HashMap<>();
      stat.userMetadata().forEach((k, v) -> meta.put(k.toLowerCase(Locale.ROOT), v));
      return Optional.of(
          new Stat(
              stat.size(),
              stat.lastModified() == null ? null : stat.lastModified().toInstant(),
              meta));
    } catch (Exception e) {
      StorageException t = translate("stat " + key, e);
      if (t instanceof ObjectNotFoundException) {
        return Optional.empty();
      }
      throw t;
    }
  }

  /** Whether MinIO holds the object (the spool is not asked). */
  public boolean exists(String key) throws StorageException {
    return stat(key).isPresent();
  }

  /**
   * A URL that reads the object without credentials until {@code expiry} has passed.
   *
   * @throws IllegalArgumentException unless {@code expiry} is 1 s .. 7 days
   */
  public URI presignedGet(String key, Duration expiry) throws StorageException {
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

  // ------------------------------------------------------------------ removes

  /** Deletes the object from MinIO; deleting a missing object is no error. */
  public void remove(String key) throws StorageException {
    try {
      client.removeObject(RemoveObjectArgs.builder().bucket(bucket).object(key).build());
    } catch (Exception e) {
      throw translate("delete " + key, e);
    }
  }

  /** Deletes keys in batches of 1,000 (one request each). */
  public void removeAll(Collection<String> keys) throws StorageException {
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

  // ------------------------------------------------------------------ listings

  /**
   * One object of a listing.
   *
   * @param lastModified when it was last written, or {@code null} if the listing did not say
   */
  public record Entry(String key, long size, Instant lastModified) {}

  /** What a {@link #walk} does with each object; {@code false} stops the walk. */
  @FunctionalInterface
  public interface Visitor {
    boolean visit(Entry entry) throws StorageException;
  }

  /**
   * Visits the objects under {@code prefix} after {@code startAfter} (or from the start) in key
   * order, until the visitor says stop; listed lazily, 1,000 keys per request, so stopping early
   * saves the requests after it.
   */
  public void walk(String prefix, String startAfter, Visitor visitor) throws StorageException {
    for (Result<Item> result : listing(prefix, startAfter, true, LIST_PAGE)) {
      Item item;
      try {
        item = result.get();
      } catch (Exception e) {
        throw translate("list " + prefix, e);
      }
      Instant modified = item.lastModified() == null ? null : item.lastModified().toInstant();
      if (!visitor.visit(new Entry(item.objectName(), item.size(), modified))) {
        return;
      }
    }
  }

  /**
   * The lazy listing of the client: {@code maxKeys} per request, fetched as it is iterated; each
   * failure comes as the {@link Result} that holds it.
   */
  private Iterable<Result<Item>> listing(
      String prefix, String startAfter, boolean recursive, int maxKeys) {
    ListObjectsArgs.Builder args =
        ListObjectsArgs.builder()
            .bucket(bucket)
            .prefix(prefix)
            .recursive(recursive)
            .maxKeys(maxKeys);
    if (startAfter != null) {
      args.startAfter(startAfter);
    }
    return client.listObjects(args.build());
  }

  /** Up to {@code max} keys under {@code prefix}, in order. */
  /**
   * The newest {@code max} revisions of a chain under {@code prefix} ({@link
   * StorageKeys#isRevision}), newest first; other names (a write in flight that the embedded S3
   * server lists under a temporary name) are skipped.
   */
  public List<String> listRevisions(String prefix, int max) throws StorageException {
    List<String> keys = new ArrayList<>(max);
    for (String key : listKeys(prefix, max + IN_FLIGHT_NAMES)) {
      if (StorageKeys.isRevision(key)) {
        keys.add(key);
        if (keys.size() == max) {
          break;
        }
      }
    }
    return keys;
  }

  public List<String> listKeys(String prefix, int max) throws StorageException {
    List<String> keys = new ArrayList<>();
    try {
      for (Result<Item> result : listing(prefix, null, true, Math.min(max, LIST_PAGE))) {
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
  public record Level(List<String> folders, List<String> keys) {}

  /**
   * One folder level under {@code prefix} (a listing with the {@code /} delimiter): on S3Proxy's
   * filesystem store it reads that folder only, not what the subfolders hold.
   */
  public Level listLevel(String prefix) throws StorageException {
    List<String> folders = new ArrayList<>();
    List<String> keys = new ArrayList<>();
    try {
      for (Result<Item> result : listing(prefix, null, false, LIST_PAGE)) {
        Item item = result.get();
        (item.isDir() ? folders : keys).add(item.objectName());
      }
    } catch (Exception e) {
      throw translate("list " + prefix, e);
    }
    return new Level(folders, keys);
  }

  /**
   * A page of at most {@code limit} keys under {@code prefix}, after the key {@code cursor} stands
   * for ({@link Cursors}).
   *
   * @throws IllegalArgumentException if the cursor belongs to another listing
   */
  public Page<String> listKeyPage(String prefix, String cursor, int limit) throws StorageException {
    List<String> keys = new ArrayList<>();
    boolean[] more = {false};
    walk(
        prefix,
        Cursors.decode(cursor, prefix),
        entry -> {
          if (keys.size() == limit) {
            more[0] = true;
            return false;
          }
          keys.add(entry.key());
          return true;
        });
    return new Page<>(keys, more[0] ? Cursors.encode(keys.get(keys.size() - 1)) : null);
  }

  /**
   * Requires a page size of 1..1000.
   *
   * @throws IllegalArgumentException otherwise
   */
  public static void requirePageLimit(int limit) {
    if (limit < 1 || limit > 1000) {
      throw new IllegalArgumentException("limit must be in 1..1000, got " + limit);
    }
  }

  /** Maps a client failure to the exception a caller can act on. */
  public static StorageException translate(String what, Exception e) {
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
   * Stops delivery after the entry in progress (what is left stays in the spool for the next open),
   * closes the spool and releases the client's threads and connections.
   */
  @Override
  public void close() throws StorageException {
    flusher.close();
    try {
      spool.close();
    } finally {
      http.dispatcher().executorService().shutdown();
      http.connectionPool().evictAll();
    }
  }
}
