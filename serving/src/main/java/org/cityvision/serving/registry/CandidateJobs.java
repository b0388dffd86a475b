package org.cityvision.serving.registry;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.cityvision.core.frame.ResultRecord;
import org.cityvision.core.model.ModelPackage;
import org.cityvision.core.review.ReviewRecord;
import org.cityvision.core.storage.FrameStore;
import org.cityvision.core.storage.LivePointer;
import org.cityvision.core.storage.ModelStore;
import org.cityvision.core.storage.StorageException;
import org.cityvision.datasets.export.ReviewExport;
import org.cityvision.models.candidate.CandidateCancelledException;
import org.cityvision.models.candidate.CandidateException;
import org.cityvision.models.candidate.CandidateMode;
import org.cityvision.models.candidate.CandidateProgress;
import org.cityvision.models.candidate.CandidateRequest;
import org.cityvision.models.candidate.CandidateResult;
import org.cityvision.models.candidate.CandidateTraining;
import org.cityvision.models.candidate.NotEnoughVerdictsException;
import org.cityvision.models.candidate.VerdictExample;
import org.cityvision.models.candidate.VerdictSplit;
import org.cityvision.serving.http.ApiException;
import org.cityvision.serving.inference.ModelRegistry;
import org.cityvision.serving.inference.ServedModel;
import org.cityvision.serving.log.JsonLog;

/**
 * Candidate models trained from reviewers' verdicts, as background jobs whose state lives in the
 * store ({@code models/{name}/candidates/{id}.json}), so every node shows it and any node can ask a
 * job to stop. A job collects the latest verdict of each frame flagged by the model (confirmed: the
 * flagged label; relabelled: the reviewer's label; rejected: {@code normal} for a model that has
 * that label, otherwise left out), trains a candidate with {@link CandidateTraining} on this node,
 * puts the candidate package into the store as a new version (never live by itself) and records the
 * side-by-side evaluation. Promoting a candidate goes through {@link Promotions}, like any version:
 * a candidate that is not {@code better} needs {@code force}.
 *
 * <p>One job at a time per node (training takes the node's CPU for a while). A job whose node died
 * stops updating its state: after {@link #STALE_AFTER} it reads as {@code interrupted}; start a new
 * one. Thread-safe. <b>Must be closed</b>: closing cancels the running job.
 */
public final class CandidateJobs implements AutoCloseable {
  /** A running job writes its state at least this often; older states read as interrupted. */
  static final Duration HEARTBEAT = Duration.ofSeconds(5);

  static final Duration STALE_AFTER = Duration.ofMinutes(2);
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final DateTimeFormatter ID_TIME =
      DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss'Z'").withZone(ZoneOffset.UTC);
  private static final SecureRandom RANDOM = new SecureRandom();

  private final FrameStore store;
  private final ModelStore models;
  private final ModelRegistry served;
  private final Path workRoot;
  private final Path cacheRoot;
  private final Clock clock;
  private final ModelLabels labels;
  private final ExecutorService runner =
      Executors.newSingleThreadExecutor(
          r -> {
            Thread t = new Thread(r, "candidate-training");
            t.setDaemon(true);
            return t;
          });
  private final AtomicBoolean busy = new AtomicBoolean();
  private volatile Running running;

  private record Running(String model, String id, AtomicBoolean cancelled) {}

  /**
   * @param workRoot where candidate packages are written before they go into the store
   * @param cacheRoot the node's verified package cache (promotions fetch into it)
   * @param labels each model's taxonomy: verdicts with a label outside it are not trained on
   */
  public CandidateJobs(
      FrameStore store,
      ModelRegistry served,
      Path workRoot,
      Path cacheRoot,
      Clock clock,
      ModelLabels labels) {
    this.store = store;
    this.models = store.models();
    this.served = served;
    this.workRoot = workRoot;
    this.cacheRoot = cacheRoot;
    this.clock = clock;
    this.labels = labels;
  }

