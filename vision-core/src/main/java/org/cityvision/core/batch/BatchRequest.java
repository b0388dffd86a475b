package org.cityvision.core.batch;

import org.cityvision.core.naming.Names;
import org.cityvision.core.storage.StorageKeys;

/**
 * What a batch job does: classify every frame under {@code prefix} with the model serving {@code
 * task}, and optionally put frames on the review queue exactly as live ingest would.
 *
 * @param task the task whose model classifies ({@code urban}, {@code waste}, ...)
 * @param prefix a key prefix under {@code frames/}, for example {@code frames/cam-7/2026/11/}
 * @param flag create flags through the model's {@link org.cityvision.core.classify.FlagPolicy}
 */
public record BatchRequest(String task, String prefix, boolean flag) {
  public BatchRequest {
    Names.requireSegment("task", task);
    StorageKeys.requireFramesPrefix(prefix);
  }
}
