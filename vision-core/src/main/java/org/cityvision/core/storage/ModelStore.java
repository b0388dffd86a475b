package org.cityvision.core.storage;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.cityvision.core.model.ModelPackage;

/**
 * The model registry in the store: model packages by name and version, each file checksummed in a
 * {@link ModelManifest}, and one live pointer per model ({@link LivePointer}) that every node
 * follows. The store is the source of truth for what serves; the package folders a node is
 * configured with only seed it ({@link #seed}).
 *
 * <h2>Concurrency</h2>
 *
 * A version is put once: its manifest is written last with {@code If-None-Match: *}, and a version
 * whose manifest exists is refused. The live pointer is a chain of revisions, each created with
 * {@code If-None-Match: *} (atomic in MinIO and in S3Proxy's filesystem backend, unlike {@code
 * If-Match}): a change reads revision {@code n} and creates {@code n+1}, so of two concurrent
 * changes one creates it and the other gets {@link ConflictException}. Nothing is lost if a process
 * dies mid-way: files without a manifest are an unfinished upload no reader follows, and a pointer
 * revision exists whole or not at all.
 *
 * <p>Thread-safe. Obtained from {@link FrameStore#models()}; it lives as long as its store, which
 * owns it.
 */
public interface ModelStore {
  /** The names of the models that have a version or a live pointer in the store, sorted. */
  List<String> models() throws StorageException;

  /** Every complete version of a model, oldest first (empty for an unknown model). */
  List<ModelManifest> versions(String name) throws StorageException;

  /** The manifest of one version, if the version exists (is complete). */
  Optional<ModelManifest> manifest(String name, String version) throws StorageException;

  /**
   * One file of a version, checked against its object checksum and the manifest.
   *
   * @throws ObjectNotFoundException when the version or the file does not exist
   * @throws ChecksumMismatchException when the bytes are not the ones the manifest lists
   */
  byte[] readFile(String name, String version, String path) throws StorageException;

  /**
   * Puts a package folder as version {@code pkg.spec().version()} of model {@code
   * pkg.spec().name()}: every regular file under the folder (hidden files excepted), then the
   * manifest.
   *
   * @param actor who puts it (recorded in the manifest)
   * @throws ConflictException when that version exists: versions are never reused
   * @throws StorageException when a file cannot be read or the store fails (nothing becomes
   *     visible)
   */
  ModelManifest put(ModelPackage pkg, String actor) throws StorageException;

  /**
   * A verified local copy of a version under {@code cacheRoot/{name}/{version}}, downloaded unless
   * a copy whose every file matches the manifest is there already. Downloads go to a temporary
   * folder that is renamed into place once complete, so a reader never sees half a package.
   *
   * @return the package folder
   * @throws ObjectNotFoundException when the version does not exist
   * @throws ChecksumMismatchException when a file in the store is corrupt or missing
   */
  Path fetch(String name, String version, Path cacheRoot) throws StorageException;

  /**
   * The live pointer's newest revision, or empty when no version of the model was ever made live.
   */
  Optional<LivePointer> live(String name) throws StorageException;

  /** The live pointer's revisions, newest first, at most {@code limit} (1..1000). */
  List<LivePointer> history(String name, int limit) throws StorageException;

  /**
   * Makes {@code version} live: creates the pointer's next revision.
   *
   * @param expectedCurrent the version the caller believes is live (for example the one a candidate
   *     was evaluated against), or {@code null} to accept whatever is live now
   * @param actor who promotes (recorded)
   * @param reason why (recorded; may be empty)
   * @param forced whether the caller overrode a refusal of its own (recorded)
   * @return the new revision
   * @throws ObjectNotFoundException when the version does not exist
   * @throws ConflictException when the live version is not {@code expectedCurrent}, when the
   *     version is already live, or when another change of the pointer won
   */
  LivePointer promote(
      String name,
      String version,
      String expectedCurrent,
      String actor,
      String reason,
      boolean forced)
      throws StorageException;

  /** {@link #promote(String, String, String, String, String, boolean)}, not forced. */
  default LivePointer promote(
      String name, String version, String expectedCurrent, String actor, String reason)
      throws StorageException {
    return promote(name, version, expectedCurrent, actor, reason, false);
  }

  /**
   * Returns to the version that was live before the current one (repeated rollbacks walk further
   * back through the promotions).
   *
   * @throws ConflictException when there is no previous version, or another change of the pointer
   *     won
   * @throws ObjectNotFoundException when the model has no live version
   */
  LivePointer rollback(String name, String actor, String reason) throws StorageException;

  /**
   * Seeds the store from a shipped package when its model has no live version: puts the package
   * (unless that version exists) and makes it live as revision 1. When the model has a live version
   * already, a shipped version the store lacks is put beside it, not made live: an upgraded node
   * offers its newer shipped model for promotion. Safe when several nodes start at once: one seeds,
   * the others find it done.
   *
   * @return the revision this call created, or empty when the model already had a live version
   */
  Optional<LivePointer> seed(ModelPackage pkg) throws StorageException;

  /** Records what a node serves for a model (replacing its previous report). */
  void report(NodeReport report) throws StorageException;

  /** The reports of every node that has served a model, by node id. */
  List<NodeReport> nodes(String name) throws StorageException;

  /**
   * Writes the state of a candidate job ({@code models/{name}/candidates/{id}.json}), overwriting
   * the previous one: jobs keep their own state, one writer each (the node that runs the job; a
   * cancel request from another node is a field the runner reads back).
   */
  void putCandidate(String name, String id, JsonNode state) throws StorageException;

  /** A candidate job's state, if the job exists. */
  Optional<JsonNode> candidate(String name, String id) throws StorageException;

  /** Every candidate job of a model, in id order (ids start with their creation time). */
  List<JsonNode> candidates(String name) throws StorageException;

  /**
   * Adds a label to a model's taxonomy ({@code models/{name}/labels/{label}.json}, created with
   * {@code If-None-Match: *}): of two admins adding the same label at once one gets {@link
   * ConflictException}; two different labels both land. The caller checks the label against the
   * package's own labels.
   *
   * @throws ConflictException when the label was added before
   */
  void addLabel(String name, ModelLabel label) throws StorageException;

  /** The labels added to a model, in label order (empty for a model with none). */
  List<ModelLabel> labels(String name) throws StorageException;

  /**
   * The ids of the labels added to a model, from one listing (no object reads): what a node polls
   * to notice labels another node added.
   */
  List<String> labelIds(String name) throws StorageException;

  /**
   * Writes the state of a candidate's shadow run ({@code models/{name}/shadows/{id}.json}): which
   * version, at what rate, since when, and whether it still runs. Every node follows it.
   */
  void putShadow(String name, String candidateId, JsonNode state) throws StorageException;

  /** A candidate's shadow run, if one was ever started. */
  Optional<JsonNode> shadow(String name, String candidateId) throws StorageException;

  /** Every shadow run of a model (active and ended), in candidate id order. */
  List<JsonNode> shadows(String name) throws StorageException;

  /** Writes one node's comparisons of a shadowed candidate, replacing that node's previous ones. */
  void putShadowNode(String name, String candidateId, String node, JsonNode stats)
      throws StorageException;

  /** One node's comparisons of a shadowed candidate, if it wrote any. */
  Optional<JsonNode> shadowNode(String name, String candidateId, String node)
      throws StorageException;

  /** Every node's comparisons of a shadowed candidate. */
  List<JsonNode> shadowNodes(String name, String candidateId) throws StorageException;
}
