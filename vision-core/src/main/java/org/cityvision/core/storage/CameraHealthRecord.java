package org.cityvision.core.storage;

import org.cityvision.core.naming.Names;

/**
 * One revision of a camera's health record as stored: the camera, the revision (1, 2, ...; each
 * written once, by whichever node wins it) and the record's JSON (see {@code
 * org.cityvision.core.quality.CameraStateJson}), which the store keeps opaque.
 *
 * @param cameraId the camera
 * @param revision 1 for the first record, one more for each change
 * @param json the record
 */
public record CameraHealthRecord(String cameraId, long revision, byte[] json) {
  public CameraHealthRecord {
    Names.requireSegment("cameraId", cameraId);
    if (revision < 1 || revision > Names.MAX_REVISION) {
      throw new IllegalArgumentException(
          "revision must be 1.." + Names.MAX_REVISION + ", got " + revision);
    }
    if (json == null || json.length == 0) {
      throw new IllegalArgumentException("a camera health record needs its JSON");
    }
    json = json.clone();
  }

  @Override
  public byte[] json() {
    return json.clone();
  }
}
