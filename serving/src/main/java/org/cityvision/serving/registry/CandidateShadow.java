package org.cityvision.serving.registry;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Optional;
import org.cityvision.core.storage.StorageException;

/**
 * A candidate's shadow run with every node's comparisons, as {@code GET
 * /v1/models/{name}/candidates/{id}} shows it under {@code shadow}.
 */
@FunctionalInterface
public interface CandidateShadow {
  /** No shadow runs. */
  CandidateShadow NONE = (name, id) -> Optional.empty();

  /** The candidate's run, or empty when it was never shadowed. Blocking (store reads). */
  Optional<JsonNode> of(String name, String id) throws StorageException;
}
