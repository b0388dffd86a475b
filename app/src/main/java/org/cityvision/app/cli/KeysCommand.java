package org.cityvision.app.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import org.cityvision.app.storage.StorageEndpoint;
import org.cityvision.core.auth.ApiKeyRecord;
import org.cityvision.core.auth.CameraScope;
import org.cityvision.core.auth.KeyRole;
import org.cityvision.core.storage.ConflictException;
import org.cityvision.core.storage.FrameStore;
import org.cityvision.core.storage.FrameStores;
import org.cityvision.core.storage.StorageConfig;
import org.cityvision.core.storage.StorageException;
import org.cityvision.serving.auth.ApiKeys;
import org.cityvision.serving.auth.KeyRoutes;
import org.cityvision.serving.config.ConfigException;
import org.cityvision.serving.config.ConfigLoader;
import org.cityvision.serving.config.Home;
import org.cityvision.serving.config.Secrets;
import org.cityvision.serving.config.ServerConfig;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code cityvision keys create|list|delete}: manages API keys directly in the store that {@code
 * serve} uses (same {@code --data}, {@code --config} and environment). With the embedded store the
 * server must be stopped (one process owns the data directory); with a running server, use {@code
 * POST /v1/keys} instead.
 */
@Command(
    name = "keys",
    mixinStandardHelpOptions = true,
    description = "Manage API keys: create (prints the new key once), list, delete.",
    subcommands = {KeysCommand.Create.class, KeysCommand.ListKeys.class, KeysCommand.Delete.class})
