/**
 * Batch jobs: classifying every stored frame under a prefix, resumably, with progress in the store.
 */
package org.cityvision.core.batch;
