package org.cityvision.app.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.Comparator;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;
import org.cityvision.core.model.ModelPackage;
import org.cityvision.core.naming.Names;
import org.cityvision.core.storage.FrameStore;
import org.cityvision.core.storage.LivePointer;
import org.cityvision.core.storage.ModelStore;
import org.cityvision.models.candidate.CandidateMode;
import org.cityvision.serving.config.ServerConfig;
import org.cityvision.serving.inference.ModelRegistry;
import org.cityvision.serving.registry.CandidateJobs;
import org.cityvision.serving.registry.ModelLabels;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code cityvision models candidates <model> [--start head|fine-tune] [--id ID] [--cancel ID]
 * [--json]}: a model's candidate jobs as every node sees them (their state is in the store).
 * Without an option it lists the jobs, newest first: state, progress, verdicts and, when done, the
 * candidate beside the live model. {@code --id} shows one job with its side-by-side evaluation;
 * {@code --cancel} asks a running job to stop (its runner, on any node, stops within seconds).
 * {@code --start} trains a candidate in this process, in the foreground, from the live version in
 * the store and the verdicts, exactly as {@code POST /v1/models/{name}/candidates} does on a node:
 * progress on standard error, the finished job on standard output. {@code --json} prints each job
 * as one JSON object per line instead of text.
 */
@Command(
    name = "candidates",
    mixinStandardHelpOptions = true,
    description =
        "A model's candidate jobs: list them, show one with its evaluation beside the live model, "
            + "cancel one, or train one here (--start).")
final class CandidatesCommand extends ModelsCommand.StoreAction {
  /** How often a foreground job's state is read back for its progress. */
  private static final Duration POLL = Duration.ofMillis(500);

  @Parameters(index = "0", paramLabel = "MODEL", description = "the model, e.g. waste")
  String name;

  @Option(
      names = "--start",
      paramLabel = "MODE",
      description = "train a candidate here: head or fine-tune")
  String start;

  @Option(
      names = "--since",
      description = "with --start: only verdicts from this ISO-8601 instant on")
  String since;

  @Option(names = "--id", description = "show this candidate")
  String id;

  @Option(names = "--cancel", paramLabel = "ID", description = "ask this running candidate to stop")
  String cancel;

  @Option(names = "--json", description = "one JSON object per job and line")
  boolean json;

  @Override
  int run(ModelStore models) {
    throw new IllegalStateException("candidates runs on the whole store");
  }

  @Override
  int run(FrameStore store) throws Exception {
    Names.requireSegment("MODEL", name);
    int chosen = (start != null ? 1 : 0) + (id != null ? 1 : 0) + (cancel != null ? 1 : 0);
    if (chosen > 1) {
      return fail(ModelsCommand.BAD_ARGUMENTS, "choose one of --start, --id and --cancel");
    }
    if (since != null && start == null) {
      return fail(ModelsCommand.BAD_ARGUMENTS, "--since goes with --start");
    }
    ModelStore models = store.models();
    Clock clock = Clock.systemUTC();
    if (cancel != null) {
      Names.requireSegment("--cancel", cancel);
      JsonNode state = CandidateJobs.requestCancel(models, name, cancel, clock.instant());
      System.err.println(
          "asked candidate "
              + cancel
              + " of model "
              + name
              + " to stop; its runner, on whichever "
              + "node, stops within seconds");
      print(state);
      return 0;
    }
    if (id != null) {
      Names.requireSegment("--id", id);
      Optional<JsonNode> state = models.candidate(name, id);
      if (state.isEmpty()) {
        return fail(ModelsCommand.NOT_FOUND, "model " + name + " has no candidate " + id);
      }
      JsonNode view = CandidateJobs.view(state.get(), clock.instant());
      if (json) {
        System.out.println(view);
      } else {
        System.out.print(details(view));
      }
      return 0;
    }
    if (start != null) {
      return train(store, clock);
    }
    if (models.live(name).isEmpty() && models.versions(name).isEmpty()) {
      return fail(
          ModelsCommand.NOT_FOUND,
          "no model named " + name + " in the store; models: " + models.models());
    }
    List<JsonNode> all = models.candidates(name);
    if (!json) {
      System.out.println(all.isEmpty() ? "model " + name + " has no candidates" : HEADER);
    }
    for (int i = all.size() - 1; i >= 0; i--) {
      print(CandidateJobs.view(all.get(i), clock.instant()));
    }
    return 0;
  }

