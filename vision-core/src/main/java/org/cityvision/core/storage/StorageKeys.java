package org.cityvision.core.storage;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.regex.Pattern;
import org.cityvision.core.digest.Sha256;
import org.cityvision.core.frame.FrameId;
import org.cityvision.core.frame.FrameRecord;
import org.cityvision.core.naming.Names;
import org.cityvision.core.review.FlagOrder;
import org.cityvision.core.review.FlagRecord;
import org.cityvision.core.review.FlagStatus;
import org.cityvision.core.review.ReviewRecord;

/**
 * Every object key of the bucket, built in one place. The layout (see {@code docs/STORAGE.md}):
 *
 * <pre>
 * frames/{cameraId}/{yyyy}/{MM}/{dd}/{frameId}.jpg|.png   the frame as received
 * frames/{cameraId}/{yyyy}/{MM}/{dd}/{frameId}.thumb.jpg   its thumbnail
 * results/{frameId}/{model}/{version}.json                 one classification per model version
 * flags/log/{frameId}/{9999999999-revision}.json           flag revisions, newest listed first
 * flags/{status}/by-time/{t:4}/{t:2}/{t:2}/{t}.{frameId}.{label}.r{rev}        queue, newest first
 * flags/{status}/by-score/{s}/{t:4}/{t:2}/{t:1}/{s}.{t}.{frameId}.{label}.r{rev}  least confident first
 * flags/{status}/by-camera/{cameraId}/{t:4}/{t:2}/{t:1}/{t}.{frameId}.{label}.r{rev}  one camera's queue
 * flags/{status}/by-label/{label}/{t:4}/{t:2}/{t:2}/{t}.{frameId}.{label}.r{rev}     one label's queue
 *   (t = 9999999999999 - flaggedAtMillis, 13 digits; {t:n} its next n digits; s = the score in
 *   hundredths, 3 digits: see {@link QueueIndex})
 * flag-groups/queue/{status}/{groupId}/{9999999999999-flaggedAtMillis}.{frameId}.{label}.r{rev}  a near-duplicate group's members
 * flag-groups/tips/{model}/{cameraId}.json                  the camera's newest group, for the next flag
 * system/counts/flags/{9999999999-revision}.json           exact queue counts, newest revision listed first
 * system/review-leases/{frameId}/{9999999999-generation}.json  who reviews an open flag until when
 * reviews/{yyyy}/{MM}/{dd}/{yyyyMMddTHHmmssSSSZ}-{frameId}-{reviewer}.json   verdicts, append-only
 * system/keys/{name}.json, system/jobs/{jobId}.json, system/idempotency/{sha256(key)}.json
 * models/{name}/{version}/manifest.json                    a model package: its files and their SHA-256
 * models/{name}/{version}/{uploadId}/{file}                the package's files, as one upload wrote them
 * models/{name}/live/{9999999999-revision}.json            the live pointer's revisions, newest listed first
 * models/{name}/nodes/{nodeId}.json                        what each serving node serves
 * models/{name}/candidates/{id}.json                       a candidate job's state
 * models/{name}/labels/{label}.json                        a label an admin added to the model
 * models/{name}/shadows/{candidateId}.json                 a candidate's shadow run: rate, since, active or ended
 * models/{name}/shadows/{candidateId}/{nodeId}.json        one node's shadow comparisons of that candidate
 * cameras/health/{cameraId}/{9999999999-revision}.json    a camera's health record revisions, newest listed first
 * cameras/index/{cameraId}                                 empty marker per camera with a health record
 * cameras/alerts/{cameraId}                                empty marker per camera with an open health alert
 * </pre>
 *
 * <p>Names that become key segments (camera ids, labels, model names, ...) are restricted to {@code
 * [A-Za-z0-9_-]} (plus {@code .} and {@code @} where noted) so that a key never needs escaping and
 * the {@code .} separators of queue keys parse back unambiguously.
 *
 * <p>Stateless and thread-safe.
 */
