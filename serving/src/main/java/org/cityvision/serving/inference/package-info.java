/**
 * The served models and the versions they follow in the store, the off-event-loop classify
 * pipeline, and the sorting-machine and model routes.
 */
package org.cityvision.serving.inference;
