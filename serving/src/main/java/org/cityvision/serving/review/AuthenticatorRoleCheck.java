package org.cityvision.serving.review;

import io.vertx.core.Handler;
import io.vertx.ext.web.RoutingContext;
import java.util.Objects;
import java.util.Set;
import org.cityvision.core.storage.KeyRole;
import org.cityvision.serving.auth.Authenticator;
import org.cityvision.serving.auth.Principal;

/** The server's {@link Authenticator} as the review API's {@link RoleCheck}. */
public final class AuthenticatorRoleCheck implements RoleCheck {
  private final Authenticator auth;

  public AuthenticatorRoleCheck(Authenticator auth) {
    this.auth = Objects.requireNonNull(auth, "auth");
  }

  @Override
  public Handler<RoutingContext> require(Set<KeyRole> roles) {
    return auth.require(roles.toArray(KeyRole[]::new));
  }

  @Override
  public String principal(RoutingContext ctx) {
    Principal p = Authenticator.principal(ctx);
    if (p == null) {
      throw new IllegalStateException("no principal: the role check did not run before this handler");
    }
    return p.name();
  }
}
