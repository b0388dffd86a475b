/** {@code /v1/batch}: starting, watching, cancelling and resuming batch jobs over HTTP. */
package org.cityvision.serving.batch;