public final class StorageKeys {
  public static final String FRAMES = "frames/";
  public static final String RESULTS = "results/";
  public static final String FLAGS = "flags/";
  public static final String FLAG_LOG = "flags/log/";
  public static final String REVIEWS = "reviews/";
  public static final String KEYS = "system/keys/";
  public static final String JOBS = "system/jobs/";
  public static final String IDEMPOTENCY = "system/idempotency/";
  public static final String LEASES = "system/leases/";
  public static final String FLAG_COUNTS = "system/counts/flags/";
  public static final String REVIEW_LEASES = "system/review-leases/";

  /** After {@code flags/{status}}: the per-camera queue index. */
  private static final String BY_CAMERA = "/by-camera/";

  /** After {@code flags/{status}}: the per-label queue index. */
  private static final String BY_LABEL = "/by-label/";

  /**
   * The folders of the flat queue index that stores written before the bucketed one hold until
   * {@link QueueIndexMigration} rewrites them: {@code flags/{status}/time/}, {@code score/}, {@code
   * camera/{cameraId}/}, {@code label/{label}/}, each key the queue entry's name.
   */
  public static final List<String> LEGACY_QUEUE_FOLDERS =
      List.of("time/", "score/", "camera/", "label/");

  public static final String FLAG_GROUPS = "flag-groups/";
  public static final String CAMERA_HEALTH = "cameras/health/";
  public static final String CAMERA_INDEX = "cameras/index/";
  public static final String CAMERA_ALERTS = "cameras/alerts/";
  private static final String THUMB_SUFFIX = ".thumb.jpg";
  public static final String MODELS = "models/";
  public static final String MANIFEST = "manifest.json";

  /** The folder of a model's live pointer; reserved, so never a version. */
  public static final String LIVE = "live";

  /** The folder of the nodes' reports; reserved, so never a version. */
  public static final String NODES = "nodes";

  /** The folder of a model's candidate jobs; reserved, so never a version. */
  public static final String CANDIDATES = "candidates";

  /** The folder of the labels added to a model; reserved, so never a version. */
  public static final String LABELS = "labels";

  /** The folder of a model's shadow runs; reserved, so never a version. */
  public static final String SHADOWS = "shadows";

  /** Inverting against these keeps keys fixed-width, so S3's ascending order is newest first. */
  public static final long MAX_MILLIS = 9_999_999_999_999L;

  private static final Pattern REVISION_NAME = Pattern.compile("[0-9]{10}\\.json");

  private static final DateTimeFormatter DAY_PATH =
      DateTimeFormatter.ofPattern("yyyy/MM/dd", Locale.ROOT).withZone(ZoneOffset.UTC);

  private StorageKeys() {}

  private static String quote(String value) {
    return value == null ? "null" : "'" + value + "'";
  }

  public static String frame(FrameId id, String contentType) {
    return framePrefix(id) + id.value() + FrameRecord.extension(contentType);
  }

  public static String thumbnail(FrameId id) {
    return framePrefix(id) + id.value() + THUMB_SUFFIX;
  }

  /** The prefix of one camera's frames captured on {@code at}'s UTC day. */
  public static String cameraDayPrefix(String cameraId, Instant at) {
    return FRAMES + cameraId + "/" + DAY_PATH.format(at) + "/";
  }

  private static String framePrefix(FrameId id) {
    return cameraDayPrefix(id.cameraId(), id.capturedAt());
  }

  public static String resultsPrefix(String frameId) {
    return RESULTS + frameId + "/";
  }

  public static String result(String frameId, String model, String version) {
    return resultsPrefix(frameId) + model + "/" + version + ".json";
  }

  public static String flagLogPrefix(String frameId) {
    return FLAG_LOG + frameId + "/";
  }

  public static String flagRevision(String frameId, long revision) {
    return flagLogPrefix(frameId) + invertedRevision(revision);
  }

