package org.cityvision.core.storage;

import java.time.Instant;
import org.cityvision.core.naming.Names;

/**
 * A label an admin added to a model's taxonomy in the store, beyond the labels its package ships:
 * reviewers may relabel the model's flags to it, and a candidate with enough verdicts of it learns
 * it as a new class. Labels are only ever added; once a promoted version's package lists the label,
 * it is in both places.
 *
 * @param label the label id, the same rule as every label that becomes a key segment ({@link
 *     org.cityvision.core.naming.Names#requireSegment})
 * @param description what the label means, for reviewers (may be empty, at most {@value
 *     #MAX_DESCRIPTION} characters)
 * @param addedBy the admin key's name that added it
 * @param addedAt when it was added
 */
public record ModelLabel(String label, String description, String addedBy, Instant addedAt) {
  public static final int MAX_DESCRIPTION = 500;

  public ModelLabel {
    Names.requireSegment("label", label);
    description = description == null ? "" : description;
    if (description.length() > MAX_DESCRIPTION) {
      throw new IllegalArgumentException(
          "description must be at most "
              + MAX_DESCRIPTION
              + " characters, got "
              + description.length());
    }
    if (addedBy == null || addedBy.isBlank()) {
      throw new IllegalArgumentException("addedBy is required");
    }
    if (addedAt == null) {
      throw new IllegalArgumentException("addedAt is required");
    }
  }
}
