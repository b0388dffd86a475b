/** The composition root: HTTP API, review page, batch jobs, auth, metrics and the CLI. */
package org.cityvision.serving;
