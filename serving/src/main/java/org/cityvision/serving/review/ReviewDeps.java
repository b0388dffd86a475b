package org.cityvision.serving.review;

import io.vertx.core.WorkerExecutor;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.Supplier;
import org.cityvision.core.naming.Names;
import org.cityvision.core.storage.FrameStore;

/**
 * What the review API runs on. The caller owns (and closes) the store and the worker executor.
 *
 * @param worker runs every store call; the event loop never blocks on MinIO
 * @param events told of every stored verdict (webhooks, Open311)
 * @param labels the labels a reviewer may relabel to, in the order the page numbers them (keys
 *     1-9): the urban model's labels
 * @param models each served model's labels, by model name, read per request (a promoted version may
 *     add labels): what a relabel of that model's flag may choose
 */
public record ReviewDeps(
    FrameStore store,
    WorkerExecutor worker,
    ReviewEvents events,
    List<String> labels,
    Supplier<Map<String, List<String>>> models) {
  public ReviewDeps {
    Objects.requireNonNull(models, "models");
    Objects.requireNonNull(store, "store");
    Objects.requireNonNull(worker, "worker");
    Objects.requireNonNull(events, "events");
    labels = List.copyOf(labels);
    for (String label : labels) {
      Names.requireSegment("label", label);
    }
    if (labels.size() != labels.stream().distinct().count()) {
      throw new IllegalArgumentException("labels must be distinct, got " + labels);
    }
  }

  /** Review of the urban model's flags only: {@code labels} are its labels. */
  public ReviewDeps(
      FrameStore store, WorkerExecutor worker, ReviewEvents events, List<String> labels) {
    this(store, worker, events, labels, urbanOnly(labels));
  }

  private static Supplier<Map<String, List<String>>> urbanOnly(List<String> labels) {
    Map<String, List<String>> only = Map.of("urban", List.copyOf(labels));
    return () -> only;
  }
}
