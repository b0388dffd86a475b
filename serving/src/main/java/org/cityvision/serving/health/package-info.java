/** Liveness, readiness (models loaded, store reachable, spool depth) and the metrics scrape. */
package org.cityvision.serving.health;
