/**
 * Where a command's store lives: the configured S3 endpoint, or the embedded S3 server this process
 * starts under the data directory when none is configured.
 */
package org.cityvision.app.storage;
