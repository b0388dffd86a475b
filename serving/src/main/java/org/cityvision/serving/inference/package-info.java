/** The loaded models, the off-event-loop classify pipeline, and the sorting-machine and model routes. */
package org.cityvision.serving.inference;
