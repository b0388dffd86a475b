package org.cityvision.core.storage;

import java.time.Instant;
import java.util.HashSet;
import java.util.List;
import org.cityvision.core.naming.Names;

/**
 * What a model package in the store holds: every file with its size and SHA-256, the upload that
 * wrote them, and who put it there. Written last, with {@code If-None-Match: *}: a version whose
 * manifest exists is complete, and a version is put once.
 *
 * @param name the model's name (a key segment)
 * @param version the package's version (a dotted key segment, never {@code live})
 * @param task the task the model answers
 * @param uploadId the folder under the version that holds this upload's files
 * @param createdAt when the manifest was written
 * @param createdBy who put the package (a key name, {@code seed}, {@code cli})
 * @param files every file of the package, {@code model.json} among them
 */
public record ModelManifest(
    String name,
    String version,
    String task,
    String uploadId,
    Instant createdAt,
    String createdBy,
    List<PackageFile> files) {

  /**
   * One file of a package.
   *
   * @param path relative path inside the package folder, segments separated by {@code /}
   * @param size bytes
   * @param sha256 lower-case hex SHA-256 of the bytes
   */
  public record PackageFile(String path, long size, String sha256) {
    public PackageFile {
      StorageKeys.requirePackageFile(path);
      if (size < 0) {
        throw new IllegalArgumentException(
            "size of " + path + " must not be negative, got " + size);
      }
      if (sha256 == null || !sha256.matches("[0-9a-f]{64}")) {
        throw new IllegalArgumentException(
            "sha256 of " + path + " must be 64 lower-case hex digits, got " + sha256);
      }
    }
  }

  public ModelManifest {
    Names.requireSegment("name", name);
    StorageKeys.requireModelVersion(version);
    Names.requireSegment("task", task);
    Names.requireSegment("uploadId", uploadId);
    if (createdAt == null || createdBy == null || createdBy.isBlank()) {
      throw new IllegalArgumentException("createdAt and createdBy are required");
    }
    files = List.copyOf(files);
    if (files.stream().noneMatch(f -> f.path().equals("model.json"))) {
      throw new IllegalArgumentException(
          "a model package manifest must list model.json; lists "
              + files.stream().map(PackageFile::path).toList());
    }
    if (new HashSet<>(files.stream().map(PackageFile::path).toList()).size() != files.size()) {
      throw new IllegalArgumentException("a manifest lists each file once");
    }
  }

  /** Total bytes of the package. */
  public long bytes() {
    return files.stream().mapToLong(PackageFile::size).sum();
  }
}
