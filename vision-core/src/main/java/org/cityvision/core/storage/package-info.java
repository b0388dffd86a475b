/**
 * Frames, results, the review queue and system state in MinIO, with a local spool so nothing
 * accepted is lost.
 */
package org.cityvision.core.storage;
