/**
 * Counters and histograms of the server, exposed at {@code /metrics} in the Prometheus text format.
 */
package org.cityvision.serving.metrics;