  /** A revision's file name: newest first in a listing. */
  private static String invertedRevision(long revision) {
    return String.format(Locale.ROOT, "%010d", Names.MAX_REVISION - revision) + ".json";
  }

  public static String cameraHealthPrefix(String cameraId) {
    return CAMERA_HEALTH + cameraId + "/";
  }

  /** One revision of a camera's health record, newest first under the camera's prefix. */
  public static String cameraHealth(String cameraId, long revision) {
    return cameraHealthPrefix(cameraId) + invertedRevision(revision);
  }

  /** An empty marker per camera that has a health record: listing these lists the cameras. */
  public static String cameraIndex(String cameraId) {
    return CAMERA_INDEX + cameraId;
  }

  /**
   * An empty marker per camera with an open health alert: listing these lists the cameras to
   * review.
   */
  public static String cameraAlert(String cameraId) {
    return CAMERA_ALERTS + cameraId;
  }

  /**
   * Whether {@code key} names a revision of a chain ({@code .../{inverted revision}.json}); the
   * embedded S3 server lists a write in flight under a temporary name beside it.
   */
  public static boolean isRevision(String key) {
    return REVISION_NAME.matcher(key.substring(key.lastIndexOf('/') + 1)).matches();
  }

  public static long revisionOf(String flagLogKey) {
    String name = flagLogKey.substring(flagLogKey.lastIndexOf('/') + 1, flagLogKey.length() - 5);
    return Names.MAX_REVISION - Long.parseLong(name);
  }

  /** Every queue index of one status: {@code flags/{status}/}. */
  public static String statusPrefix(FlagStatus status) {
    return FLAGS + status.keyName() + "/";
  }

  /** The per-camera indexes of one status ({@link #cameraQueue}). */
  public static String cameraQueuesPrefix(FlagStatus status) {
    return FLAGS + status.keyName() + BY_CAMERA;
  }

  /** The per-label indexes of one status ({@link #labelQueue}). */
  public static String labelQueuesPrefix(FlagStatus status) {
    return FLAGS + status.keyName() + BY_LABEL;
  }

  /**
   * A name that sorts after the newest-first names of every flag raised after {@code until} and
   * before those of flags raised at or before it: where a walk that stops at {@code until} starts.
   */
  public static String newestFirstFrom(Instant until) {
    return String.format(Locale.ROOT, "%013d", MAX_MILLIS - until.toEpochMilli() - 1) + "~";
  }

  /** The newest-first or least-confident-first index of one status. */
  public static QueueIndex queueIndex(FlagStatus status, FlagOrder order) {
    return order == FlagOrder.NEWEST_FIRST
        ? QueueIndex.byTime(statusPrefix(status) + "by-time/")
        : QueueIndex.byScore(statusPrefix(status) + "by-score/");
  }

  /**
   * One camera's queue, newest first: a listing of it costs what that camera holds, not what the
   * whole queue holds.
   */
  public static QueueIndex cameraQueue(FlagStatus status, String cameraId) {
    return QueueIndex.byCameraTime(cameraQueuesPrefix(status) + cameraId + "/");
  }

  /** One label's queue, newest first. */
  public static QueueIndex labelQueue(FlagStatus status, String label) {
    return QueueIndex.byTime(labelQueuesPrefix(status) + label + "/");
  }

  public static String invertedMillis(Instant at) {
    return String.format(Locale.ROOT, "%013d", MAX_MILLIS - at.toEpochMilli());
  }

  /**
   * The name of a flag's newest-first entry: {@code {inverted
   * millis}.{frameId}.{label}.r{revision}}. The revision lets a page read the flag with one GET of
   * that revision instead of listing its log first; a marker whose revision is no longer the flag's
   * newest (a crash between a verdict and its queue update) is repaired when a verdict on it is
   * refused.
   */
  public static String timeEntryName(FlagRecord flag) {
    return unrevisionedEntryName(flag) + ".r" + flag.revision();
  }