  /**
   * Starts a candidate job. Blocking (reads the verdicts); call off the event loop.
   *
   * @throws ApiException 404 for a model this node does not serve, 400 {@code not_enough_verdicts}
   *     (with what is missing per label), 409 {@code candidate_running} while this node trains one
   */
  public JsonNode start(String name, CandidateMode mode, Instant since, String actor)
      throws StorageException {
    ServedModel model =
        served
            .named(name)
            .orElseThrow(
                () ->
                    ApiException.notFound(
                        "unknown_model", "this node serves no model named '" + name + "'"));
    ModelPackage live = model.pkg();
    List<VerdictExample> all = verdicts(name, labels.taxonomy(name), since);
    ObjectNode heldBack = JSON.createObjectNode();
    List<VerdictExample> verdicts = withoutUnreadyNewLabels(all, live.spec().labels(), heldBack);
    try {
      CandidateTraining.requireEnough(verdicts, live.spec().labels());
    } catch (NotEnoughVerdictsException e) {
      throw notEnough(e);
    }
    if (!busy.compareAndSet(false, true)) {
      Running r = running;
      throw new ApiException(
          409,
          "candidate_running",
          "this node is training candidate "
              + (r == null ? "?" : r.id())
              + " of model "
              + (r == null ? "?" : r.model())
              + "; wait for it or cancel it, or start the candidate on another node");
    }
    try {
      Instant now = clock.instant();
      String id = "c" + ID_TIME.format(now) + "-" + HexFormat.of().formatHex(bytes(3));
      String version = live.spec().version() + "-" + id;
      ObjectNode state =
          JSON.createObjectNode()
              .put("id", id)
              .put("model", name)
              .put("mode", mode.name().toLowerCase(Locale.ROOT))
              .put("state", "running")
              .put("liveVersion", live.spec().version())
              .put("version", version)
              .put("createdAt", now.toString())
              .put("updatedAt", now.toString())
              .put("createdBy", actor)
              .put("verdicts", verdicts.size())
              .put("cancelRequested", false);
      if (since != null) {
        state.put("since", since.toString());
      }
      state.set("labels", counts(verdicts));
      if (!heldBack.isEmpty()) {
        state.set("heldBack", heldBack);
      }
      state.putObject("progress").put("stage", "queued").put("done", 0).put("steps", 0);
      models.putCandidate(name, id, state);
      Running r = new Running(name, id, new AtomicBoolean());
      running = r;
      runner.execute(() -> run(r, live, mode, version, verdicts, state));
      return state;
    } catch (StorageException | RuntimeException e) {
      busy.set(false);
      running = null;
      throw e;
    }
  }

  /**
   * A job's state as stored, with {@code interrupted} for a running job whose node stopped writing.
   */
  public Optional<JsonNode> get(String name, String id) throws StorageException {
    return models.candidate(name, id).map(this::view);
  }

  /** Every job of a model, newest first. */
  public List<JsonNode> list(String name) throws StorageException {
    List<JsonNode> all = new ArrayList<>(models.candidates(name).stream().map(this::view).toList());
    Collections.reverse(all);
    return all;
  }

  /**
   * Asks a running job to stop (any node: the runner reads the request back within a heartbeat).
   */
  public JsonNode cancel(String name, String id) throws StorageException {
    Running r = running;
    if (r != null && r.id().equals(id) && r.model().equals(name)) {
      r.cancelled().set(true);
    }
    return requestCancel(models, name, id, clock.instant());
  }

  /**
   * Records a cancel request in a running job's state, which the job's runner (on whichever node or
   * process) reads back within {@link #HEARTBEAT}: what {@link #cancel} and {@code cityvision
   * models candidates --cancel} do.
   *
   * @throws ApiException 404 {@code unknown_candidate}, 409 {@code candidate_finished}
   */
  public static JsonNode requestCancel(ModelStore models, String name, String id, Instant now)
      throws StorageException {
    JsonNode state =
        models
            .candidate(name, id)
            .orElseThrow(
                () ->
                    ApiException.notFound(
                        "unknown_candidate", "model " + name + " has no candidate " + id));
    String current = view(state, now).path("state").asText();
    if (!"running".equals(current)) {
      throw new ApiException(409, "candidate_finished", "candidate " + id + " is " + current);
    }
    ObjectNode updated = ((ObjectNode) state).put("cancelRequested", true);
    models.putCandidate(name, id, updated);
    return updated;
  }

