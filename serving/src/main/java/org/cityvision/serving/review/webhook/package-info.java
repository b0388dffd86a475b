/**
 * Webhooks: signed JSON POSTs on new flags and confirmations, queued, retried, never blocking
 * ingest.
 */
package org.cityvision.serving.review.webhook;
