/** The model registry over HTTP: versions, the live pointer, promote and rollback. */
package org.cityvision.serving.registry;
