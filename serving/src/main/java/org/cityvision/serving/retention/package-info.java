/**
 * Retention inside {@code serve}: the scheduled pass, one node per interval through a lease in the
 * store.
 */
package org.cityvision.serving.retention;
