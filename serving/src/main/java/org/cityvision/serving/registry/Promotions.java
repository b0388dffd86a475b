package org.cityvision.serving.registry;

import java.nio.file.Path;
import org.cityvision.core.model.ModelException;
import org.cityvision.core.model.ModelPackage;
import org.cityvision.core.storage.ChecksumMismatchException;
import org.cityvision.core.storage.LivePointer;
import org.cityvision.core.storage.ModelManifest;
import org.cityvision.core.storage.ModelStore;
import org.cityvision.core.storage.ObjectNotFoundException;
import org.cityvision.core.storage.StorageException;

/**
 * An operator's promote, shared by {@code POST /v1/models/{name}/versions/{version}/promote} and
 * {@code cityvision models promote}: unless forced, the version must verify first (every file
 * against its manifest checksum, {@code model.json} naming this model and version, the same task as
 * the live version), so that a version no node could load is refused before any node tries. Then
 * {@link ModelStore#promote} changes the live pointer.
 */
public final class Promotions {
  private Promotions() {}

  /**
   * Verifies (unless {@code force}) and promotes. Blocking.
   *
   * @param cacheRoot where the verified copy is kept (a node's cache, so its swap finds it ready)
   * @throws InvalidPackageException when the version does not verify and {@code force} is false
   * @throws ObjectNotFoundException when the version does not exist
   * @throws org.cityvision.core.storage.ConflictException see {@link ModelStore#promote}
   */
  public static LivePointer promote(
      ModelStore store,
      Path cacheRoot,
      String name,
      String version,
      String expectedCurrent,
      String actor,
      String reason,
      boolean force)
      throws StorageException, InvalidPackageException {
    if (!force) {
      verify(store, cacheRoot, name, version);
    }
    return store.promote(name, version, expectedCurrent, actor, reason, force);
  }

  /** Checks that a version can be served, fetching a verified copy into {@code cacheRoot}. */
  public static void verify(ModelStore store, Path cacheRoot, String name, String version)
      throws StorageException, InvalidPackageException {
    ModelManifest manifest =
        store
            .manifest(name, version)
            .orElseThrow(
                () ->
                    new ObjectNotFoundException(
                        "no version " + version + " of model " + name + " in the store"));
    try {
      ModelPackage pkg = ModelPackage.read(store.fetch(name, version, cacheRoot));
      if (!pkg.spec().name().equals(name) || !pkg.spec().version().equals(version)) {
        throw invalid(
            name,
            version,
            "its model.json says " + pkg.spec().name() + " " + pkg.spec().version(),
            null);
      }
      LivePointer live = store.live(name).orElse(null);
      if (live != null) {
        String liveTask =
            store.manifest(name, live.version()).map(ModelManifest::task).orElse(manifest.task());
        if (!liveTask.equals(pkg.spec().task())) {
          throw invalid(
              name,
              version,
              "it answers task " + pkg.spec().task() + ", the live version " + liveTask,
              null);
        }
      }
    } catch (ChecksumMismatchException | ModelException e) {
      throw invalid(name, version, e.getMessage(), e);
    }
  }

  private static InvalidPackageException invalid(
      String name, String version, String why, Throwable cause) {
    return new InvalidPackageException(
        "version "
            + version
            + " of model "
            + name
            + " cannot be served: "
            + why
            + " (forcing promotes it anyway; nodes keep the version they serve)",
        cause);
  }
}
