package org.cityvision.core.storage;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.SecureRandom;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.cityvision.core.digest.Sha256;
import org.cityvision.core.model.ModelPackage;
import org.cityvision.core.naming.Names;
import org.cityvision.core.storage.bucket.DurableBucket;

/**
 * {@link ModelStore} over the {@link DurableBucket}. Writes go to MinIO directly, never through the
 * write-ahead spool: a promotion or a package put either reaches the store or fails for its caller
 * to see. See {@link ModelStore} for the concurrency scheme.
 *
 * <p>Thread-safe; owned by its {@link MinioFrameStore}.
 */
final class MinioModelStore implements ModelStore {
  private static final String OCTETS = "application/octet-stream";
  private static final SecureRandom RANDOM = new SecureRandom();

  private final DurableBucket bucket;
  private final Clock clock;

  MinioModelStore(DurableBucket bucket, Clock clock) {
    this.bucket = bucket;
    this.clock = clock;
  }

  @Override
  public List<String> models() throws StorageException {
    TreeSet<String> names = new TreeSet<>();
    for (String key : bucket.listKeys(StorageKeys.modelsPrefix(), 100_000)) {
      String name = StorageKeys.modelOf(key);
      if (name != null) {
        names.add(name);
      }
    }
    return List.copyOf(names);
  }

  @Override
  public List<ModelManifest> versions(String name) throws StorageException {
    Names.requireSegment("model name", name);
    List<ModelManifest> out = new ArrayList<>();
    for (String key : bucket.listKeys(StorageKeys.modelPrefix(name), 100_000)) {
      String version = StorageKeys.versionOfManifest(name, key);
      if (version != null) {
        manifest(name, version).ifPresent(out::add);
      }
    }
    out.sort(Comparator.comparing(ModelManifest::createdAt).thenComparing(ModelManifest::version));
    return out;
  }

  @Override
  public Optional<ModelManifest> manifest(String name, String version) throws StorageException {
    String key =
        StorageKeys.modelManifest(
            Names.requireSegment("model name", name), StorageKeys.requireModelVersion(version));
    Optional<DurableBucket.Blob> blob = bucket.readIfPresent(key);
    if (blob.isEmpty()) {
      return Optional.empty();
    }
    ModelManifest m = StoreJson.read(blob.get().bytes(), ModelManifest.class, key);
    if (!m.name().equals(name) || !m.version().equals(version)) {
      throw new StorageException("manifest " + key + " describes " + m.name() + " " + m.version());
    }
    return Optional.of(m);
  }

  @Override
  public byte[] readFile(String name, String version, String path) throws StorageException {
    ModelManifest m = require(name, version);
    ModelManifest.PackageFile file =
        m.files().stream()
            .filter(f -> f.path().equals(path))
            .findFirst()
            .orElseThrow(
                () ->
                    new ObjectNotFoundException(
                        "version " + version + " of model " + name + " has no file " + path));
    return download(m, file);
  }

  private ModelManifest require(String name, String version) throws StorageException {
    return manifest(name, version)
        .orElseThrow(
            () ->
                new ObjectNotFoundException(
                    "no version " + version + " of model " + name + " in the store"));
  }

  private byte[] download(ModelManifest m, ModelManifest.PackageFile file) throws StorageException {
    String key = StorageKeys.modelFile(m.name(), m.version(), m.uploadId(), file.path());
    Optional<DurableBucket.Blob> blob;
    try {
      blob = bucket.readIfPresent(key);
    } catch (ChecksumMismatchException e) {
      throw new ChecksumMismatchException(
          "package " + m.name() + " " + m.version() + " is corrupt: " + e.getMessage(), e);
    }
    if (blob.isEmpty()) {
      throw new ChecksumMismatchException(
          "package "
              + m.name()
              + " "
              + m.version()
              + " is incomplete: its file "
              + file.path()
              + " ("
              + key
              + ") is missing from the store");
    }
    byte[] bytes = blob.get().bytes();
    // The read checked the bytes against the object's own SHA-256 (its metadata), so comparing that
    // with the manifest's spares hashing 12 MB of weights a second time.
    String sha = blob.get().metadata().get(DurableBucket.META_SHA256);
    if (bytes.length != file.size() || !file.sha256().equals(sha)) {
      throw new ChecksumMismatchException(
          "package "
              + m.name()
              + " "
              + m.version()
              + " is corrupt: file "
              + file.path()
              + " has "
              + bytes.length
              + " bytes with SHA-256 "
              + sha
              + ", its manifest says "
              + file.size()
              + " bytes with "
              + file.sha256());
    }
    return bytes;
  }

