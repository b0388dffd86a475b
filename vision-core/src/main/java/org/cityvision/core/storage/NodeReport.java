package org.cityvision.core.storage;

import java.time.Instant;
import org.cityvision.core.naming.Names;

/**
 * What one serving node says it serves for a model, written by the node whenever that changes and
 * refreshed periodically, so that any node (and the CLI) can show which version each node serves
 * and which node is left behind.
 *
 * @param node the node's id (stable across restarts of the same installation)
 * @param model the model's name
 * @param task the task the node serves with it
 * @param served the version the node serves, or {@code null}
 * @param live the live version the node last read, or {@code null}
 * @param error why the node does not serve the live version, or {@code null}
 * @param at when the node wrote this
 */
public record NodeReport(
    String node, String model, String task, String served, String live, String error, Instant at) {
  public NodeReport {
    Names.requireDottedSegment("node", node);
    Names.requireSegment("model", model);
    Names.requireSegment("task", task);
    if (at == null) {
      throw new IllegalArgumentException("at is required");
    }
  }
}
