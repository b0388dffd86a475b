/** Frames, their thumbnails and their classification results in the bucket. */
package org.cityvision.core.storage.frames;
