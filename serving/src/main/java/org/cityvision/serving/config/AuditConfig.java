package org.cityvision.serving.config;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import java.util.Map;
import java.util.TreeMap;
import org.cityvision.core.classify.AuditRule;
import org.cityvision.core.classify.AuditSampler;
import org.cityvision.core.naming.Names;

/**
 * {@code audit.<model>}: which unflagged camera frames of each model join the review queue as
 * {@code audit} items (see {@link AuditSampler}), for example {@code "audit": {"urban": {"rate":
 * 0.01, "normalBelow": 0.7, "normalRate": 0.2, "perCameraPerHour": 6}}}. Empty by default: no model
 * is audited.
 *
 * @param models the rule of each audited model, by model name
 */
public record AuditConfig(Map<String, AuditRule> models) {
  public AuditConfig {
    models = Map.copyOf(new TreeMap<>(models));
    models.forEach(
        (name, rule) -> {
          Names.requireSegment("audit.<model> model name", name);
          if (rule == null) {
            throw new IllegalArgumentException(
                "audit." + name + " needs rate, normalBelow, normalRate and " + "perCameraPerHour");
          }
        });
  }

  @JsonCreator(mode = JsonCreator.Mode.DELEGATING)
  static AuditConfig of(Map<String, AuditRule> models) {
    return new AuditConfig(models == null ? Map.of() : models);
  }

  @JsonValue
  Map<String, AuditRule> json() {
    return new TreeMap<>(models);
  }

  public static AuditConfig defaults() {
    return new AuditConfig(Map.of());
  }

  /** A sampler of these rules (it keeps its own per-camera counts). */
  public AuditSampler sampler() {
    return new AuditSampler(models);
  }
}