  /**
   * Promotes a finished candidate. 409 {@code candidate_not_ready} unless it is done, 409 {@code
   * candidate_not_better} unless its evaluation says {@code better} or {@code force} is set.
   */
  public LivePointer promote(String name, String id, boolean force, String actor, String reason)
      throws StorageException, InvalidPackageException {
    JsonNode state =
        get(name, id)
            .orElseThrow(
                () ->
                    ApiException.notFound(
                        "unknown_candidate", "model " + name + " has no candidate " + id));
    if (!"done".equals(state.path("state").asText())) {
      throw new ApiException(
          409,
          "candidate_not_ready",
          "candidate "
              + id
              + " is "
              + state.path("state").asText()
              + "; only a finished, evaluated candidate can be promoted");
    }
    if (!state.path("evaluation").path("better").asBoolean(false) && !force) {
      throw new ApiException(
          409,
          "candidate_not_better",
          "candidate "
              + id
              + " is not better than the live model "
              + "(it must win on the verdict holdout and lose at most 1 point on the package's validation data); "
              + "send \"force\": true to promote it anyway (recorded)");
    }
    String why = (reason == null ? "candidate " + id : reason) + (force ? " (forced)" : "");
    return Promotions.promote(
        models, cacheRoot, name, state.path("version").asText(), null, actor, why, force);
  }

  private void run(
      Running r,
      ModelPackage live,
      CandidateMode mode,
      String version,
      List<VerdictExample> verdicts,
      ObjectNode state) {
    Path out = workRoot.resolve(r.model()).resolve(r.id());
    AtomicLong lastWrite = new AtomicLong(System.nanoTime());
    try {
      Files.createDirectories(out.getParent());
      CandidateProgress progress =
          new CandidateProgress() {
            private String stage = "";
            private int steps;

            @Override
            public void stage(String name, int total) {
              stage = name;
              steps = total;
              report(0, true);
            }

            @Override
            public void advance(int done) {
              report(done, false);
            }

            @Override
            public void featureSources(int stored, int computed) {
              state.putObject("features").put("stored", stored).put("computed", computed);
            }

            private void report(int done, boolean force) {
              if (!force && System.nanoTime() - lastWrite.get() < HEARTBEAT.toNanos()) {
                return;
              }
              lastWrite.set(System.nanoTime());
              state.putObject("progress").put("stage", stage).put("done", done).put("steps", steps);
              write(r, state);
            }
          };
      CandidateResult result =
          CandidateTraining.run(
              new CandidateRequest(live, verdicts, mode, version, out),
              progress,
              () -> r.cancelled().get());
      models.put(result.candidate(), "candidate " + r.id());
      state.put("state", "done");
      state.set("evaluation", result.evaluation().toJson());
      state.put("seconds", result.seconds());
      JsonLog.get()
          .info(
              "candidate_done",
              "model",
              r.model(),
              "candidate",
              r.id(),
              "version",
              version,
              "better",
              result.evaluation().better());
    } catch (CandidateCancelledException e) {
      state.put("state", "cancelled");
    } catch (NotEnoughVerdictsException e) {
      state.put("state", "failed").put("error", e.getMessage());
      state.set("missing", shortfalls(e));
    } catch (CandidateException | StorageException | IOException | RuntimeException e) {
      state.put("state", "failed").put("error", String.valueOf(e.getMessage()));
      JsonLog.get()
          .warn(
              "candidate_failed",
              "model",
              r.model(),
              "candidate",
              r.id(),
              "error",
              String.valueOf(e.getMessage()));
    } finally {
      state
          .putObject("progress")
          .put("stage", state.path("state").asText())
          .put("done", 0)
          .put("steps", 0);
      write(r, state);
      deleteQuietly(out);
      running = null;
      busy.set(false);
    }
  }

  /** Writes the state, first reading back a cancel request another node may have stored. */
  private void write(Running r, ObjectNode state) {
    try {
      models
          .candidate(r.model(), r.id())
          .ifPresent(
              stored -> {
                if (stored.path("cancelRequested").asBoolean(false)) {
                  r.cancelled().set(true);
                  state.put("cancelRequested", true);
                }
              });
      state.put("updatedAt", clock.instant().toString());
      models.putCandidate(r.model(), r.id(), state);
    } catch (StorageException e) {
      JsonLog.get()
          .warn(
              "candidate_state_not_written",
              "candidate",
              r.id(),
              "error",
              String.valueOf(e.getMessage()));
    }
  }

  private JsonNode view(JsonNode state) {
    return view(state, clock.instant());
  }

