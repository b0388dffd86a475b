package org.cityvision.serving.auth;

import java.util.Objects;
import org.cityvision.core.storage.KeyRole;

/** Who is calling: the name and role of the API key presented. */
public record Principal(String name, KeyRole role) {
  public Principal {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(role, "role");
  }
}
