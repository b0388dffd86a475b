package org.cityvision.serving.auth;

import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.WorkerExecutor;
import org.cityvision.serving.log.JsonLog;

/**
 * Re-reads the API keys from the shared store every {@code intervalMs}, so that keys created or
 * deleted through another node take effect here. Owns its timer; undeploying cancels it.
 */
public final class KeyRefreshVerticle extends VerticleBase {
  private final ApiKeys keys;
  private final WorkerExecutor io;
  private final long intervalMs;
  private long timer = -1;
  private boolean running;

  public KeyRefreshVerticle(ApiKeys keys, WorkerExecutor io, long intervalMs) {
    this.keys = keys;
    this.io = io;
    this.intervalMs = intervalMs;
  }

  @Override
  public Future<?> start() {
    timer = vertx.setPeriodic(intervalMs, id -> refresh());
    return Future.succeededFuture();
  }

  private void refresh() {
    if (running) {
      return;
    }
    running = true;
    io.executeBlocking(
            () -> {
              keys.reload();
              return null;
            },
            false)
        .onComplete(
            ar -> {
              running = false;
              if (ar.failed()) {
                JsonLog.get().warn("key_refresh_failed", "error", ar.cause().getMessage());
              }
            });
  }

  @Override
  public Future<?> stop() {
    vertx.cancelTimer(timer);
    return Future.succeededFuture();
  }
}