  @Override
  public ModelManifest put(ModelPackage pkg, String actor) throws StorageException {
    String name = Names.requireSegment("model name", pkg.spec().name());
    String version = StorageKeys.requireModelVersion(pkg.spec().version());
    String manifestKey = StorageKeys.modelManifest(name, version);
    if (bucket.exists(manifestKey)) {
      throw new ConflictException(versionExists(name, version));
    }
    String uploadId = HexFormat.of().formatHex(bytes(8));
    List<ModelManifest.PackageFile> files = new ArrayList<>();
    for (Path file : packageFiles(pkg.dir())) {
      String path =
          StorageKeys.requirePackageFile(
              pkg.dir()
                  .relativize(file)
                  .toString()
                  .replace(file.getFileSystem().getSeparator(), "/"));
      byte[] bytes;
      try {
        bytes = Files.readAllBytes(file);
      } catch (IOException e) {
        throw new StorageException(
            "cannot read " + file + " of package " + pkg.dir() + ": " + e.getMessage(), e);
      }
      bucket.put(
          DurableBucket.object(
              StorageKeys.modelFile(name, version, uploadId, path),
              OCTETS,
              Map.of(),
              bytes,
              false));
      files.add(new ModelManifest.PackageFile(path, bytes.length, StorageKeys.sha256Hex(bytes)));
    }
    ModelManifest manifest =
        new ModelManifest(
            name, version, pkg.spec().task(), uploadId, clock.instant(), actor, files);
    try {
      bucket.put(DurableBucket.json(manifestKey, manifest, true));
    } catch (ConflictException e) {
      throw new ConflictException(versionExists(name, version), e);
    }
    return manifest;
  }

  private static String versionExists(String name, String version) {
    return "version "
        + version
        + " of model "
        + name
        + " exists in the store; versions are never reused: "
        + "give the package a new version in model.json";
  }

  private static List<Path> packageFiles(Path dir) throws StorageException {
    try (Stream<Path> walk = Files.walk(dir)) {
      return walk.filter(Files::isRegularFile)
          .filter(p -> !hidden(dir.relativize(p)))
          .sorted()
          .toList();
    } catch (IOException | UncheckedIOException e) {
      throw new StorageException("cannot list package folder " + dir + ": " + e.getMessage(), e);
    }
  }

  private static boolean hidden(Path relative) {
    for (Path part : relative) {
      if (part.toString().startsWith(".")) {
        return true;
      }
    }
    return false;
  }

  @Override
  public Path fetch(String name, String version, Path cacheRoot) throws StorageException {
    ModelManifest m = require(name, version);
    Path target = cacheRoot.resolve(name).resolve(version);
    try {
      if (Files.isDirectory(target)) {
        if (matches(target, m)) {
          return target;
        }
        deleteTree(target);
      }
      Files.createDirectories(target.getParent());
      Path tmp = Files.createTempDirectory(target.getParent(), "." + version + ".part-");
      try {
        for (ModelManifest.PackageFile file : m.files()) {
          byte[] bytes = download(m, file);
          Path out = tmp.resolve(file.path());
          Files.createDirectories(out.getParent());
          Files.write(out, bytes);
        }
        try {
          Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
        } catch (AtomicMoveNotSupportedException | FileAlreadyExistsException e) {
          // Another fetch of the same version finished first; its copy is as good as ours.
          if (!matches(target, m)) {
            throw new IOException("cannot move " + tmp + " to " + target, e);
          }
        }
      } finally {
        if (Files.exists(tmp)) {
          deleteTree(tmp);
        }
      }
      return target;
    } catch (IOException | UncheckedIOException e) {
      throw new StorageException(
          "cannot cache version "
              + version
              + " of model "
              + name
              + " under "
              + cacheRoot
              + ": "
              + e.getMessage(),
          e);
    }
  }

  /** Whether the folder holds exactly the manifest's files with their checksums. */
  private static boolean matches(Path dir, ModelManifest m) throws IOException {
    for (ModelManifest.PackageFile file : m.files()) {
      Path p = dir.resolve(file.path());
      if (!Files.isRegularFile(p)
          || Files.size(p) != file.size()
          || !Sha256.hex(p).equals(file.sha256())) {
        return false;
      }
    }
    return true;
  }

  private static void deleteTree(Path dir) throws IOException {
    try (Stream<Path> walk = Files.walk(dir)) {
      for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    }
  }

