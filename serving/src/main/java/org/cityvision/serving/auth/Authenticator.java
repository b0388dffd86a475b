package org.cityvision.serving.auth;

import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.WorkerExecutor;
import io.vertx.ext.web.RoutingContext;
import java.util.EnumSet;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import org.cityvision.core.auth.KeyRole;
import org.cityvision.serving.http.ApiException;
import org.cityvision.serving.http.RequestLog;
import org.cityvision.serving.metrics.Metrics;

/**
 * Checks {@code Authorization: Bearer <key>} against the cached keys, then the role, then the key's
 * rate limit. An unknown key waits for a reload of the keys from the store, so a key made on
 * another node a moment ago works here; such reloads are shared by every request waiting for one
 * and start at most every {@link #MISS_RELOAD_INTERVAL_MS}, so garbage keys cannot hammer the store
 * (they get their 401 after at most that long).
 */
public final class Authenticator {
  /** Context key of the {@link Principal}. */
  public static final String PRINCIPAL = "principal";

  /** Least time between two reloads caused by unknown keys. */
  public static final long MISS_RELOAD_INTERVAL_MS = 500;

  private static final int MAX_KEY_LENGTH = 256;

  private final Object missLock = new Object();
  private Future<Void> missReload;
  private long lastMissReload = System.nanoTime() - MISS_RELOAD_INTERVAL_MS * 1_000_000;

  private final ApiKeys keys;
  private final RateLimiter limiter;
  private final WorkerExecutor io;
  private final Metrics metrics;

  public Authenticator(ApiKeys keys, RateLimiter limiter, WorkerExecutor io, Metrics metrics) {
    this.keys = keys;
    this.limiter = limiter;
    this.io = io;
    this.metrics = metrics;
  }

  /** A handler admitting keys of the given roles; {@code admin} is always admitted. */
  public Handler<RoutingContext> require(KeyRole... roles) {
    Set<KeyRole> allowed = EnumSet.of(KeyRole.ADMIN, roles);
    return ctx -> authenticate(ctx, allowed);
  }

  /** A handler admitting any valid key. */
  public Handler<RoutingContext> anyRole() {
    return require(KeyRole.values());
  }

  /**
   * A handler for before the body is read: refuses a request whose key is missing or unknown with
   * 401 and {@code Connection: close} without reading a byte of its body, so that no one without a
   * key can make the node buffer or write an upload. The request is paused while an unknown key is
   * looked up in the store, and the body handler after it resumes it. Roles and rate limits are
   * checked per route, after the body.
   */
  public Handler<RoutingContext> beforeBody() {
    return ctx -> {
      if (!ctx.request().isEnded()) {
        ctx.request().pause();
      }
      String key = presentedKey(ctx);
      if (key == null) {
        return;
      }
      if (keys.lookup(key).isPresent()) {
        ctx.next();
        return;
      }
      reloadForMiss(ctx.vertx())
          .map(v -> keys.lookup(key))
          .onComplete(
              ar -> {
                if (ar.failed()) {
                  ctx.fail(ar.cause());
                } else if (ar.result().isPresent()) {
                  ctx.next();
                } else {
                  refuse(
                      ctx,
                      new ApiException(401, "invalid_credentials", "the API key is not valid"));
                }
              });
    };
  }

  /**
   * The key of a well-formed {@code Authorization} header; otherwise refuses the request and
   * returns null.
   */
  private String presentedKey(RoutingContext ctx) {
    String header = ctx.request().getHeader("Authorization");
    if (header == null || header.isBlank()) {
      refuse(
          ctx,
          new ApiException(
              401, "missing_credentials", "send an API key as 'Authorization: Bearer <key>'"));
      return null;
    }
    String h = header.strip();
    if (h.length() < 8 || !h.regionMatches(true, 0, "Bearer ", 0, 7)) {
      refuse(
          ctx,
          new ApiException(
              401, "invalid_credentials", "the Authorization header must be 'Bearer <key>'"));
      return null;
    }
    String key = h.substring(7).strip();
    if (key.isEmpty()
        || key.length() > MAX_KEY_LENGTH
        || !key.chars().allMatch(c -> c > 0x20 && c < 0x7f)) {
      refuse(ctx, new ApiException(401, "invalid_credentials", "the API key is not valid"));
      return null;
    }
    return key;
  }

  /**
   * A refusal before the body: the unread body is never read, so the connection cannot be reused.
   */
  private void refuse(RoutingContext ctx, ApiException e) {
    metrics.authFailure();
    if (!ctx.request().isEnded()) {
      ctx.response().putHeader("Connection", "close");
    }
    ctx.fail(e);
  }

  public static Principal principal(RoutingContext ctx) {
    return ctx.get(PRINCIPAL);
  }

  private void authenticate(RoutingContext ctx, Set<KeyRole> allowed) {
    String key = presentedKey(ctx);
    if (key == null) {
      return;
    }
    Optional<Principal> known = keys.lookup(key);
    if (known.isPresent()) {
      authorize(ctx, known.get(), allowed);
      return;
    }
    reloadForMiss(ctx.vertx())
        .map(v -> keys.lookup(key))
        .onComplete(
            ar -> {
              if (ar.succeeded() && ar.result().isPresent()) {
                authorize(ctx, ar.result().get(), allowed);
              } else {
                if (ar.failed()) {
                  ctx.fail(ar.cause());
                } else {
                  metrics.authFailure();
                  ctx.fail(
                      new ApiException(401, "invalid_credentials", "the API key is not valid"));
                }
              }
            });
  }

  /** One reload for every request waiting on an unknown key, no sooner than the interval allows. */
  private Future<Void> reloadForMiss(Vertx vertx) {
    synchronized (missLock) {
      if (missReload != null) {
        return missReload;
      }
      long waitMs =
          Math.max(0, (lastMissReload - System.nanoTime()) / 1_000_000 + MISS_RELOAD_INTERVAL_MS);
      Promise<Void> done = Promise.promise();
      missReload = done.future();
      Runnable reload =
          () ->
              io.<Void>executeBlocking(
                      () -> {
                        keys.reload();
                        return null;
                      },
                      false)
                  .onComplete(
                      ar -> {
                        synchronized (missLock) {
                          missReload = null;
                          lastMissReload = System.nanoTime();
                        }
                        done.handle(ar);
                      });
      if (waitMs == 0) {
        reload.run();
      } else {
        vertx.setTimer(waitMs, id -> reload.run());
      }
      return done.future();
    }
  }

  private void authorize(RoutingContext ctx, Principal principal, Set<KeyRole> allowed) {
    ctx.put(PRINCIPAL, principal);
    ctx.put(RequestLog.PRINCIPAL_NAME, principal.name());
    if (!allowed.contains(principal.role())) {
      ctx.fail(
          new ApiException(
              403,
              "forbidden",
              "a "
                  + principal.role().name().toLowerCase(Locale.ROOT)
                  + " key may not use this resource"));
      return;
    }
    int wait = 0;
    if (principal.internal()) {
      ctx.put(RequestLog.UNRECORDED, Boolean.TRUE);
    } else {
      wait = limiter.acquire(principal.name());
    }
    if (wait > 0) {
      metrics.rateLimited();
      ctx.fail(
          new ApiException(
              429, "rate_limited", "key '" + principal.name() + "' is over its rate limit", wait));
      return;
    }
    ctx.next();
  }
}
