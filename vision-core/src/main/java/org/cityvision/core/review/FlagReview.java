package org.cityvision.core.review;

import java.util.Objects;
import org.cityvision.core.frame.FrameId;
import org.cityvision.core.naming.Names;

/**
 * A reviewer's request to move a flag out of (or, with {@code override}, between) statuses.
 *
 * @param label the new label, required for {@link Verdict#RELABEL} and forbidden otherwise
 * @param note free text, up to 2,000 characters, or {@code null}
 * @param override {@code false}: the flag must still be open and unchanged since it was read, or
 *     the review fails with {@code ConflictException}; {@code true}: replace whatever verdict is
 *     there (the previous one stays in the reviews log)
 */
public record FlagReview(
    String frameId, Verdict verdict, String label, String note, String reviewer, boolean override) {
  public FlagReview {
    FrameId.parse(frameId);
    Objects.requireNonNull(verdict, "verdict");
    if (verdict == Verdict.REOPEN) {
      throw new IllegalArgumentException(
          "verdict must be CONFIRM, REJECT or RELABEL; a verdict is taken back "
              + "with FrameStore.reopenFlag");
    }
    if (verdict == Verdict.RELABEL) {
      Names.requireSegment("label", label);
    } else if (label != null) {
      throw new IllegalArgumentException("label is only allowed with verdict RELABEL");
    }
    if (note != null && note.length() > 2000) {
      throw new IllegalArgumentException(
          "note must be at most 2000 characters, got " + note.length());
    }
    Names.requireDottedSegment("reviewer", reviewer);
  }
}
