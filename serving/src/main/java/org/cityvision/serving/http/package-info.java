/**
 * The HTTP plumbing shared by every area: errors as JSON, request ids, access log, body limit, the
 * server verticle.
 */
package org.cityvision.serving.http;