  /** Trains a candidate in this process through the same job a node runs, and waits for it. */
  private int train(FrameStore store, Clock clock) throws Exception {
    CandidateMode mode =
        switch (start) {
          case "head" -> CandidateMode.HEAD;
          case "fine-tune" -> CandidateMode.FINE_TUNE;
          default ->
              throw new IllegalArgumentException(
                  "--start must be head or fine-tune, got '" + start + "'");
        };
    Instant from;
    try {
      from = since == null ? null : Instant.parse(since);
    } catch (DateTimeParseException e) {
      throw new IllegalArgumentException(
          "--since must be an ISO-8601 instant such as 2026-12-01T00:00:00Z, got '" + since + "'",
          e);
    }
    ModelStore models = store.models();
    LivePointer live = models.live(name).orElse(null);
    if (live == null) {
      return fail(
          ModelsCommand.NOT_FOUND,
          "model " + name + " has no live version in the store; models: " + models.models());
    }
    ServerConfig cfg = serverConfig();
    Path work = Files.createTempDirectory("cityvision-candidate");
    try {
      Path pkg = models.fetch(name, live.version(), work.resolve("cache"));
      String task = ModelPackage.read(pkg).spec().task();
      try (ModelRegistry served =
              ModelRegistry.load(
                  Map.of(task, pkg),
                  true,
                  cfg.inference(),
                  cfg.images().limits(cfg.http().bodyLimitBytes()));
          CandidateJobs jobs =
              new CandidateJobs(
                  store,
                  served,
                  work.resolve("candidates"),
                  work.resolve("cache"),
                  clock,
                  new ModelLabels(models, served, clock))) {
        String jobId = jobs.start(name, mode, from, "cli").path("id").asText();
        System.err.println(
            "training candidate "
                + jobId
                + " of model "
                + name
                + " (live "
                + live.version()
                + ", "
                + start
                + ") in this process");
        String last = "";
        JsonNode state;
        while (true) {
          state = jobs.get(name, jobId).orElseThrow();
          JsonNode p = state.path("progress");
          String line =
              p.path("stage").asText()
                  + " "
                  + p.path("done").asInt()
                  + "/"
                  + p.path("steps").asInt();
          if (!line.equals(last)) {
            System.err.println("  " + line);
            last = line;
          }
          if (!"running".equals(state.path("state").asText())) {
            break;
          }
          Thread.sleep(POLL.toMillis());
        }
        if (json) {
          System.out.println(state);
        } else {
          System.out.print(details(state));
        }
        return "done".equals(state.path("state").asText()) ? 0 : ModelsCommand.STORE_FAILED;
      }
    } finally {
      try (Stream<Path> walk = Files.walk(work)) {
        for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
          Files.deleteIfExists(p);
        }
      }
    }
  }

  private static final String HEADER =
      String.format(
          Locale.ROOT,
          "%-26s %-10s %-9s %-24s %8s  %s",
          "ID",
          "STATE",
          "MODE",
          "PROGRESS",
          "VERDICTS",
          "HOLDOUT ACCURACY live → candidate (better?)");

  private void print(JsonNode state) {
    if (json) {
      System.out.println(state);
      return;
    }
    JsonNode p = state.path("progress");
    String progress =
        p.path("stage").asText()
            + (p.path("steps").asInt() > 0
                ? " " + p.path("done").asInt() + "/" + p.path("steps").asInt()
                : "");
    JsonNode e = state.path("evaluation");
    String result =
        e.isMissingNode()
            ? state.path("error").asText("")
            : String.format(
                Locale.ROOT,
                "%.3f → %.3f (%s)",
                e.path("holdout").path("live").path("accuracy").asDouble(),
                e.path("holdout").path("candidate").path("accuracy").asDouble(),
                e.path("better").asBoolean() ? "better" : "not better");
    System.out.println(
        String.format(
            Locale.ROOT,
            "%-26s %-10s %-9s %-24s %8d  %s",
            state.path("id").asText(),
            state.path("state").asText(),
            state.path("mode").asText(),
            progress,
            state.path("verdicts").asInt(),
            result));
  }

  /** One job as text: what it is, then the candidate beside the live model on each comparison. */
  static String details(JsonNode s) {
    StringBuilder out = new StringBuilder();
    out.append("candidate ")
        .append(s.path("id").asText())
        .append(" of model ")
        .append(s.path("model").asText())
        .append(": ")
        .append(s.path("state").asText())
        .append(", ")
        .append(s.path("mode").asText())
        .append(" mode, version ")
        .append(s.path("version").asText())
        .append(" from live ")
        .append(s.path("liveVersion").asText())
        .append('\n');
    out.append("verdicts: ")
        .append(s.path("verdicts").asInt())
        .append(' ')
        .append(s.path("labels"))
        .append('\n');
    if (s.has("heldBack")) {
      out.append("held back (new labels with too few verdicts): ")
          .append(s.path("heldBack"))
          .append('\n');
    }
    if (s.has("error")) {
      out.append("error: ").append(s.path("error").asText()).append('\n');
    }
    JsonNode e = s.path("evaluation");
    if (e.isMissingNode()) {
      JsonNode p = s.path("progress");
      out.append("progress: ")
          .append(p.path("stage").asText())
          .append(' ')
          .append(p.path("done").asInt())
          .append('/')
          .append(p.path("steps").asInt())
          .append('\n');
      return out.toString();
    }
    out.append(e.path("better").asBoolean() ? "BETTER" : "NOT BETTER")
        .append(": ")
        .append(e.path("reason").asText())
        .append('\n');
    out.append(
        String.format(
            Locale.ROOT,
            "%-44s %6s  %-24s %-24s%n",
            "data",
            "count",
            "live acc / macro-F1",
            "candidate acc / macro-F1"));
    for (String part : List.of("holdout", "holdoutKnownClasses", "validation")) {
      JsonNode c = e.path(part);
      if (c.isMissingNode()) {
        continue;
      }
      out.append(
          String.format(
              Locale.ROOT,
              "%-44s %6d  %-24s %-24s%n",
              c.path("data").asText(),
              c.path("count").asInt(),
              scores(c.path("live")),
              scores(c.path("candidate"))));
    }
    Iterator<Map.Entry<String, JsonNode>> added = e.path("newClasses").fields();
    while (added.hasNext()) {
      Map.Entry<String, JsonNode> c = added.next();
      out.append(
          String.format(
              Locale.ROOT,
              "new class %s: %d training verdicts; holdout %d, precision %.3f, recall " + "%.3f%n",
              c.getKey(),
              c.getValue().path("trainExamples").asInt(),
              c.getValue().path("holdoutSupport").asInt(),
              c.getValue().path("holdoutPrecision").asDouble(),
              c.getValue().path("holdoutRecall").asDouble()));
    }
    return out.toString();
  }

  private static String scores(JsonNode s) {
    return String.format(
        Locale.ROOT, "%.3f / %.3f", s.path("accuracy").asDouble(), s.path("macroF1").asDouble());
  }
}
