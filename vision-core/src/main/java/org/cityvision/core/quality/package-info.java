/**
 * Frame quality at ingest (black, overexposed, blurred, covered, moved, frozen), per-camera health
 * and static-frame gating.
 */
package org.cityvision.core.quality;
