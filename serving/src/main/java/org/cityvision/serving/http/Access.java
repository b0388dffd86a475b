package org.cityvision.serving.http;

import java.util.EnumSet;
import java.util.Locale;
import java.util.Objects;
import java.util.Set;
import org.cityvision.core.auth.KeyRole;

/**
 * Who may call a route: nobody needs a key ({@link #OPEN}), or the request's {@code Authorization:
 * Bearer} key must have one of {@link #roles()}. An admin key is admitted by every keyed route.
 *
 * @param roles the roles admitted besides admin; empty for an open route
 */
public record Access(Set<KeyRole> roles) {
  /** No key needed: health, metrics, the OpenAPI document, the review page's files. */
  public static final Access OPEN = new Access(Set.of());

  /** Any valid key. */
  public static final Access ANY_KEY = new Access(EnumSet.allOf(KeyRole.class));

  /** Admin keys only. */
  public static final Access ADMIN = new Access(EnumSet.of(KeyRole.ADMIN));

  public Access {
    roles = Set.copyOf(Objects.requireNonNull(roles, "roles"));
  }

  /** Keys of {@code role} (and admin keys). */
  public static Access role(KeyRole role) {
    return new Access(EnumSet.of(KeyRole.ADMIN, role));
  }

  /** Whether the route is open to requests without a key. */
  public boolean open() {
    return roles.isEmpty();
  }

  @Override
  public String toString() {
    return open()
        ? "open"
        : roles.stream().map(r -> r.name().toLowerCase(Locale.ROOT)).sorted().toList().toString();
  }
}