  /**
   * The name a flag's entries had before they carried the revision: {@code {inverted
   * millis}.{frameId}.{label}}. Such markers are still read (the flag's log is listed for them) and
   * removed with the flag's own.
   */
  public static String unrevisionedEntryName(FlagRecord flag) {
    return invertedMillis(flag.flaggedAt()) + "." + flag.frameId() + "." + flag.label();
  }

  /**
   * The name of a flag's least-confident-first entry: {@code {score in hundredths:3}.{inverted
   * millis}.{frameId}.{label}}; the hundredths are those of the score rounded to millionths.
   */
  public static String scoreEntryName(FlagRecord flag) {
    return scorePrefix(flag) + timeEntryName(flag);
  }

  private static String scorePrefix(FlagRecord flag) {
    long hundredths = Math.round(flag.score() * 1_000_000) / 10_000;
    return String.format(Locale.ROOT, "%03d", hundredths) + ".";
  }

  public static String queueEntry(FlagStatus status, FlagOrder order, FlagRecord flag) {
    return order == FlagOrder.NEWEST_FIRST
        ? queueIndex(status, order).key(timeEntryName(flag))
        : queueIndex(status, order).key(scoreEntryName(flag));
  }

  /**
   * Every queue marker of a flag in {@code status}: both orders, its camera's and its label's
   * index.
   */
  public static List<String> queueEntries(FlagStatus status, FlagRecord flag) {
    return entries(status, flag, timeEntryName(flag));
  }

  /** The markers {@link #queueEntries} named without the revision, as stores written before did. */
  public static List<String> unrevisionedQueueEntries(FlagStatus status, FlagRecord flag) {
    return entries(status, flag, unrevisionedEntryName(flag));
  }

  private static List<String> entries(FlagStatus status, FlagRecord flag, String name) {
    List<String> entries =
        new ArrayList<>(
            List.of(
                queueIndex(status, FlagOrder.NEWEST_FIRST).key(name),
                queueIndex(status, FlagOrder.LEAST_CONFIDENT_FIRST).key(scorePrefix(flag) + name),
                cameraQueue(status, flag.cameraId()).key(name),
                labelQueue(status, flag.label()).key(name)));
    if (flag.group() != null) {
      entries.add(groupQueuePrefix(status, flag.group()) + name);
    }
    return List.copyOf(entries);
  }

  /**
   * One near-duplicate group's members in a status, newest first (markers like the camera's index):
   * {@code flag-groups/queue/{status}/{groupId}/}.
   */
  public static String groupQueuePrefix(FlagStatus status, String group) {
    return FLAG_GROUPS + "queue/" + status.keyName() + "/" + group + "/";
  }

  /**
   * The newest group of one camera's flags of one model: what a new flag of the camera is compared
   * with, {@code flag-groups/tips/{model}/{cameraId}.json}.
   */
  public static String groupTip(String model, String cameraId) {
    return FLAG_GROUPS + "tips/" + model + "/" + cameraId + ".json";
  }

  /** The flat queue markers a store written before the bucketed index holds for a flag. */
  public static List<String> legacyQueueEntries(FlagStatus status, FlagRecord flag) {
    String base = statusPrefix(status);
    String name = unrevisionedEntryName(flag);
    long micros = Math.round(flag.score() * 1_000_000);
    return List.of(
        base + "time/" + name,
        base + "score/" + String.format(Locale.ROOT, "%07d", micros) + "." + name,
        base + "camera/" + flag.cameraId() + "/" + name,
        base + "label/" + flag.label() + "/" + name);
  }

  public static String flagCounts(long revision) {
    return FLAG_COUNTS + invertedRevision(revision);
  }

  public static String reviewLeasePrefix(String frameId) {
    return REVIEW_LEASES + frameId + "/";
  }

  public static String reviewLease(String frameId, long generation) {
    return reviewLeasePrefix(frameId) + invertedRevision(generation);
  }

