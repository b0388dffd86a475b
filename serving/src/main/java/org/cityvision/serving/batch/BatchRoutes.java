package org.cityvision.serving.batch;

import io.vertx.core.WorkerExecutor;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import java.time.Clock;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;
import java.util.regex.Pattern;
import org.cityvision.core.batch.BatchBusyException;
import org.cityvision.core.batch.BatchJobs;
import org.cityvision.core.batch.BatchProgress;
import org.cityvision.core.batch.BatchProgressJson;
import org.cityvision.core.batch.BatchRequest;
import org.cityvision.core.batch.JobConflictException;
import org.cityvision.core.batch.UnknownJobException;
import org.cityvision.core.storage.Page;
import org.cityvision.serving.http.Access;
import org.cityvision.serving.http.ApiArea;
import org.cityvision.serving.http.ApiException;
import org.cityvision.serving.http.Json;

/**
 * {@code /v1/batch} (admin): start a job over a prefix of stored frames, read its progress from any
 * node, cancel it from any node, resume it after a crash or a cancel.
 *
 * <ul>
 *   <li>{@code POST /v1/batch {"task", "prefix", "flag"?}} → 202 {@code {"jobId", "state", ...}}
 *       with {@code Location}; 400 for an unknown task or a prefix outside {@code frames/}; 503
 *       when this node runs as many jobs as it may
 *   <li>{@code GET /v1/batch?cursor=&limit=} → {@code {"jobs": [...], "nextCursor"}}
 *   <li>{@code GET /v1/batch/{jobId}} → the job in {@link BatchProgressJson}'s form, or 404
 *   <li>{@code POST /v1/batch/{jobId}/cancel} and {@code DELETE /v1/batch/{jobId}} → 202 with the
 *       job (state {@code cancelled}); 409 when it had already finished
 *   <li>{@code POST /v1/batch/{jobId}/resume {"takeOver"?}} → 202; 409 when done or still running
 * </ul>
 *
 * <p>Every store call runs on the {@code io} worker executor, never on the event loop. Jobs run on
 * {@link BatchJobs}' threads. Owns nothing: the caller closes {@code jobs}.
 */
public final class BatchRoutes {
  private static final Pattern JOB_ID = Pattern.compile("[A-Za-z0-9_-]{1,64}");

  private final BatchJobs jobs;
  private final WorkerExecutor io;
  private final Clock clock;

  public BatchRoutes(BatchJobs jobs, WorkerExecutor io, Clock clock) {
    this.jobs = Objects.requireNonNull(jobs, "jobs");
    this.io = Objects.requireNonNull(io, "io");
    this.clock = Objects.requireNonNull(clock, "clock");
  }

  /** The batch area: admin keys only. */
  public ApiArea area() {
    return new ApiArea("batch")
        .add(HttpMethod.POST, "/v1/batch", Access.ADMIN, this::start)
        .add(HttpMethod.GET, "/v1/batch", Access.ADMIN, this::list)
        .add(HttpMethod.GET, "/v1/batch/{jobId}", Access.ADMIN, this::status)
        .add(HttpMethod.POST, "/v1/batch/{jobId}/cancel", Access.ADMIN, this::cancel)
        .add(HttpMethod.DELETE, "/v1/batch/{jobId}", Access.ADMIN, this::cancel)
        .add(HttpMethod.POST, "/v1/batch/{jobId}/resume", Access.ADMIN, this::resume);
  }

  /** {@code POST /v1/batch}. */
  public void start(RoutingContext ctx) {
    JsonObject body = Json.body(ctx);
    BatchRequest request = request(body);
    io.executeBlocking(
            () -> {
              try {
                return jobs.start(request);
              } catch (IllegalArgumentException e) {
                throw ApiException.badRequest("unknown_task", e.getMessage());
              } catch (BatchBusyException e) {
                throw new ApiException(503, "batch_busy", e.getMessage(), 30);
              }
            },
            false)
        .onSuccess(p -> accepted(ctx, p))
        .onFailure(ctx::fail);
  }

