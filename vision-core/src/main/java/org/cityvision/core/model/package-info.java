/** The model package format (model.json + weights) and loading fine-tuned models into DJL. */
package org.cityvision.core.model;
