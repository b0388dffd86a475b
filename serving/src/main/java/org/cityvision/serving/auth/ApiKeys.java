package org.cityvision.serving.auth;

import java.security.SecureRandom;
import java.time.Clock;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;
import java.util.regex.Pattern;
import org.cityvision.core.auth.ApiKeyRecord;
import org.cityvision.core.auth.CameraScope;
import org.cityvision.core.auth.KeyRole;
import org.cityvision.core.digest.Sha256;
import org.cityvision.core.naming.Names;
import org.cityvision.core.storage.ConflictException;
import org.cityvision.core.storage.FrameStore;
import org.cityvision.core.storage.StorageException;

/**
 * The API keys of the system. Keys live in the shared store as SHA-256 hashes only, so every node
 * sees the same keys and a leaked store does not leak keys. Each node caches them by hash for
 * lookups on the event loop and re-reads them periodically ({@link #reload}) and when an unknown
 * key is presented ({@link Authenticator} paces those reloads), so a key created on one node works
 * on another at once and a deleted key stops working within the refresh interval.
 *
 * <p>{@link #lookup} is non-blocking; every other method calls the store and must run off the event
 * loop. Thread-safe.
 */
public final class ApiKeys {
  private static final SecureRandom RANDOM = new SecureRandom();
  private static final String PREFIX = "cvk_";

  /** The rule for key names, as messages state it. */
  public static final String NAME_RULE = "1-64 characters of [A-Za-z0-9_-]";

  private static final Pattern NAME = Pattern.compile("[A-Za-z0-9_-]{1,64}");

  private final FrameStore store;
  private final Clock clock;

  /** The stored keys and the internal ones, by hash: what {@link #lookup} reads. */
  private volatile Map<String, Principal> byHash = Map.of();

  /** The node's own keys, which live in memory only. Guarded by {@code this}. */
  private final Map<String, Principal> internal = new HashMap<>();

  public ApiKeys(FrameStore store, Clock clock) {
    this.store = store;
    this.clock = clock;
  }

  /** A new random key: {@code cvk_} and 43 URL-safe characters (256 bits). */
  public static String newKey() {
    byte[] b = new byte[32];
    RANDOM.nextBytes(b);
    return PREFIX + Base64.getUrlEncoder().withoutPadding().encodeToString(b);
  }

  /** Whether {@code name} is a valid key name ({@link #NAME_RULE}; {@code null} is not). */
  public static boolean isValidName(String name) {
    return name != null && NAME.matcher(name).matches();
  }

  /** Lower-case hex SHA-256 of a key, as stored. */
  public static String hash(String key) {
    return Sha256.hex(key);
  }

  /** The principal of a presented key, from the cache. Non-blocking. */
  public Optional<Principal> lookup(String presentedKey) {
    return Optional.ofNullable(byHash.get(hash(presentedKey)));
  }

  /** Re-reads every key from the store. Blocking. */
  public void reload() throws StorageException {
    Map<String, Principal> fresh = new HashMap<>();
    for (ApiKeyRecord r : store.apiKeys()) {
      fresh.put(r.keyHash(), principal(r));
    }
    synchronized (this) {
      fresh.putAll(internal);
      byHash = Map.copyOf(fresh);
    }
  }

  /**
   * A random key that only this node knows and that is never stored: the node's own requests to
   * itself (the start-up warm-up) use it. Its principal is {@linkplain Principal#internal()
   * internal}; its name, {@code node:} and {@code name}, cannot be a stored key's. It works until
   * closed. Non-blocking.
   */
  public InternalKey internalKey(String name, KeyRole role) {
    String key = newKey();
    String h = hash(key);
    Principal principal = new Principal("node:" + name, role, true);
    update(
        keys -> {
          internal.put(h, principal);
          keys.put(h, principal);
        });
    return new InternalKey(
        key,
        () ->
            update(
                keys -> {
                  internal.remove(h);
                  keys.remove(h);
                }));
  }

  /** An internal key; {@link #close} revokes it. */
  public static final class InternalKey implements AutoCloseable {
    private final String key;
    private final Runnable revoke;

    private InternalKey(String key, Runnable revoke) {
      this.key = key;
      this.revoke = revoke;
    }

    public String key() {
      return key;
    }

    @Override
    public void close() {
      revoke.run();
    }

    @Override
    public String toString() {
      return "InternalKey[hidden]";
    }
  }

  /**
   * Creates a key and returns it; the key itself is never stored or shown again. Blocking.
   *
   * @throws ConflictException if a key of that name exists
   * @throws IllegalArgumentException if the name is not 1-64 of {@code [A-Za-z0-9_-]}
   */
  public Created create(String name, KeyRole role) throws StorageException {
    return create(name, role, CameraScope.ANY);
  }

