/**
 * The one bucket under every record kind: raw object operations with checksums, the write-ahead
 * spool and its delivery, and the mapping of MinIO client failures to storage exceptions.
 */
package org.cityvision.core.storage.bucket;
