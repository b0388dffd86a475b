package org.cityvision.core.batch;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import org.cityvision.core.job.JobState;
import org.cityvision.core.job.JobStatus;
import org.cityvision.core.storage.FrameStore;
import org.cityvision.core.storage.Page;
import org.cityvision.core.storage.StorageException;

/**
 * Reads and writes batch jobs' state in the store ({@code system/jobs/{jobId}.json}), so that any
 * node can report or cancel a job that another node runs.
 *
 * <p>{@link JobState} holds the status, the four counters and the cursor; what it has no field for
 * (model and version, flagging, total, rate, ETA, failures with reasons, the checkpoint a resumed
 * job starts from) travels as a small JSON object in its {@code message}. Everything about that
 * encoding is in this class, so that moving it to a proper field of {@code JobState} changes
 * nothing else. A job state this class did not write (plain text message) still reads back, with
 * the details unknown.
 *
 * <p>Cancelling writes {@link JobStatus#CANCELLED} over the job's state; the node running the job
 * reads it at its next checkpoint, stops, and writes its final counts, still cancelled. The store
 * has no conditional write for job states, so a cancel that lands between that node's read and its
 * write of one checkpoint is overwritten; the node's own {@link BatchJob#cancel()} has no such gap.
 *
 * <p>Stateless and thread-safe; the caller owns (and closes) the store.
 */
public final class JobLedger {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final int FORMAT = 1;

  private final FrameStore store;

  public JobLedger(FrameStore store) {
    this.store = Objects.requireNonNull(store, "store");
  }

  public void save(BatchProgress progress) throws StorageException {
    store.putJob(toJobState(progress));
  }

  public Optional<BatchProgress> load(String jobId) throws StorageException {
    return store.job(jobId).map(JobLedger::fromJobState);
  }

  /** A page of jobs, in job id order (ids begin with their creation time). */
  public Page<BatchProgress> list(String cursor, int limit) throws StorageException {
    Page<JobState> page = store.listJobs(cursor, limit);
    List<BatchProgress> out = new ArrayList<>(page.items().size());
    for (JobState s : page.items()) {
      out.add(fromJobState(s));
    }
    return new Page<>(out, page.nextCursor());
  }

  /**
   * Asks the node running a job to stop.
   *
   * @return the job's state after the request (unchanged when it had already finished), or empty
   *     when there is no such job
   */
  public Optional<BatchProgress> requestCancel(String jobId, Instant at) throws StorageException {
    Optional<BatchProgress> current = load(jobId);
    if (current.isEmpty() || current.get().finished()) {
      return current;
    }
    BatchProgress cancelled = current.get().withStatus(JobStatus.CANCELLED, at);
    save(cancelled);
    return Optional.of(cancelled);
  }

  static JobState toJobState(BatchProgress p) {
    ObjectNode details = JSON.createObjectNode();
    details.put("format", FORMAT);
    details.put("flag", p.request().flag());
    putNullable(details, "model", p.model());
    putNullable(details, "version", p.version());
    details.put("total", p.total());
    details.put("rate", p.rate());
    details.put("etaSeconds", p.etaSeconds());
    details.set("failedBy", failedBy(p.counts()));
    ArrayNode failures = details.putArray("failures");
    for (FrameFailure f : p.failures()) {
      failures
          .addObject()
          .put("frameId", f.frameId())
          .put("kind", f.kind().name())
          .put("reason", f.reason());
    }
    details.set("checkpoint", counts(p.checkpoint()));
    details.put("listingComplete", p.listingComplete());
    putNullable(details, "error", p.message());
    BatchCounts c = p.counts();
    return new JobState(
        p.jobId(),
        p.request().task(),
        p.request().prefix(),
        p.status(),
        c.listed(),
        c.classified(),
        c.skipped(),
        c.failed(),
        p.cursor(),
        details.toString(),
        p.createdAt(),
        p.updatedAt());
  }

  static BatchProgress fromJobState(JobState s) {
    JsonNode details = parseDetails(s.message());
    if (details == null) {
      BatchCounts counts =
          new BatchCounts(
              s.listed(),
              s.classified(),
              s.skipped(),
              s.failed(),
              s.failed() == 0 ? Map.of() : Map.of(FailureKind.INFERENCE_ERROR, s.failed()));
      return new BatchProgress(
          s.jobId(),
          new BatchRequest(s.task(), s.prefix(), false),
          null,
          null,
          s.status(),
          -1,
          counts,
          List.of(),
          0,
          -1,
          s.cursor(),
          BatchCounts.ZERO,
          false,
          s.message(),
          s.createdAt(),
          s.updatedAt());
    }
    BatchCounts counts =
        new BatchCounts(
            s.listed(),
            s.classified(),
            s.skipped(),
            s.failed(),
            failedBy(details.path("failedBy")));
    List<FrameFailure> failures = new ArrayList<>();
    for (JsonNode f : details.path("failures")) {
      failures.add(
          new FrameFailure(
              f.path("frameId").asText(),
              FailureKind.valueOf(f.path("kind").asText()),
              f.path("reason").asText()));
    }
    return new BatchProgress(
        s.jobId(),
        new BatchRequest(s.task(), s.prefix(), details.path("flag").asBoolean(false)),
        textOrNull(details, "model"),
        textOrNull(details, "version"),
        s.status(),
        details.path("total").asLong(-1),
        counts,
        failures,
        details.path("rate").asDouble(0),
        details.path("etaSeconds").asLong(-1),
        s.cursor(),
        counts(details.path("checkpoint")),
        details.path("listingComplete").asBoolean(false),
        textOrNull(details, "error"),
        s.createdAt(),
        s.updatedAt());
  }

  private static JsonNode parseDetails(String message) {
    if (message == null || !message.startsWith("{")) {
      return null;
    }
    try {
      JsonNode node = JSON.readTree(message);
      return node.path("format").asInt() == FORMAT ? node : null;
    } catch (JsonProcessingException e) {
      return null;
    }
  }

  private static ObjectNode counts(BatchCounts c) {
    ObjectNode node = JSON.createObjectNode();
    node.put("listed", c.listed())
        .put("classified", c.classified())
        .put("skipped", c.skipped())
        .put("failed", c.failed());
    node.set("failedBy", failedBy(c));
    return node;
  }

  private static BatchCounts counts(JsonNode node) {
    if (!node.isObject()) {
      return BatchCounts.ZERO;
    }
    return new BatchCounts(
        node.path("listed").asLong(),
        node.path("classified").asLong(),
        node.path("skipped").asLong(),
        node.path("failed").asLong(),
        failedBy(node.path("failedBy")));
  }

  private static ObjectNode failedBy(BatchCounts c) {
    ObjectNode node = JSON.createObjectNode();
    c.failedBy().entrySet().stream()
        .sorted(Map.Entry.comparingByKey())
        .forEach(e -> node.put(e.getKey().name(), e.getValue()));
    return node;
  }

  private static Map<FailureKind, Long> failedBy(JsonNode node) {
    EnumMap<FailureKind, Long> out = new EnumMap<>(FailureKind.class);
    node.fields()
        .forEachRemaining(e -> out.put(FailureKind.valueOf(e.getKey()), e.getValue().asLong()));
    return out;
  }

  private static void putNullable(ObjectNode node, String field, String value) {
    if (value == null) {
      node.putNull(field);
    } else {
      node.put(field, value);
    }
  }

  private static String textOrNull(JsonNode node, String field) {
    JsonNode v = node.get(field);
    return v == null || v.isNull() ? null : v.asText();
  }
}