  /**
   * A job's state as stored, with {@code interrupted} for a running job whose runner stopped
   * writing.
   */
  public static JsonNode view(JsonNode state, Instant now) {
    if ("running".equals(state.path("state").asText())) {
      Instant updated =
          Instant.parse(state.path("updatedAt").asText(state.path("createdAt").asText()));
      if (updated.plus(STALE_AFTER).isBefore(now)) {
        return ((ObjectNode) state.deepCopy()).put("state", "interrupted");
      }
    }
    return state;
  }

  /**
   * The latest verdict of each frame the model flagged, as training examples; images read on
   * demand. A verdict whose label is not in the model's taxonomy (package labels and labels added
   * in the store) is left out.
   */
  private List<VerdictExample> verdicts(String name, List<String> labels, Instant since)
      throws StorageException {
    List<VerdictExample> out = new ArrayList<>();
    for (ReviewRecord r : new TreeMap<>(ReviewExport.latestVerdicts(store, since)).values()) {
      if (!name.equals(r.model())) {
        continue;
      }
      String label =
          switch (r.verdict()) {
            case CONFIRM -> r.flaggedLabel();
            case RELABEL -> r.label();
            case REJECT -> labels.contains("normal") ? "normal" : null;
            case REOPEN -> null; // latestVerdicts leaves taken-back verdicts out
          };
      if (label == null || !labels.contains(label)) {
        continue;
      }
      String frameId = r.frameId();
      String version = r.modelVersion();
      out.add(
          new VerdictExample(
              frameId,
              label,
              () -> {
                try {
                  return store.readFrame(frameId).bytes();
                } catch (StorageException e) {
                  throw new IOException(
                      "frame " + frameId + " cannot be read: " + e.getMessage(), e);
                }
              },
              // The features kept with the result of the version that flagged the frame.
              () -> store.result(frameId, name, version).flatMap(ResultRecord::pooledFeatures)));
    }
    return out;
  }

  /**
   * The verdicts without those of a new label (one the live model does not have) that a candidate
   * cannot learn yet: fewer than {@link CandidateTraining#MIN_NEW_LABEL} verdicts, or none in the
   * holdout. A label just added to the taxonomy thus waits for its examples instead of blocking
   * every candidate of the model; {@code heldBack} receives each such label's count.
   */
  static List<VerdictExample> withoutUnreadyNewLabels(
      List<VerdictExample> verdicts, List<String> liveLabels, ObjectNode heldBack) {
    Map<String, int[]> counts = new TreeMap<>();
    for (VerdictExample v : verdicts) {
      if (!liveLabels.contains(v.label())) {
        int[] c = counts.computeIfAbsent(v.label(), k -> new int[2]);
        c[0]++;
        c[1] += VerdictSplit.isHoldout(v.frameId()) ? 1 : 0;
      }
    }
    counts.forEach(
        (label, c) -> {
          if (c[0] < CandidateTraining.MIN_NEW_LABEL || c[1] == 0) {
            heldBack.put(label, c[0]);
          }
        });
    return verdicts.stream().filter(v -> !heldBack.has(v.label())).toList();
  }

  private static ObjectNode counts(List<VerdictExample> verdicts) {
    ObjectNode out = JSON.createObjectNode();
    Map<String, Integer> byLabel = new TreeMap<>();
    verdicts.forEach(v -> byLabel.merge(v.label(), 1, Integer::sum));
    byLabel.forEach(out::put);
    return out;
  }

  private static ApiException notEnough(NotEnoughVerdictsException e) {
    return new ApiException(400, "not_enough_verdicts", e.getMessage());
  }

  private static ArrayNode shortfalls(NotEnoughVerdictsException e) {
    ArrayNode out = JSON.createArrayNode();
    e.shortfalls()
        .forEach(
            s ->
                out.addObject()
                    .put("label", s.label())
                    .put("have", s.have())
                    .put("need", s.need())
                    .put("rule", s.rule()));
    return out;
  }

  private static byte[] bytes(int n) {
    byte[] b = new byte[n];
    RANDOM.nextBytes(b);
    return b;
  }

  private static void deleteQuietly(Path dir) {
    if (!Files.exists(dir)) {
      return;
    }
    try (var walk = Files.walk(dir)) {
      walk.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException e) {
      // A leftover work folder costs disk, not correctness; the next job uses a new folder.
    }
  }

  @Override
  public void close() {
    Running r = running;
    if (r != null) {
      r.cancelled().set(true);
    }
    runner.shutdown();
    try {
      runner.awaitTermination(30, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
