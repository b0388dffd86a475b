package org.cityvision.serving.review;

import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.core.WorkerExecutor;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import org.cityvision.core.review.FlagChange;
import org.cityvision.core.review.FlagCounts;
import org.cityvision.core.storage.FrameStore;
import org.cityvision.serving.log.JsonLog;

/**
 * The live review queue, {@code GET /v1/review/events}: server-sent events telling a review page of
 * new flags, verdicts and counts as they happen on any node.
 *
 * <p>Nodes share only the store, so the feed reads what every node wrote there: each counter
 * revision ({@link FrameStore#flagCountsSince}) carries the changes it counted. One poller per node
 * reads new revisions every {@code poll} while someone listens and sends each as a {@code queue}
 * event whose id is the revision; a client that reconnects with {@code Last-Event-ID} (or {@code
 * ?after=}) gets the revisions it missed, or a {@code resync} event when they are no longer kept. A
 * {@code heartbeat} event every {@code heartbeat} keeps proxies and the client's watchdog calm. A
 * stream ends itself after {@code streamFor} (below the server's request timeout) and the client
 * reconnects from its last id, losing nothing.
 *
 * <p>Thread-safe: the poller runs on the worker; each stream is written on its own event loop.
 */
public final class ReviewFeed {
  private final FrameStore store;
  private final WorkerExecutor worker;
  private final Duration poll;
  private final Duration heartbeat;
  private final Duration streamFor;
  private final Set<Stream> streams = ConcurrentHashMap.newKeySet();
  private final AtomicBoolean started = new AtomicBoolean();
  private final AtomicBoolean polling = new AtomicBoolean();
  private volatile long head = -1;

  /**
   * @param poll how often the store is read while someone listens
   * @param heartbeat how often an idle stream gets a heartbeat
   * @param streamFor how long one stream lasts before the client reconnects
   */
  public ReviewFeed(
      FrameStore store,
      WorkerExecutor worker,
      Duration poll,
      Duration heartbeat,
      Duration streamFor) {
    this.store = Objects.requireNonNull(store, "store");
    this.worker = Objects.requireNonNull(worker, "worker");
    this.poll = requirePositive("poll", poll);
    this.heartbeat = requirePositive("heartbeat", heartbeat);
    this.streamFor = requirePositive("streamFor", streamFor);
  }

  /**
   * A feed polling every 250 ms, with a heartbeat every 15 s, streams ending before {@code
   * requestTimeoutMs}.
   */
  public static ReviewFeed of(FrameStore store, WorkerExecutor worker, long requestTimeoutMs) {
    long window = Math.max(1_000, Math.min(300_000, requestTimeoutMs - 2_000));
    return new ReviewFeed(
        store, worker, Duration.ofMillis(250), Duration.ofSeconds(15), Duration.ofMillis(window));
  }

  private static Duration requirePositive(String what, Duration d) {
    if (d == null || d.isNegative() || d.isZero()) {
      throw new IllegalArgumentException(what + " must be positive, got " + d);
    }
    return d;
  }

  /** Clients listening on this node now. */
  public int listeners() {
    return streams.size();
  }

  /** One client's stream: written only on its context, so its events stay in revision order. */
  private final class Stream {
    final HttpServerResponse response;
    final Context context;
    long sent;
    boolean open = true;

    Stream(HttpServerResponse response, Context context, long sent) {
      this.response = response;
      this.context = context;
      this.sent = sent;
    }

    /**
     * Sends the revisions this stream has not had; a gap (revisions no longer kept) becomes a
     * resync.
     */
    void send(List<FlagCounts> revisions) {
      context.runOnContext(
          v -> {
            for (FlagCounts c : revisions) {
              if (!open || c.revision() <= sent) {
                continue;
              }
              boolean gap = c.revision() > sent + 1 && sent >= 0;
              write(gap ? "resync" : "queue", c.revision(), gap ? countsEvent(c) : queueEvent(c));
              sent = c.revision();
            }
          });
    }

    void write(String event, Long id, JsonObject data) {
      if (open && (response.closed() || response.ended())) {
        open = false;
        streams.remove(this);
      }
      if (!open) {
        return;
      }
      StringBuilder b = new StringBuilder();
      if (id != null) {
        b.append("id: ").append(id).append('\n');
      }
      b.append("event: ")
          .append(event)
          .append('\n')
          .append("data: ")
          .append(data.encode())
          .append("\n\n");
      response.write(b.toString());
    }

    void end() {
      context.runOnContext(
          v -> {
            if (open) {
              open = false;
              streams.remove(this);
              response.end();
            }
          });
    }
  }

