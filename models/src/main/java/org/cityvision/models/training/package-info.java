/**
 * Fine-tuning a pretrained backbone with a new head: cached-feature head training, then end-to-end.
 */
package org.cityvision.models.training;
