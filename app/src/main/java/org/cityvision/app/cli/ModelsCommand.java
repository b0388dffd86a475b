package org.cityvision.app.cli;

import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import org.cityvision.app.storage.StorageEndpoint;
import org.cityvision.core.naming.Names;
import org.cityvision.core.storage.ConflictException;
import org.cityvision.core.storage.FrameStore;
import org.cityvision.core.storage.LivePointer;
import org.cityvision.core.storage.ModelStore;
import org.cityvision.core.storage.ObjectNotFoundException;
import org.cityvision.core.storage.StorageException;
import org.cityvision.core.storage.StorageKeys;
import org.cityvision.serving.config.ConfigException;
import org.cityvision.serving.http.ApiException;
import org.cityvision.serving.registry.InvalidPackageException;
import org.cityvision.serving.registry.Promotions;
import org.cityvision.serving.registry.RegistryJson;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code cityvision models list|candidates|promote|rollback}: the model registry in the store that
 * {@code serve} uses (same {@code --data}, {@code --config} and environment). Every node sharing
 * the store follows a promote or rollback within {@code models.watchMs}. With the embedded store
 * the server must be stopped (one process owns the data directory); with a running server use the
 * HTTP API.
 *
 * <p>Exit codes: 0 done; 1 the store failed (or a candidate trained here failed); 2 bad arguments;
 * 3 no such model, version or candidate; 4 refused (already live, nothing to roll back to, another
 * change came first, a package that does not verify, too few verdicts for a candidate, a candidate
 * that has finished).
 */
@Command(
    name = "models",
    mixinStandardHelpOptions = true,
    description =
        "The model registry: list versions and which is live, candidates, promote a version, roll back.",
    subcommands = {
      ModelsCommand.ListModels.class,
      CandidatesCommand.class,
      ModelsCommand.Promote.class,
      ModelsCommand.Rollback.class
    })
public final class ModelsCommand implements Runnable {
  static final int STORE_FAILED = 1;
  static final int BAD_ARGUMENTS = 2;
  static final int NOT_FOUND = 3;
  static final int REFUSED = 4;

  @picocli.CommandLine.Spec picocli.CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(System.out);
  }

  /** Runs an action on the store and maps its failures to a message and an exit code. */
  abstract static class StoreAction extends KeysCommand.StoreOptions implements Callable<Integer> {
    abstract int run(ModelStore models) throws Exception;

    /** The action on the whole store; most actions need only its model registry. */
    int run(FrameStore store) throws Exception {
      return run(store.models());
    }

    @Override
    public Integer call() {
      try (StorageEndpoint endpoint = endpoint();
          FrameStore store = open(endpoint)) {
        return run(store);
      } catch (IllegalArgumentException e) {
        return fail(BAD_ARGUMENTS, e.getMessage());
      } catch (ObjectNotFoundException e) {
        return fail(NOT_FOUND, e.getMessage());
      } catch (ApiException e) {
        return fail(
            e.status() == 404
                ? NOT_FOUND
                : e.status() == 400 || e.status() == 409 ? REFUSED : STORE_FAILED,
            e.getMessage());
      } catch (ConflictException | InvalidPackageException e) {
        return fail(REFUSED, e.getMessage());
      } catch (StorageException | ConfigException | IOException e) {
        return fail(STORE_FAILED, e.getMessage());
      } catch (Exception e) {
        return fail(STORE_FAILED, e.toString());
      }
    }

    static int fail(int code, String message) {
      System.err.println("cityvision models: " + message);
      return code;
    }

    static void printChange(String what, LivePointer p) {
      System.err.println(
          what
              + ": model "
              + p.model()
              + " now serves "
              + p.version()
              + " (revision "
              + p.revision()
              + (p.previous() == null ? "" : "; rollback returns to " + p.previous())
              + ")");
      System.out.println(RegistryJson.pointer(p).put("model", p.model()).encode());
    }
  }

  @Command(
      name = "list",
      mixinStandardHelpOptions = true,
      description =
          "Each model's versions with their evaluation, the live version and its history (one JSON "
              + "object per model and line).")
  static final class ListModels extends StoreAction {
    @Option(names = "--name", description = "only this model")
    String name;

    @Override
    int run(ModelStore models) throws Exception {
      List<String> names =
          name == null ? models.models() : List.of(Names.requireSegment("--name", name));
      for (String n : names) {
        Optional<JsonObject> entry = RegistryJson.model(models, n, Optional.empty(), "cli");
        if (entry.isEmpty()) {
          return fail(
              NOT_FOUND, "no model named " + n + " in the store; models: " + models.models());
        }
        System.out.println(entry.get().encode());
      }
      return 0;
    }
  }

  @Command(
      name = "promote",
      mixinStandardHelpOptions = true,
      description =
          "Make a version live on every node sharing the store (verified first unless --force).")
  static final class Promote extends StoreAction {
    @Option(names = "--name", required = true, description = "the model")
    String name;

    @Option(names = "--version", required = true, description = "the version to make live")
    String version;

    @Option(
        names = "--force",
        description = "promote even a version that does not verify (recorded)")
    boolean force;

    @Option(names = "--reason", description = "why (recorded with the change)", defaultValue = "")
    String reason;

    @Override
    int run(ModelStore models) throws Exception {
      Names.requireSegment("--name", name);
      StorageKeys.requireModelVersion(version);
      Path cache = Files.createTempDirectory("cityvision-models-verify");
      try {
        printChange(
            "promoted",
            Promotions.promote(models, cache, name, version, null, "cli", reason, force));
        return 0;
      } finally {
        deleteTree(cache);
      }
    }
  }

  /** The verification copy is this process's own; it goes when the command ends. */
  private static void deleteTree(Path dir) throws IOException {
    try (Stream<Path> walk = Files.walk(dir)) {
      for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    }
  }

  @Command(
      name = "rollback",
      mixinStandardHelpOptions = true,
      description = "Return a model to the version live before the current one.")
  static final class Rollback extends StoreAction {
    @Option(names = "--name", required = true, description = "the model")
    String name;

    @Option(names = "--reason", description = "why (recorded with the change)", defaultValue = "")
    String reason;

    @Override
    int run(ModelStore models) throws Exception {
      printChange(
          "rolled back", models.rollback(Names.requireSegment("--name", name), "cli", reason));
      return 0;
    }
  }
}
