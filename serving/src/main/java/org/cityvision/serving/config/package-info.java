/**
 * The server's configuration: one immutable tree of records, read once from a file then the
 * environment.
 */
package org.cityvision.serving.config;
