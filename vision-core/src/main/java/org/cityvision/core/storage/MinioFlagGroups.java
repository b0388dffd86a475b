package org.cityvision.core.storage;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/** {@link FlagGroups} over the objects of a {@link MinioFrameStore}; owned by that store. */
final class MinioFlagGroups implements FlagGroups {
  private final MinioFrameStore store;

  MinioFlagGroups(MinioFrameStore store) {
    this.store = store;
  }

  @Override
  public Optional<FlagGroupTip> tip(String model, String cameraId) throws StorageException {
    StorageKeys.requireSegment("model", model);
    StorageKeys.requireSegment("cameraId", cameraId);
    String key = StorageKeys.groupTip(model, cameraId);
    Optional<MinioFrameStore.Blob> blob = store.readIfPresent(key);
    return blob.isEmpty()
        ? Optional.empty()
        : Optional.of(StoreJson.read(blob.get().bytes(), FlagGroupTip.class, key));
  }

  @Override
  public void putTip(FlagGroupTip tip) throws StorageException {
    store.put(MinioFrameStore.json(StorageKeys.groupTip(tip.model(), tip.cameraId()), tip, false));
  }

  @Override
  public List<String> members(String group, FlagStatus status, int limit) throws StorageException {
    FrameId.parse(group);
    if (limit < 1 || limit > 1000) {
      throw new IllegalArgumentException("limit must be in 1..1000, got " + limit);
    }
    String prefix = StorageKeys.groupQueuePrefix(status, group);
    List<String> out = new ArrayList<>();
    for (String key : store.listKeys(prefix, limit)) {
      MinioFrameStore.QueueKey entry =
          MinioFrameStore.QueueKey.parse(key.substring(prefix.length()), FlagOrder.NEWEST_FIRST);
      if (entry != null && !out.contains(entry.frameId())) {
        out.add(entry.frameId());
      }
    }
    return out;
  }
}