  public static String review(ReviewRecord review) {
    return REVIEWS
        + DAY_PATH.format(review.reviewedAt())
        + "/"
        + FrameId.STAMP.format(review.reviewedAt())
        + "-"
        + review.frameId()
        + "-"
        + review.reviewer()
        + ".json";
  }

  public static String apiKey(String name) {
    return KEYS + name + ".json";
  }

  public static String job(String jobId) {
    return JOBS + jobId + ".json";
  }

  public static String idempotency(String idempotencyKey) {
    return IDEMPOTENCY + sha256Hex(idempotencyKey.getBytes(StandardCharsets.UTF_8)) + ".json";
  }

  /** Requires a model version: a dotted segment other than the reserved {@code live}. */
  public static String requireModelVersion(String value) {
    Names.requireDottedSegment("version", value);
    if (value.equals(LIVE)
        || value.equals(NODES)
        || value.equals(CANDIDATES)
        || value.equals(SHADOWS)) {
      throw new IllegalArgumentException(
          "version must not be '" + value + "' (reserved in the model registry)");
    }
    return value;
  }

  /**
   * Requires a file path inside a model package: 1-8 segments of {@code [A-Za-z0-9_.@-]} separated
   * by {@code /}, none of them {@code .} or {@code ..}.
   */
  public static String requirePackageFile(String value) {
    String[] parts = value == null ? new String[0] : value.split("/", -1);
    if (parts.length < 1 || parts.length > 8) {
      throw new IllegalArgumentException(
          "a package file path must have 1-8 segments, got " + quote(value));
    }
    for (String part : parts) {
      Names.requireDottedSegment("package file path segment", part);
    }
    return value;
  }

  public static String modelsPrefix() {
    return MODELS;
  }

  public static String modelPrefix(String name) {
    return MODELS + name + "/";
  }

  public static String modelManifest(String name, String version) {
    return modelPrefix(name) + version + "/" + MANIFEST;
  }

  /**
   * The key of one file of a model package upload (tests and tools that inspect the store use it).
   */
  public static String modelFile(String name, String version, String uploadId, String path) {
    return modelPrefix(name) + version + "/" + uploadId + "/" + path;
  }

  /**
   * The version of a {@link #modelManifest} key under {@code modelPrefix(name)}, or {@code null}.
   */
  public static String versionOfManifest(String name, String key) {
    String prefix = modelPrefix(name);
    if (!key.startsWith(prefix) || !key.endsWith("/" + MANIFEST)) {
      return null;
    }
    String middle = key.substring(prefix.length(), key.length() - MANIFEST.length() - 1);
    return middle.isEmpty()
            || middle.contains("/")
            || middle.equals(LIVE)
            || middle.equals(NODES)
            || middle.equals(CANDIDATES)
            || middle.equals(LABELS)
            || middle.equals(SHADOWS)
        ? null
        : middle;
  }

  /** The model name of a key under {@code models/}, or {@code null}. */
  public static String modelOf(String key) {
    if (!key.startsWith(MODELS)) {
      return null;
    }
    int slash = key.indexOf('/', MODELS.length());
    return slash < 0 ? null : key.substring(MODELS.length(), slash);
  }

  public static String candidatesPrefix(String name) {
    return modelPrefix(name) + CANDIDATES + "/";
  }

  public static String candidate(String name, String id) {
    return candidatesPrefix(name) + Names.requireSegment("candidate id", id) + ".json";
  }

  public static String labelsPrefix(String name) {
    return modelPrefix(name) + LABELS + "/";
  }

  public static String label(String name, String label) {
    return labelsPrefix(name) + Names.requireSegment("label", label) + ".json";
  }

  /** The label of a {@link #label} key, or {@code null}. */
  public static String labelOf(String name, String key) {
    String prefix = labelsPrefix(name);
    if (!key.startsWith(prefix) || !key.endsWith(".json")) {
      return null;
    }
    return key.substring(prefix.length(), key.length() - ".json".length());
  }

