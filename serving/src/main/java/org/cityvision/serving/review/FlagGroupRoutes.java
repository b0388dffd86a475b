package org.cityvision.serving.review;

import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.Callable;
import org.cityvision.core.frame.FrameId;
import org.cityvision.core.review.FlagRecord;
import org.cityvision.core.review.FlagStatus;
import org.cityvision.core.storage.ConflictException;
import org.cityvision.core.storage.ObjectNotFoundException;
import org.cityvision.core.storage.StorageException;
import org.cityvision.serving.auth.Authenticator;
import org.cityvision.serving.http.ApiException;
import org.cityvision.serving.http.Json;

/**
 * Near-duplicate groups in the review API (see {@code docs/REVIEW.md}): {@code GET
 * /v1/flags?group=true} answers one entry per group with its members, and {@code POST
 * /v1/flag-groups/{groupId}/review} judges a group's members with one verdict, each member recorded
 * as its own verdict (flag revision, reviews log, counts, webhooks), never overwriting a member
 * someone else judged meanwhile.
 *
 * <p>Every store call runs on {@link ReviewDeps#worker()}.
 */
final class FlagGroupRoutes {
  /** A group verdict judges at most this many members, as a bulk verdict. */
  static final int MAX_MEMBERS = ReviewRoutes.MAX_BULK;

  private static final Set<String> FIELDS = Set.of("verdict", "label", "note", "members");

  private final ReviewDeps deps;

  FlagGroupRoutes(ReviewDeps deps) {
    this.deps = deps;
  }

  /** {@code group=true|false} of {@code GET /v1/flags} (absent: false). */
  static boolean groupParam(MultiMap params) {
    String v = params.get("group");
    if (v == null || v.equals("false")) {
      return false;
    }
    if (v.equals("true")) {
      return true;
    }
    throw new IllegalArgumentException("group must be true or false, got '" + v + "'");
  }

  /**
   * A list page with one entry per group: the first (newest, or first in the page's order) member
   * of each group on the page stands for it, with {@code groupSize} and {@code members} (the
   * group's frame ids in that member's status, newest first, read from the group's own index, so
   * members on later pages are counted too); its other members on the page are left out. A flag
   * without a group is a group of one.
   */
  Future<JsonObject> collapse(JsonObject page) {
    JsonArray items = page.getJsonArray("items");
    Map<String, JsonObject> firsts = new LinkedHashMap<>();
    List<JsonObject> kept = new ArrayList<>();
    for (int i = 0; i < items.size(); i++) {
      JsonObject item = items.getJsonObject(i);
      String group = item.getString("group");
      if (group == null) {
        kept.add(
            item.put("groupSize", 1)
                .put("members", new JsonArray().add(item.getString("frameId"))));
      } else if (!firsts.containsKey(group)) {
        firsts.put(group, item);
        kept.add(item);
      }
    }
    List<Future<List<String>>> reads = new ArrayList<>();
    List<JsonObject> heads = new ArrayList<>(firsts.values());
    for (JsonObject head : heads) {
      FlagStatus status = FlagStatus.fromKeyName(head.getString("status"));
      String group = head.getString("group");
      reads.add(blocking(() -> deps.store().flagGroups().members(group, status, MAX_MEMBERS)));
    }
    return Future.all(reads)
        .map(
            all -> {
              for (int i = 0; i < heads.size(); i++) {
                JsonObject head = heads.get(i);
                // The entry's own flag first (a marker may land a moment after its flag).
                Set<String> members = new LinkedHashSet<>();
                members.add(head.getString("frameId"));
                members.addAll(all.<List<String>>resultAt(i));
                head.put("groupSize", members.size())
                    .put("members", new JsonArray(List.copyOf(members)));
              }
              return page.put("items", new JsonArray(new ArrayList<>(kept)));
            });
  }

  /**
   * {@code POST /v1/flag-groups/{groupId}/review {"verdict", "label"?, "note"?, "members"?}}:
   * judges the members the reviewer saw ({@code members}), or every open member of the group. All
   * is checked before anything is judged: each named member must be of this group (400 naming it),
   * a relabel's label one of each member's model's labels. Each member is then judged like a single
   * verdict without override, and reported with the status that would have had: 200, 404, or 409
   * when someone judged it meanwhile (never overwritten).
   */
  void review(RoutingContext ctx) {
    String groupId;
    try {
      groupId = FrameId.parse(ctx.pathParam("groupId")).value();
    } catch (IllegalArgumentException e) {
      throw ApiException.badRequest(
          "invalid_frame_id",
          "group ids are frame ids (the group's first flag): " + e.getMessage());
    }
    JsonObject body = Json.body(ctx);
    for (String field : body.fieldNames()) {
      if (!FIELDS.contains(field)) {
        throw new IllegalArgumentException(
            "unknown field '"
                + field
                + "' in a group verdict; fields: "
                + new TreeSet<>(FIELDS)
                + " (a group verdict never overrides another reviewer's)");
      }
    }
    List<String> named = members(body.getValue("members"));
    JsonObject verdictBody = body.copy();
    verdictBody.remove("members");
    VerdictRequest verdict = VerdictRequest.parse(verdictBody, groupId, List.of());
    String reviewer = Authenticator.principal(ctx).name();
    judge(groupId, named, verdict, reviewer)
        .onSuccess(
            out -> {
              ctx.response().putHeader("Cache-Control", "no-store");
              Json.send(ctx, 200, out);
            })
        .onFailure(ctx::fail);
  }