  /**
   * Creates a key bound to the cameras of {@code scope} (camera keys only); see {@link
   * #create(String, KeyRole)}.
   *
   * @throws IllegalArgumentException if a key of another role is given a bound scope
   */
  public Created create(String name, KeyRole role, CameraScope scope) throws StorageException {
    return create(name, role, scope, false);
  }

  /**
   * Creates a key; see {@link #create(String, KeyRole, CameraScope)}.
   *
   * @param allowCaptureOverride the key may send {@code X-Capture} to {@code POST
   *     /v1/classify/{task}}
   */
  public Created create(String name, KeyRole role, CameraScope scope, boolean allowCaptureOverride)
      throws StorageException {
    Names.requireSegment("name", name);
    String key = newKey();
    ApiKeyRecord record =
        new ApiKeyRecord(
            name,
            role,
            hash(key),
            clock.instant(),
            scope.ids(),
            scope.prefix(),
            allowCaptureOverride);
    store.createApiKey(record);
    remember(record);
    return new Created(record, key);
  }

  /** Lists keys (never their hashes beyond this process). Blocking. */
  public List<ApiKeyRecord> list() throws StorageException {
    return store.apiKeys();
  }

  /**
   * Deletes a key; {@code false} if there was none. Blocking.
   *
   * @throws LastAdminKeyException if it is the last admin key: nobody could then manage keys
   */
  public boolean delete(String name) throws StorageException {
    Names.requireSegment("name", name);
    List<ApiKeyRecord> all = store.apiKeys();
    boolean admin = all.stream().anyMatch(r -> r.name().equals(name) && r.role() == KeyRole.ADMIN);
    if (admin && all.stream().noneMatch(r -> !r.name().equals(name) && r.role() == KeyRole.ADMIN)) {
      throw new LastAdminKeyException(name);
    }
    boolean deleted = store.deleteApiKey(name);
    update(keys -> keys.values().removeIf(p -> !p.internal() && p.name().equals(name)));
    return deleted;
  }

  /**
   * Makes sure someone can administer a new installation. With {@code adminKey} (from {@code
   * CITYVISION_ADMIN_KEY}), stores it as an admin key unless already stored. Otherwise, when the
   * store has no keys at all, creates an admin key named {@code admin} and returns it (to be shown
   * once). When two nodes bootstrap one empty store at once, one wins and the other returns empty.
   * Blocking.
   */
  public Optional<Created> bootstrap(String adminKey) throws StorageException {
    List<ApiKeyRecord> existing = store.apiKeys();
    if (adminKey != null) {
      String h = hash(adminKey);
      if (existing.stream().noneMatch(r -> r.keyHash().equals(h))) {
        for (int i = 0; i < 100; i++) {
          String name = i == 0 ? "admin" : "admin-" + i;
          if (existing.stream().anyMatch(r -> r.name().equals(name))) {
            continue;
          }
          try {
            store.createApiKey(new ApiKeyRecord(name, KeyRole.ADMIN, h, clock.instant()));
            break;
          } catch (ConflictException e) {
            existing = store.apiKeys();
            if (existing.stream().anyMatch(r -> r.keyHash().equals(h))) {
              break;
            }
          }
        }
      }
      reload();
      return Optional.empty();
    }
    if (!existing.isEmpty()) {
      reload();
      return Optional.empty();
    }
    try {
      return Optional.of(create("admin", KeyRole.ADMIN));
    } catch (ConflictException e) {
      return Optional.empty();
    } finally {
      reload();
    }
  }

  private void remember(ApiKeyRecord record) {
    update(keys -> keys.put(record.keyHash(), principal(record)));
  }

  private static Principal principal(ApiKeyRecord r) {
    return new Principal(r.name(), r.role(), false, r.scope(), r.allowCaptureOverride());
  }

  /** Refusal to delete the last admin key. */
  public static final class LastAdminKeyException extends ConflictException {
    LastAdminKeyException(String name) {
      super("'" + name + "' is the last admin key; create another admin key before deleting it");
    }
  }

  /** Publishes a changed copy of the cache; changes are serialised, lookups never wait. */
  private synchronized void update(Consumer<Map<String, Principal>> change) {
    Map<String, Principal> copy = new HashMap<>(byHash);
    change.accept(copy);
    byHash = Map.copyOf(copy);
  }

  /** A key just created: its record, and the key itself, shown once. */
  public record Created(ApiKeyRecord record, String key) {
    @Override
    public String toString() {
      return "Created[" + record.name() + ", " + record.role() + "]";
    }
  }
}