  public static String shadowsPrefix(String name) {
    return modelPrefix(name) + SHADOWS + "/";
  }

  public static String shadow(String name, String candidateId) {
    return shadowsPrefix(name) + Names.requireSegment("candidate id", candidateId) + ".json";
  }

  /** The folder of the nodes' comparisons of one shadow run ({@link #shadowNode}). */
  public static String shadowNodesPrefix(String name, String candidateId) {
    return shadowsPrefix(name) + Names.requireSegment("candidate id", candidateId) + "/";
  }

  public static String shadowNode(String name, String candidateId, String node) {
    return shadowNodesPrefix(name, candidateId) + Names.requireSegment("node id", node) + ".json";
  }

  /**
   * Whether a key under {@link #shadowsPrefix} is a shadow run ({@link #shadow}) rather than a
   * node's comparison in the folder beside it.
   */
  public static boolean isShadowRun(String name, String key) {
    String prefix = shadowsPrefix(name);
    return key.startsWith(prefix) && key.indexOf('/', prefix.length()) < 0;
  }

  public static String nodesPrefix(String name) {
    return modelPrefix(name) + NODES + "/";
  }

  public static String nodeReport(String name, String node) {
    return nodesPrefix(name) + node + ".json";
  }

  public static String livePrefix(String name) {
    return modelPrefix(name) + LIVE + "/";
  }

  public static String liveRevision(String name, long revision) {
    if (revision < 1 || revision > Names.MAX_REVISION) {
      throw new IllegalArgumentException(
          "live pointer revision must be in 1.." + Names.MAX_REVISION + ", got " + revision);
    }
    return livePrefix(name) + invertedRevision(revision);
  }

  /** The part of a key after its last {@code /}: a marker's or object's name. */
  public static String nameOf(String key) {
    return key.substring(key.lastIndexOf('/') + 1);
  }

  /** Whether {@code key} is a frame's thumbnail ({@link #thumbnail}). */
  public static boolean isThumbnail(String key) {
    return key.endsWith(THUMB_SUFFIX);
  }

  /**
   * The frame a {@link #frame} key names ({@code .../{frameId}.jpg|.png}), or empty if the key is
   * not one.
   */
  public static Optional<FrameId> frameOf(String frameKey) {
    String name = nameOf(frameKey);
    int dot = name.lastIndexOf('.');
    return dot < 0 ? Optional.empty() : parseFrameId(name.substring(0, dot));
  }

  /** The frame a {@link #thumbnail} key belongs to, or empty if the key is not a thumbnail's. */
  public static Optional<FrameId> frameOfThumbnail(String thumbnailKey) {
    if (!isThumbnail(thumbnailKey)) {
      return Optional.empty();
    }
    String name = nameOf(thumbnailKey);
    return parseFrameId(name.substring(0, name.length() - THUMB_SUFFIX.length()));
  }

  private static Optional<FrameId> parseFrameId(String value) {
    try {
      return Optional.of(FrameId.parse(value));
    } catch (IllegalArgumentException e) {
      return Optional.empty();
    }
  }

  /**
   * The name, under {@link #cameraDayPrefix}, that a camera's frames captured at {@code at} or
   * later sort after: a listing that starts after it skips the day's earlier frames.
   */
  public static String framesFrom(String cameraId, Instant at) {
    return cameraDayPrefix(cameraId, at) + cameraId + "." + FrameId.STAMP.format(at);
  }

  /**
   * Requires a key prefix under {@code frames/} that a batch job may walk: at most 512 characters,
   * without {@code ..} or {@code //}.
   */
  public static String requireFramesPrefix(String prefix) {
    if (prefix == null || !prefix.startsWith(FRAMES)) {
      throw new IllegalArgumentException("prefix must start with frames/, got " + quote(prefix));
    }
    if (prefix.length() > 512 || prefix.contains("..") || prefix.contains("//")) {
      throw new IllegalArgumentException(
          "prefix must be at most 512 characters without '..' or '//', got " + quote(prefix));
    }
    return prefix;
  }