  /**
   * The body's {@code members}: {@code null} when absent, else 1..{@link #MAX_MEMBERS} frame ids.
   */
  private static List<String> members(Object value) {
    if (value == null) {
      return null;
    }
    if (!(value instanceof JsonArray array) || array.isEmpty() || array.size() > MAX_MEMBERS) {
      throw new IllegalArgumentException(
          "members must be an array of 1.." + MAX_MEMBERS + " frame ids of the group");
    }
    Set<String> ids = new LinkedHashSet<>();
    for (int i = 0; i < array.size(); i++) {
      if (!(array.getValue(i) instanceof String id)) {
        throw new IllegalArgumentException("members[" + i + "] must be a string");
      }
      try {
        ids.add(FrameId.parse(id).value());
      } catch (IllegalArgumentException e) {
        throw ApiException.badRequest("invalid_frame_id", "members[" + i + "]: " + e.getMessage());
      }
    }
    return List.copyOf(ids);
  }

  /**
   * Reads the members' flags in parallel and checks them all, then judges them in parallel (each
   * its own conditional write, as concurrent single verdicts would be), reporting in member order.
   */
  private Future<JsonObject> judge(
      String groupId, List<String> named, VerdictRequest verdict, String reviewer) {
    Future<List<String>> ids =
        named != null
            ? Future.succeededFuture(named)
            : blocking(
                () -> deps.store().flagGroups().members(groupId, FlagStatus.OPEN, MAX_MEMBERS));
    return ids.compose(
        members -> {
          if (members.isEmpty()) {
            return Future.failedFuture(
                new ObjectNotFoundException("group " + groupId + " has no open flags"));
          }
          List<Future<FlagRecord>> heads = new ArrayList<>();
          for (String id : members) {
            heads.add(
                blocking(
                    () -> {
                      try {
                        return deps.store().flag(id);
                      } catch (ObjectNotFoundException e) {
                        return null;
                      }
                    }));
          }
          return Future.all(heads)
              .compose(
                  all -> {
                    List<VerdictRequest> requests = new ArrayList<>();
                    for (int i = 0; i < members.size(); i++) {
                      VerdictRequest request =
                          checked(groupId, members.get(i), all.resultAt(i), named != null, verdict);
                      if (request != null) {
                        requests.add(request);
                      }
                    }
                    return judgeAll(groupId, requests, reviewer);
                  });
        });
  }

  /**
   * The verdict for one member, checked: of this group, a label of its model; {@code null} for a
   * listed member whose flag is gone (a marker a crash left behind).
   */
  private VerdictRequest checked(
      String groupId, String id, FlagRecord flag, boolean named, VerdictRequest verdict) {
    if (flag == null) {
      if (named) {
        throw new IllegalArgumentException(
            "members: " + id + " has no flag, so it is not a member of group " + groupId);
      }
      return null;
    }
    if (!groupId.equals(flag.group())) {
      throw new IllegalArgumentException(
          "members: "
              + id
              + " is not a member of group "
              + groupId
              + (flag.group() == null
                  ? " (it has no group)"
                  : " (its group is " + flag.group() + ")"));
    }
    VerdictRequest request =
        new VerdictRequest(id, verdict.verdict(), verdict.label(), verdict.note(), false);
    request.checkLabel(deps.models().get(), flag.model());
    return request;
  }

  private Future<JsonObject> judgeAll(
      String groupId, List<VerdictRequest> requests, String reviewer) {
    List<Future<JsonObject>> outcomes = new ArrayList<>();
    for (VerdictRequest request : requests) {
      outcomes.add(
          blocking(
              () -> {
                JsonObject r = new JsonObject().put("frameId", request.frameId());
                try {
                  FlagRecord flag = deps.store().reviewFlag(request.review(reviewer));
                  deps.events().flagReviewed(flag);
                  return r.put("status", 200).put("flag", ReviewJson.flag(flag));
                } catch (ObjectNotFoundException e) {
                  return r.put("status", 404).put("error", error("not_found", e));
                } catch (ConflictException e) {
                  return r.put("status", 409).put("error", error("conflict", e));
                }
              }));
    }
    return Future.all(outcomes)
        .map(
            all -> {
              JsonArray results = new JsonArray();
              int ok = 0;
              for (int i = 0; i < outcomes.size(); i++) {
                JsonObject r = all.resultAt(i);
                results.add(r);
                ok += r.getInteger("status") == 200 ? 1 : 0;
              }
              return new JsonObject()
                  .put("groupId", groupId)
                  .put("succeeded", ok)
                  .put("failed", requests.size() - ok)
                  .put("results", results);
            });
  }

  private static JsonObject error(String code, StorageException e) {
    return new JsonObject().put("code", code).put("message", e.getMessage());
  }

  private <T> Future<T> blocking(Callable<T> call) {
    return deps.worker().executeBlocking(call, false);
  }
}