  @Override
  public Optional<LivePointer> live(String name) throws StorageException {
    List<LivePointer> newest = history(name, 1);
    return newest.isEmpty() ? Optional.empty() : Optional.of(newest.get(0));
  }

  @Override
  public List<LivePointer> history(String name, int limit) throws StorageException {
    Names.requireSegment("model name", name);
    if (limit < 1 || limit > 1000) {
      throw new IllegalArgumentException("limit must be in 1..1000, got " + limit);
    }
    List<LivePointer> out = new ArrayList<>();
    for (String key : bucket.listRevisions(StorageKeys.livePrefix(name), limit)) {
      LivePointer p = StoreJson.read(bucket.read(key).bytes(), LivePointer.class, key);
      if (p.revision() != StorageKeys.revisionOf(key) || !p.model().equals(name)) {
        throw new StorageException(
            "live pointer revision "
                + key
                + " says model "
                + p.model()
                + " revision "
                + p.revision());
      }
      out.add(p);
    }
    return out;
  }

  @Override
  public LivePointer promote(
      String name,
      String version,
      String expectedCurrent,
      String actor,
      String reason,
      boolean forced)
      throws StorageException {
    require(name, version);
    Optional<LivePointer> head = live(name);
    String current = head.map(LivePointer::version).orElse(null);
    if (expectedCurrent != null && !expectedCurrent.equals(current)) {
      throw new ConflictException(
          "the live version of model "
              + name
              + " is "
              + (current == null ? "none" : current)
              + ", not "
              + expectedCurrent
              + " as expected: another change came first");
    }
    if (version.equals(current)) {
      throw new ConflictException("version " + version + " of model " + name + " is already live");
    }
    return create(
        new LivePointer(
            name,
            head.map(LivePointer::revision).orElse(0L) + 1,
            version,
            current,
            LivePointer.Action.PROMOTE,
            actor,
            reason,
            forced,
            clock.instant()));
  }

  @Override
  public LivePointer rollback(String name, String actor, String reason) throws StorageException {
    List<LivePointer> history = history(name, 1000);
    if (history.isEmpty()) {
      throw new ObjectNotFoundException("model " + name + " has no live version to roll back from");
    }
    LivePointer head = history.get(0);
    if (head.previous() == null) {
      throw new ConflictException(
          "model "
              + name
              + " has no version to roll back to: "
              + head.version()
              + " is the first version made live");
    }
    // The restored version's own predecessor: what the revision that last made it live replaced.
    String before =
        history.stream()
            .filter(p -> p.version().equals(head.previous()) && p.revision() < head.revision())
            .findFirst()
            .map(LivePointer::previous)
            .orElse(null);
    require(name, head.previous());
    return create(
        new LivePointer(
            name,
            head.revision() + 1,
            head.previous(),
            before,
            LivePointer.Action.ROLLBACK,
            actor,
            reason,
            false,
            clock.instant()));
  }

  @Override
  public Optional<LivePointer> seed(ModelPackage pkg) throws StorageException {
    String name = pkg.spec().name();
    if (live(name).isPresent()) {
      // A node started with a newer shipped package offers it as a version an admin can promote;
      // what is live does not change.
      if (manifest(name, pkg.spec().version()).isEmpty()) {
        try {
          put(pkg, "shipped");
        } catch (ConflictException e) {
          // Another node put the same shipped version a moment ago.
        }
      }
      return Optional.empty();
    }
    if (manifest(name, pkg.spec().version()).isEmpty()) {
      try {
        put(pkg, "seed");
      } catch (ConflictException e) {
        // Another node put the same shipped version a moment ago.
      }
    }
    try {
      return Optional.of(
          create(
              new LivePointer(
                  name,
                  1,
                  pkg.spec().version(),
                  null,
                  LivePointer.Action.SEED,
                  "seed",
                  "shipped package " + pkg.dir().getFileName(),
                  false,
                  clock.instant())));
    } catch (ConflictException e) {
      return Optional.empty();
    }
  }

  @Override
  public void report(NodeReport report) throws StorageException {
    bucket.put(
        DurableBucket.json(StorageKeys.nodeReport(report.model(), report.node()), report, false));
  }

  @Override
  public List<NodeReport> nodes(String name) throws StorageException {
    Names.requireSegment("model name", name);
    return readAll(StorageKeys.nodesPrefix(name), NodeReport.class);
  }

