package org.cityvision.serving.ingest;

import java.time.Instant;
import java.util.Optional;
import org.cityvision.core.classify.Classification;
import org.cityvision.core.classify.ClassificationJson;
import org.cityvision.core.classify.FlagPolicy;
import org.cityvision.core.classify.LabelScore;
import org.cityvision.core.model.Thresholds;
import org.cityvision.core.storage.FlagRecord;
import org.cityvision.core.storage.FrameRecord;
import org.cityvision.core.storage.FrameStore;
import org.cityvision.core.storage.FrameUpload;
import org.cityvision.core.storage.ResultRecord;
import org.cityvision.core.storage.StorageException;

/**
 * The writes behind one accepted camera frame, in the camera endpoint and in the serving benchmark's
 * in-process baseline alike: the frame and its thumbnail, the result in the one stored format, and a
 * flag when the flag rule says so. Blocking (storage I/O): call it off the event loop.
 */
public final class ClassifiedFrames {
  /** What was written: the frame's record, and the flag if one was created. */
  public record Written(FrameRecord frame, Optional<FlagRecord> flag) {}

  private ClassifiedFrames() {}

  /**
   * The writes behind a static camera frame (one that shows nothing new since its camera's last
   * classified frame): the frame, and the earlier frame's result again under this frame with {@code
   * reusedFrom} naming where it came from. No flag: the earlier frame carries it, if any.
   *
   * @param upload the frame as received (no thumbnail: it was never decoded for the model)
   * @param earlier the stored result being reused
   * @param now when it was reused
   */
  public static FrameRecord writeReused(FrameStore store, FrameUpload upload, ResultRecord earlier, Instant now)
      throws StorageException {
    FrameRecord frame = store.putFrame(upload);
    com.fasterxml.jackson.databind.node.ObjectNode payload = earlier.payload().deepCopy();
    payload.put("reusedFrom", earlier.frameId());
    store.putResult(new ResultRecord(frame.frameId(), earlier.model(), earlier.version(), now, payload));
    return frame;
  }

  /**
   * @param upload the frame as received, with its thumbnail
   * @param c its classification (with whatever timings the caller wants stored)
   * @param thresholds the model's thresholds, for the flag rule
   * @param now when it was classified
   */
  public static Written write(FrameStore store, FrameUpload upload, Classification c, Thresholds thresholds,
      Instant now) throws StorageException {
    FrameRecord frame = store.putFrame(upload);
    store.putResult(new ResultRecord(frame.frameId(), c.model(), c.version(), now, ClassificationJson.toJson(c)));
    Optional<LabelScore> flag = new FlagPolicy(thresholds).decide(c);
    if (flag.isEmpty()) {
      return new Written(frame, Optional.empty());
    }
    return new Written(frame, Optional.of(store.createFlag(FlagRecord.open(frame.frameId(), flag.get().label(),
        flag.get().score(), c.model(), c.version(), now))));
  }
}
