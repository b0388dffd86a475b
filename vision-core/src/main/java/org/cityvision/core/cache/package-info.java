/** Small in-memory caches a node keeps beside the store. */
package org.cityvision.core.cache;