  /**
   * Every JSON object under {@code prefix} (at most 10,000), skipping those deleted since the
   * listing.
   */
  private <T> List<T> readAll(String prefix, Class<T> type) throws StorageException {
    return bucket.readJsonAll(bucket.listKeys(prefix, 10_000), type);
  }

  @Override
  public void putCandidate(String name, String id, JsonNode state) throws StorageException {
    Names.requireSegment("model name", name);
    bucket.put(DurableBucket.json(StorageKeys.candidate(name, id), state, false));
  }

  @Override
  public Optional<JsonNode> candidate(String name, String id) throws StorageException {
    Names.requireSegment("model name", name);
    Optional<DurableBucket.Blob> blob = bucket.readIfPresent(StorageKeys.candidate(name, id));
    return blob.isPresent()
        ? Optional.of(StoreJson.read(blob.get().bytes(), JsonNode.class, id))
        : Optional.empty();
  }

  @Override
  public List<JsonNode> candidates(String name) throws StorageException {
    Names.requireSegment("model name", name);
    return readAll(StorageKeys.candidatesPrefix(name), JsonNode.class);
  }

  @Override
  public void addLabel(String name, ModelLabel label) throws StorageException {
    Names.requireSegment("model name", name);
    try {
      bucket.put(DurableBucket.json(StorageKeys.label(name, label.label()), label, true));
    } catch (ConflictException e) {
      throw new ConflictException(
          "model " + name + " already has label '" + label.label() + "'", e);
    }
  }

  @Override
  public List<ModelLabel> labels(String name) throws StorageException {
    Names.requireSegment("model name", name);
    List<ModelLabel> out =
        new ArrayList<>(readAll(StorageKeys.labelsPrefix(name), ModelLabel.class));
    out.sort(Comparator.comparing(ModelLabel::label));
    return out;
  }

  @Override
  public List<String> labelIds(String name) throws StorageException {
    Names.requireSegment("model name", name);
    List<String> out = new ArrayList<>();
    for (String key : bucket.listKeys(StorageKeys.labelsPrefix(name), 10_000)) {
      String label = StorageKeys.labelOf(name, key);
      if (label != null) {
        out.add(label);
      }
    }
    out.sort(null);
    return out;
  }

  @Override
  public void putShadow(String name, String candidateId, JsonNode state) throws StorageException {
    Names.requireSegment("model name", name);
    bucket.put(DurableBucket.json(StorageKeys.shadow(name, candidateId), state, false));
  }

  @Override
  public Optional<JsonNode> shadow(String name, String candidateId) throws StorageException {
    Names.requireSegment("model name", name);
    return readJson(StorageKeys.shadow(name, candidateId));
  }

  @Override
  public List<JsonNode> shadows(String name) throws StorageException {
    Names.requireSegment("model name", name);
    String prefix = StorageKeys.shadowsPrefix(name);
    List<JsonNode> out = new ArrayList<>();
    for (String key : bucket.listKeys(prefix, 10_000)) {
      if (StorageKeys.isShadowRun(name, key)) {
        readJson(key).ifPresent(out::add);
      }
    }
    return out;
  }

  @Override
  public void putShadowNode(String name, String candidateId, String node, JsonNode stats)
      throws StorageException {
    Names.requireSegment("model name", name);
    bucket.put(DurableBucket.json(StorageKeys.shadowNode(name, candidateId, node), stats, false));
  }

  @Override
  public Optional<JsonNode> shadowNode(String name, String candidateId, String node)
      throws StorageException {
    Names.requireSegment("model name", name);
    return readJson(StorageKeys.shadowNode(name, candidateId, node));
  }

  @Override
  public List<JsonNode> shadowNodes(String name, String candidateId) throws StorageException {
    Names.requireSegment("model name", name);
    return readAll(StorageKeys.shadowNodesPrefix(name, candidateId), JsonNode.class);
  }

  private Optional<JsonNode> readJson(String key) throws StorageException {
    return bucket.readJson(key, JsonNode.class);
  }

  private LivePointer create(LivePointer next) throws StorageException {
    try {
      bucket.put(
          DurableBucket.json(StorageKeys.liveRevision(next.model(), next.revision()), next, true));
      return next;
    } catch (ConflictException e) {
      throw new ConflictException(
          "another change of the live pointer of model "
              + next.model()
              + " won (revision "
              + next.revision()
              + " exists); read it and try again",
          e);
    }
  }

  private static byte[] bytes(int n) {
    byte[] b = new byte[n];
    RANDOM.nextBytes(b);
    return b;
  }
}
