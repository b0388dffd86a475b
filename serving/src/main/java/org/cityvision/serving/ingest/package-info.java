/**
 * Camera frames: validation, classification with the urban model, storage, flags, idempotent
 * retries.
 */
package org.cityvision.serving.ingest;
