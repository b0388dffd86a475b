package org.cityvision.core.storage;

/**
 * Readiness of the store, for {@code /health/ready}.
 *
 * @param reachable MinIO answered a bucket check just now
 * @param spoolItems writes waiting in the local spool
 * @param spoolBytes their size on disk
 * @param spoolMaxBytes the spool's bound
 * @param degraded unreachable, or writes are waiting in the spool: accepted data is safe but not
 *     yet in MinIO, so other nodes cannot see it yet
 */
public record StoreHealth(
    boolean reachable, long spoolItems, long spoolBytes, long spoolMaxBytes, boolean degraded) {}
