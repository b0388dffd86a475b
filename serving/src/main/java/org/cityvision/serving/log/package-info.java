/**
 * The log: JSON lines on stderr through SLF4J and Logback ({@code logback.xml}), request ids from
 * the Vert.x request context, levels from the node configuration.
 */
package org.cityvision.serving.log;