  /** {@code GET /v1/batch}. */
  public void list(RoutingContext ctx) {
    String cursor = ctx.queryParams().get("cursor");
    int limit = limit(ctx.queryParams().get("limit"));
    io.executeBlocking(
            () -> {
              try {
                return jobs.list(cursor, limit);
              } catch (IllegalArgumentException e) {
                throw ApiException.badRequest("invalid_cursor", e.getMessage());
              }
            },
            false)
        .onSuccess(
            (Page<BatchProgress> page) -> {
              JsonArray out = new JsonArray();
              page.items().forEach(p -> out.add(json(p)));
              Json.send(
                  ctx, 200, new JsonObject().put("jobs", out).put("nextCursor", page.nextCursor()));
            })
        .onFailure(ctx::fail);
  }

  /** {@code GET /v1/batch/{jobId}}. */
  public void status(RoutingContext ctx) {
    String jobId = jobId(ctx);
    io.executeBlocking(() -> found(jobId, jobs.status(jobId)), false)
        .onSuccess(p -> Json.send(ctx, 200, json(p)))
        .onFailure(ctx::fail);
  }

  /** {@code POST /v1/batch/{jobId}/cancel} and {@code DELETE /v1/batch/{jobId}}. */
  public void cancel(RoutingContext ctx) {
    String jobId = jobId(ctx);
    io.executeBlocking(
            () -> {
              BatchProgress before = found(jobId, jobs.status(jobId));
              if (before.finished()) {
                throw new ApiException(
                    409,
                    "job_finished",
                    "batch job "
                        + jobId
                        + " is already "
                        + before.status().name().toLowerCase(Locale.ROOT));
              }
              return found(jobId, jobs.cancel(jobId));
            },
            false)
        .onSuccess(p -> Json.send(ctx, 202, json(p)))
        .onFailure(ctx::fail);
  }

  /** {@code POST /v1/batch/{jobId}/resume}. */
  public void resume(RoutingContext ctx) {
    String jobId = jobId(ctx);
    boolean takeOver =
        ctx.body().available()
            && ctx.body().length() > 0
            && Json.body(ctx).getBoolean("takeOver", false);
    io.executeBlocking(
            () -> {
              try {
                return jobs.resume(jobId, takeOver);
              } catch (UnknownJobException e) {
                throw ApiException.notFound("not_found", e.getMessage());
              } catch (JobConflictException e) {
                throw new ApiException(409, "job_conflict", e.getMessage());
              } catch (IllegalArgumentException e) {
                throw ApiException.badRequest("unknown_task", e.getMessage());
              } catch (BatchBusyException e) {
                throw new ApiException(503, "batch_busy", e.getMessage(), 30);
              }
            },
            false)
        .onSuccess(p -> accepted(ctx, p))
        .onFailure(ctx::fail);
  }

  private void accepted(RoutingContext ctx, BatchProgress p) {
    ctx.response().putHeader("Location", "/v1/batch/" + p.jobId());
    Json.send(ctx, 202, json(p));
  }

  private JsonObject json(BatchProgress p) {
    return new JsonObject(BatchProgressJson.toJson(p, clock.instant()).toString());
  }

  private static BatchProgress found(String jobId, Optional<BatchProgress> p) {
    return p.orElseThrow(() -> ApiException.notFound("not_found", "no batch job " + jobId));
  }

  private static BatchRequest request(JsonObject body) {
    Object task = body.getValue("task");
    Object prefix = body.getValue("prefix");
    Object flag = body.getValue("flag", false);
    if (!(task instanceof String t)
        || !(prefix instanceof String p)
        || !(flag instanceof Boolean f)) {
      throw new IllegalArgumentException(
          "the body must be {\"task\": string, \"prefix\": string, \"flag\"?: boolean}");
    }
    for (String key : body.fieldNames()) {
      if (!List.of("task", "prefix", "flag").contains(key)) {
        throw new IllegalArgumentException("unknown field '" + key + "'");
      }
    }
    return new BatchRequest(t, p, f);
  }

  private static String jobId(RoutingContext ctx) {
    String id = ctx.pathParam("jobId");
    if (id == null || !JOB_ID.matcher(id).matches()) {
      throw ApiException.badRequest(
          "invalid_job_id", "jobId must be 1-64 characters of [A-Za-z0-9_-]");
    }
    return id;
  }

  private static int limit(String value) {
    if (value == null) {
      return 50;
    }
    try {
      int n = Integer.parseInt(value);
      if (n >= 1 && n <= 1000) {
        return n;
      }
    } catch (NumberFormatException e) {
      // answered below
    }
    throw ApiException.badRequest("invalid_limit", "limit must be 1..1000, got '" + value + "'");
  }
}