  /** The camera id of a {@link #cameraIndex} key. */
  public static String cameraOfIndex(String key) {
    return key.substring(CAMERA_INDEX.length());
  }

  /** The camera id of a {@link #cameraAlert} key. */
  public static String cameraOfAlert(String key) {
    return key.substring(CAMERA_ALERTS.length());
  }

  /**
   * Who runs the scheduled task {@code name} in {@code slot}: {@code
   * system/leases/{name}/{slot}.json}.
   */
  public static String lease(String name, String slot) {
    return LEASES
        + Names.requireSegment("lease", name)
        + "/"
        + Names.requireSegment("slot", slot)
        + ".json";
  }

  /**
   * The queue marker named {@code name} in an index of {@code order} ({@link #timeEntryName},
   * {@link #scoreEntryName}, or either without its revision), or {@code null} if it is not one.
   */
  public static QueueKey queueKey(String name, FlagOrder order) {
    String[] p = name.split("\\.");
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
      long millis = MAX_MILLIS - Long.parseLong(p[base]);
      String frameId = p[base + 1] + "." + p[base + 2] + "." + p[base + 3];
      return new QueueKey(millis, frameId, p[base + 1], p[base + 4], revision);
    } catch (NumberFormatException e) {
      return null;
    }
  }

  /** The queue marker of the key {@code key} ({@link #queueKey} of its name), or {@code null}. */
  public static QueueKey queueKeyOf(String key, FlagOrder order) {
    return queueKey(nameOf(key), order);
  }

  /**
   * The bucketed key ({@link QueueIndex}) of the flat marker {@code key} under {@code prefix}, one
   * of the {@link #LEGACY_QUEUE_FOLDERS} of {@code status}, or {@code null} if it is not a queue
   * marker. Follows from the old key alone: its name carries time, frame id, label and, in the
   * score index, the score.
   */
  public static String bucketedQueueKey(FlagStatus status, String prefix, String key) {
    String rest = key.substring(prefix.length());
    String folder = prefix.substring(prefix.lastIndexOf('/', prefix.length() - 2) + 1);
    switch (folder) {
      case "time/":
        return isQueueName(rest, FlagOrder.NEWEST_FIRST)
            ? queueIndex(status, FlagOrder.NEWEST_FIRST).key(rest)
            : null;
      case "score/":
        {
          int dot = rest.indexOf('.');
          if (dot != 7 || !isQueueName(rest, FlagOrder.LEAST_CONFIDENT_FIRST)) {
            return null;
          }
          long micros;
          try {
            micros = Long.parseLong(rest.substring(0, dot));
          } catch (NumberFormatException e) {
            return null;
          }
          String name = String.format(Locale.ROOT, "%03d", micros / 10_000) + rest.substring(dot);
          return queueIndex(status, FlagOrder.LEAST_CONFIDENT_FIRST).key(name);
        }
      case "camera/":
      case "label/":
        {
          int slash = rest.indexOf('/');
          if (slash < 1 || rest.indexOf('/', slash + 1) >= 0) {
            return null;
          }
          String owner = rest.substring(0, slash);
          String name = rest.substring(slash + 1);
          if (!isQueueName(name, FlagOrder.NEWEST_FIRST)) {
            return null;
          }
          QueueIndex index =
              folder.equals("camera/") ? cameraQueue(status, owner) : labelQueue(status, owner);
          return index.key(name);
        }
      default:
        return null;
    }
  }

  private static boolean isQueueName(String name, FlagOrder order) {
    return !name.contains("/") && queueKey(name, order) != null;
  }

  /** Lower-case hex SHA-256, the checksum written to every object's metadata. */
  public static String sha256Hex(byte[] bytes) {
    return Sha256.hex(bytes);
  }
}
