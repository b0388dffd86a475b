/** An S3-compatible server (S3Proxy over the local filesystem) run in-process on loopback. */
package org.cityvision.s3server;
