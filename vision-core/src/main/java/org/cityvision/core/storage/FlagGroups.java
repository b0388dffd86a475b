package org.cityvision.core.storage;

import java.util.List;
import java.util.Optional;
import org.cityvision.core.review.FlagRecord;
import org.cityvision.core.review.FlagStatus;

/**
 * The review queue's near-duplicate groups, kept in the store beside the queue ({@code
 * flag-groups/} in {@link StorageKeys}): a flag's group is fixed when the flag is created ({@link
 * FlagRecord#group()}), and each flag has a marker under its group and status that moves with its
 * verdicts like the queue's other markers, so listing a group's open members costs what the group
 * holds.
 *
 * <p>Obtained from {@link FrameStore#flagGroups()} and owned by that store. Thread-safe; blocking.
 */
public interface FlagGroups {
  /** The newest group of {@code cameraId}'s flags of {@code model}, if one was recorded. */
  Optional<FlagGroupTip> tip(String model, String cameraId) throws StorageException;

  /**
   * Records the camera's newest group. Last write wins: two nodes flagging one camera's frames at
   * the same instant may start two groups where one would do, never put a flag in a wrong group.
   * Not spooled: while the store is down this fails and the caller leaves the flag ungrouped.
   */
  void putTip(FlagGroupTip tip) throws StorageException;

  /**
   * The frame ids of the group's flags in {@code status}, newest first, at most {@code limit}: one
   * listing of the group's markers, no flag reads (a marker a crash left behind may name a flag
   * that has moved on; a verdict on it answers the conflict).
   *
   * @param limit 1..1000
   */
  List<String> members(String group, FlagStatus status, int limit) throws StorageException;
}
