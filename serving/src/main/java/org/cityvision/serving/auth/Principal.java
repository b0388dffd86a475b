package org.cityvision.serving.auth;

import java.util.Objects;
import org.cityvision.core.storage.KeyRole;

/**
 * Who is calling: the name and role of the API key presented.
 *
 * @param internal the node's own key ({@link ApiKeys#internalKey}): never rate-limited, and its
 *     requests are left out of the request metrics and the access log
 */
public record Principal(String name, KeyRole role, boolean internal) {
  public Principal {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(role, "role");
  }

  /** A stored key's principal. */
  public Principal(String name, KeyRole role) {
    this(name, role, false);
  }
}
