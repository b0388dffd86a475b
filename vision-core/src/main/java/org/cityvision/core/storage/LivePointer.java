package org.cityvision.core.storage;

import java.time.Instant;
import org.cityvision.core.naming.Names;

/**
 * One revision of a model's live pointer: which version every node serves from then on. Revisions
 * are numbered from 1 and each is created once ({@code If-None-Match: *}); the live version is the
 * one of the highest revision. The revisions together are the model's promotion history.
 *
 * @param model the model's name
 * @param revision 1 for the first version made live, then one more per change
 * @param version the live version
 * @param previous the version a rollback returns to, or {@code null} when there is none
 * @param action what made the change
 * @param actor who made it (a key name, {@code seed}, {@code cli})
 * @param reason why, as given (may be empty)
 * @param forced whether the change overrode a refusal (for example a candidate that is not better)
 * @param at when
 */
public record LivePointer(
    String model,
    long revision,
    String version,
    String previous,
    Action action,
    String actor,
    String reason,
    boolean forced,
    Instant at) {

  /** What changed the pointer. */
  public enum Action {
    /** The shipped package became the first live version. */
    SEED,
    /** A version was promoted. */
    PROMOTE,
    /** The previous version was restored. */
    ROLLBACK
  }

  public LivePointer {
    Names.requireSegment("model", model);
    StorageKeys.requireModelVersion(version);
    if (previous != null) {
      StorageKeys.requireModelVersion(previous);
    }
    if (revision < 1 || revision > Names.MAX_REVISION) {
      throw new IllegalArgumentException(
          "revision must be in 1.." + Names.MAX_REVISION + ", got " + revision);
    }
    if (action == null || at == null || actor == null || actor.isBlank()) {
      throw new IllegalArgumentException("action, actor and at are required");
    }
    reason = reason == null ? "" : reason;
    if (reason.length() > 500) {
      throw new IllegalArgumentException(
          "reason must be at most 500 characters, got " + reason.length());
    }
  }
}