  /** The route's handler. */
  public void handle(RoutingContext ctx) {
    Long after = resumeFrom(ctx);
    start(ctx.vertx());
    HttpServerResponse response = ctx.response();
    Context context = ctx.vertx().getOrCreateContext();
    worker
        .executeBlocking(() -> after == null ? List.of(store.flagCounts()) : catchUp(after), false)
        .onFailure(ctx::fail)
        .onSuccess(
            first -> {
              if (response.closed()) {
                return; // The client left while its catch-up was read.
              }
              response
                  .setChunked(true)
                  .putHeader("Content-Type", "text/event-stream; charset=utf-8")
                  .putHeader("Cache-Control", "no-store")
                  .putHeader("X-Accel-Buffering", "no");
              response.write("retry: 1000\n\n");
              Stream s = new Stream(response, context, after == null ? -1 : after);
              if (after == null) {
                FlagCounts now = first.get(0);
                s.write("queue", now.revision(), countsEvent(now).put("changes", new JsonArray()));
                s.sent = now.revision();
              } else {
                s.send(first);
              }
              streams.add(s);
              response.closeHandler(
                  v -> {
                    s.open = false;
                    streams.remove(s);
                  });
              ctx.vertx().setTimer(streamFor.toMillis(), id -> s.end());
              // Revisions the poller sent before this stream was registered.
              worker.executeBlocking(() -> store.flagCountsSince(s.sent), false).onSuccess(s::send);
            });
  }

  /**
   * The revisions after {@code after}; when some are no longer kept, the newest counts alone (sent
   * as a resync).
   */
  private List<FlagCounts> catchUp(long after) throws Exception {
    List<FlagCounts> missed = store.flagCountsSince(after);
    if (!missed.isEmpty() && missed.get(0).revision() > after + 1) {
      return List.of(missed.get(missed.size() - 1));
    }
    return missed;
  }

  /**
   * {@code Last-Event-ID} or {@code ?after=}: the last revision the client has, or {@code null}.
   */
  private static Long resumeFrom(RoutingContext ctx) {
    for (String name : ctx.queryParams().names()) {
      if (!name.equals("after")) {
        throw new IllegalArgumentException(
            "unknown query parameter '" + name + "'; allowed: [after]");
      }
    }
    String value = ctx.queryParams().get("after");
    String source = "after";
    if (value == null) {
      value = ctx.request().getHeader("Last-Event-ID");
      source = "Last-Event-ID";
    }
    if (value == null || value.isEmpty()) {
      return null;
    }
    try {
      long n = Long.parseLong(value.trim());
      if (n < 0) {
        throw new NumberFormatException();
      }
      return n;
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(
          source
              + " must be an event id this feed sent (a revision, 0 or more), got '"
              + value
              + "'");
    }
  }

  private void start(Vertx vertx) {
    if (!started.compareAndSet(false, true)) {
      return;
    }
    vertx.setPeriodic(poll.toMillis(), id -> pollStore());
    vertx.setPeriodic(
        heartbeat.toMillis(),
        id -> {
          JsonObject beat = new JsonObject().put("at", Instant.now().toString());
          for (Stream s : streams) {
            s.context.runOnContext(v -> s.write("heartbeat", null, beat));
          }
        });
  }

  private void pollStore() {
    if (streams.isEmpty() || !polling.compareAndSet(false, true)) {
      return;
    }
    worker
        .executeBlocking(
            () -> {
              long from = head;
              if (from < 0) {
                from = streams.stream().mapToLong(s -> s.sent).filter(r -> r >= 0).min().orElse(0);
              }
              return store.flagCountsSince(from);
            },
            false)
        .onSuccess(
            revisions -> {
              if (!revisions.isEmpty()) {
                head = revisions.get(revisions.size() - 1).revision();
                streams.forEach(s -> s.send(revisions));
              }
            })
        .onFailure(e -> JsonLog.get().warn("review_feed_poll_failed", "error", e.toString()))
        .onComplete(r -> polling.set(false));
  }

  private static JsonObject countsEvent(FlagCounts c) {
    return new JsonObject().put("revision", c.revision()).put("counts", ReviewRoutes.countsJson(c));
  }

  private static JsonObject queueEvent(FlagCounts c) {
    JsonArray changes = new JsonArray();
    for (FlagChange ch : c.changes()) {
      changes.add(
          new JsonObject()
              .put("kind", ch.kind())
              .put("frameId", ch.frameId())
              .put("cameraId", ch.cameraId())
              .put("label", ch.label())
              .put("model", ch.model())
              .put("status", ch.status().keyName())
              .put("at", ch.at().toString()));
    }
    return countsEvent(c).put("changes", changes).put("changesDropped", c.changesDropped());
  }
}
