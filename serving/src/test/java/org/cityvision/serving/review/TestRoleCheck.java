package org.cityvision.serving.review;

import io.vertx.core.Handler;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.HttpException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.Map;
import java.util.Set;
import org.cityvision.core.storage.ApiKeyRecord;
import org.cityvision.core.storage.FrameStore;
import org.cityvision.core.storage.KeyRole;
import org.cityvision.core.storage.StorageException;

/** Bearer keys checked against the store's hashed API keys, read once (the keys exist before). */
final class TestRoleCheck implements RoleCheck {
  private static final String PRINCIPAL = "test.principal";
  private final Map<String, ApiKeyRecord> byHash = new HashMap<>();

  TestRoleCheck(FrameStore store) throws StorageException {
    for (ApiKeyRecord r : store.apiKeys()) {
      byHash.put(r.keyHash(), r);
    }
  }

  static String hash(String key) {
    try {
      return HexFormat.of().formatHex(
          MessageDigest.getInstance("SHA-256").digest(key.getBytes(StandardCharsets.UTF_8)));
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  @Override
  public Handler<RoutingContext> require(Set<KeyRole> roles) {
    return ctx -> {
      String header = ctx.request().getHeader("Authorization");
      ApiKeyRecord key = header == null || !header.startsWith("Bearer ")
          ? null : byHash.get(hash(header.substring(7).strip()));
      if (key == null) {
        ctx.fail(new HttpException(401, "send a reviewer key as 'Authorization: Bearer <key>'"));
      } else if (!roles.contains(key.role())) {
        ctx.fail(new HttpException(403, "a " + key.role() + " key may not review"));
      } else {
        ctx.put(PRINCIPAL, key.name());
        ctx.next();
      }
    };
  }

  @Override
  public String principal(RoutingContext ctx) {
    return ctx.get(PRINCIPAL);
  }
}