public final class KeysCommand implements Runnable {
  @picocli.CommandLine.Spec picocli.CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(System.out);
  }

  /** Options every subcommand shares. */
  static class StoreOptions {
    @Option(
        names = "--data",
        description = "data directory of the embedded store (env CITYVISION_DATA; default ./data)")
    Path data;

    @Option(
        names = "--config",
        description = "the server's JSON configuration file (env CITYVISION_CONFIG)")
    Path config;

    /** The server's configuration as {@code serve} would read it, with {@code --data}. */
    ServerConfig serverConfig() throws ConfigException {
      Map<String, String> env = System.getenv();
      Path file =
          config != null
              ? config
              : env.get("CITYVISION_CONFIG") == null || env.get("CITYVISION_CONFIG").isBlank()
                  ? null
                  : Path.of(env.get("CITYVISION_CONFIG"));
      ServerConfig cfg = ConfigLoader.load(file, env, Home.root());
      return data != null ? cfg.withData(data) : cfg;
    }

    /**
     * The store's endpoint, with an embedded server started when none is configured; the caller
     * closes it after the store.
     */
    StorageEndpoint endpoint() throws ConfigException, StorageException {
      return StorageEndpoint.of(serverConfig(), Secrets.fromEnvironment(System.getenv()));
    }

    /** Opens the store at {@code endpoint}; the caller closes it before the endpoint. */
    FrameStore open(StorageEndpoint endpoint) throws StorageException, IOException {
      ServerConfig cfg = endpoint.config();
      Path dataDir = cfg.data();
      if (!endpoint.embedded()) {
        // An external MinIO: keep this short-lived process's spool away from a running server's.
        dataDir = Files.createTempDirectory("cityvision-cli");
      }
      StorageConfig storage = cfg.storage().storageConfig(dataDir, endpoint.secrets());
      try {
        return FrameStores.open(storage);
      } catch (StorageException e) {
        throw new StorageException(
            e.getMessage()
                + " (is 'cityvision serve' running on "
                + cfg.data()
                + "? Only one process can hold an embedded store: stop it, or use the HTTP API with an admin key)",
            e);
      }
    }
  }

  @Command(
      name = "create",
      mixinStandardHelpOptions = true,
      description = "Create a key and print it (once).")
  static final class Create extends StoreOptions implements Callable<Integer> {
    @Option(names = "--role", required = true, description = "camera, sorter, reviewer or admin")
    String role;

    @Option(names = "--name", required = true, description = "a unique name, " + ApiKeys.NAME_RULE)
    String name;

    @Option(
        names = "--camera",
        description = "camera keys: a camera id the key may post as (repeat for more)")
    List<String> cameras = new ArrayList<>();

    @Option(
        names = "--camera-prefix",
        description = "camera keys: the key may post as any camera id with this prefix")
    String cameraPrefix;

    @Option(
        names = "--allow-capture-override",
        description =
            "the key may send X-Capture: always|never to "
                + "POST /v1/classify/{task}, overriding the node's capture policy for its requests")
    boolean allowCaptureOverride;

    @Override
    public Integer call() throws Exception {
      KeyRole r;
      try {
        r = KeyRole.valueOf(role.strip().toUpperCase(Locale.ROOT));
      } catch (IllegalArgumentException e) {
        System.err.println(
            "cityvision keys: --role must be camera, sorter, reviewer or admin, got '"
                + role
                + "'");
        return 2;
      }
      if (!ApiKeys.isValidName(name)) {
        System.err.println("cityvision keys: --name must be " + ApiKeys.NAME_RULE);
        return 2;
      }
      CameraScope scope = new CameraScope(cameras, cameraPrefix);
      if (scope.bound() && r != KeyRole.CAMERA) {
        System.err.println("cityvision keys: --camera and --camera-prefix bind camera keys only");
        return 2;
      }
      try (StorageEndpoint endpoint = endpoint();
          FrameStore store = open(endpoint)) {
        ApiKeys.Created created =
            new ApiKeys(store, Clock.systemUTC()).create(name, r, scope, allowCaptureOverride);
        System.err.println(
            "created "
                + r.name().toLowerCase(Locale.ROOT)
                + " key '"
                + name
                + "'; it is shown only this once:");
        System.out.println(created.key());
        return 0;
      } catch (ConflictException e) {
        System.err.println("cityvision keys: a key named '" + name + "' exists");
        return 1;
      } catch (StorageException | ConfigException e) {
        System.err.println("cityvision keys: " + e.getMessage());
        return 1;
      }
    }
  }

  @Command(
      name = "list",
      mixinStandardHelpOptions = true,
      description =
          "List keys: name, role, created, the cameras a camera key may post as; warns of unbound camera keys.")
  static final class ListKeys extends StoreOptions implements Callable<Integer> {
    @Override
    public Integer call() throws Exception {
      try (StorageEndpoint endpoint = endpoint();
          FrameStore store = open(endpoint)) {
        for (ApiKeyRecord k : store.apiKeys()) {
          String cameras = k.role() == KeyRole.CAMERA ? "\t" + k.scope().describe() : "";
          System.out.println(
              k.name()
                  + "\t"
                  + k.role().name().toLowerCase(Locale.ROOT)
                  + "\t"
                  + k.createdAt()
                  + cameras);
          KeyRoutes.unboundWarning(k)
              .ifPresent(w -> System.err.println("warning: key '" + k.name() + "': " + w));
        }
        return 0;
      } catch (StorageException | ConfigException e) {
        System.err.println("cityvision keys: " + e.getMessage());
        return 1;
      }
    }
  }

  @Command(name = "delete", mixinStandardHelpOptions = true, description = "Delete a key by name.")
  static final class Delete extends StoreOptions implements Callable<Integer> {
    @Option(names = "--name", required = true)
    String name;

    @Override
    public Integer call() throws Exception {
      try (StorageEndpoint endpoint = endpoint();
          FrameStore store = open(endpoint)) {
        if (!new ApiKeys(store, Clock.systemUTC()).delete(name)) {
          System.err.println("cityvision keys: no key named '" + name + "'");
          return 1;
        }
        System.err.println("deleted key '" + name + "'");
        return 0;
      } catch (StorageException | ConfigException | IllegalArgumentException e) {
        System.err.println("cityvision keys: " + e.getMessage());
        return 1;
      }
    }
  }
}
