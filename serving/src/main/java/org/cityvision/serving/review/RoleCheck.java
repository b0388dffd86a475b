package org.cityvision.serving.review;

import io.vertx.core.Handler;
import io.vertx.ext.web.RoutingContext;
import java.util.Set;
import org.cityvision.core.storage.KeyRole;

/**
 * The one thing the review API needs from authentication: a route handler that lets a request
 * through only when its {@code Authorization: Bearer} key has one of some roles, and the name of
 * that key afterwards (recorded as the reviewer of a verdict).
 *
 * <p>The serving auth implements it; tests use a small implementation over the store's API keys.
 *
 * <h2>Obligations</h2>
 * The handler of {@link #require} must never block the event loop; on success it calls {@code
 * ctx.next()}, on failure it fails the context with status 401 (no or unknown key) or 403 (key
 * without the role).
 */
public interface RoleCheck {
  /** A handler admitting requests whose key has one of {@code roles}. */
  Handler<RoutingContext> require(Set<KeyRole> roles);

  /**
   * The name of the key that {@link #require} admitted for this request.
   *
   * @throws IllegalStateException if no {@link #require} handler ran before
   */
  String principal(RoutingContext ctx);
}
