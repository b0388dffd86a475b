package org.cityvision.models.candidate;

import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.cityvision.core.model.ModelPackage;

/**
 * What a candidate is trained from and where it goes.
 *
 * @param live the live package; it must ship a replay set ({@code replay.bin})
 * @param verdicts every verdict for the model whose frame is still in the store, one per frame; the
 *     live replay set's rows tagged {@value CandidateTraining#VERDICT_SOURCE} (earlier candidates'
 *     verdicts) are replaced by these
 * @param mode head or fine-tune
 * @param version the candidate's version, different from the live one
 * @param out the folder the candidate package is written to; must not exist or be empty
 */
public record CandidateRequest(
    ModelPackage live,
    List<VerdictExample> verdicts,
    CandidateMode mode,
    String version,
    Path out) {
  public CandidateRequest {
    if (live == null || verdicts == null || mode == null || out == null) {
      throw new IllegalArgumentException("live, verdicts, mode and out are required");
    }
    if (version == null || version.isBlank() || version.equals(live.spec().version())) {
      throw new IllegalArgumentException(
          "the candidate needs a new version, got '"
              + version
              + "' (live is "
              + live.spec().version()
              + ")");
    }
    live.spec()
        .withVersion(version); // the version rules of model.json, checked before any training
    verdicts = List.copyOf(verdicts);
    Set<String> seen = new HashSet<>();
    for (VerdictExample v : verdicts) {
      if (!seen.add(v.frameId())) {
        throw new IllegalArgumentException(
            "frame " + v.frameId() + " has more than one verdict; pass the latest only");
      }
    }
  }
}
