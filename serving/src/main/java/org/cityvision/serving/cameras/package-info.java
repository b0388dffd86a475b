/**
 * Camera health in serving: the quality check at ingest, health records in the store, silence
 * sweeps, the camera API and events.
 */
package org.cityvision.serving.cameras;
