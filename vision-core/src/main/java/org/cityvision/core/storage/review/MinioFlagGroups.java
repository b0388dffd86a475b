package org.cityvision.core.storage.review;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.cityvision.core.frame.FrameId;
import org.cityvision.core.naming.Names;
import org.cityvision.core.review.FlagOrder;
import org.cityvision.core.review.FlagStatus;
import org.cityvision.core.storage.FlagGroupTip;
import org.cityvision.core.storage.FlagGroups;
import org.cityvision.core.storage.QueueKey;
import org.cityvision.core.storage.StorageException;
import org.cityvision.core.storage.StorageKeys;
import org.cityvision.core.storage.bucket.DurableBucket;

/** {@link FlagGroups} over the bucket; owned by the {@link ReviewQueueStore}. Thread-safe. */
final class MinioFlagGroups implements FlagGroups {
  private final DurableBucket bucket;

  MinioFlagGroups(DurableBucket bucket) {
    this.bucket = bucket;
  }

  @Override
  public Optional<FlagGroupTip> tip(String model, String cameraId) throws StorageException {
    Names.requireSegment("model", model);
    Names.requireSegment("cameraId", cameraId);
    return bucket.readJson(StorageKeys.groupTip(model, cameraId), FlagGroupTip.class);
  }

  @Override
  public void putTip(FlagGroupTip tip) throws StorageException {
    bucket.put(DurableBucket.json(StorageKeys.groupTip(tip.model(), tip.cameraId()), tip, false));
  }

  @Override
  public List<String> members(String group, FlagStatus status, int limit) throws StorageException {
    FrameId.parse(group);
    DurableBucket.requirePageLimit(limit);
    String prefix = StorageKeys.groupQueuePrefix(status, group);
    List<String> out = new ArrayList<>();
    for (String key : bucket.listKeys(prefix, limit)) {
      QueueKey entry = StorageKeys.queueKeyOf(key, FlagOrder.NEWEST_FIRST);
      if (entry != null && !out.contains(entry.frameId())) {
        out.add(entry.frameId());
      }
    }
    return out;
  }
}
