package org.cityvision.core.storage;

/**
 * What one retention pass did (or, in a dry run, would do); also the running totals that a pass
 * reports after each chunk.
 *
 * @param framesScanned frame objects looked at
 * @param framesDeleted frames deleted (each with its thumbnail and results)
 * @param flagsDeleted reviewed flags deleted (their revisions and queue entries)
 * @param keptOpenFlags frames past retention kept because their flag is not reviewed
 * @param keptSpooled frames past retention kept because a write for them is still in the spool
 * @param idempotencyDeleted expired idempotency records deleted
 * @param orphanThumbnailsDeleted thumbnails whose frame was never written (a node killed between
 *     the two writes), deleted once older than {@link RetentionCleanup#ORPHAN_GRACE}
 */
public record RetentionReport(
    long framesScanned,
    long framesDeleted,
    long flagsDeleted,
    long keptOpenFlags,
    long keptSpooled,
    long idempotencyDeleted,
    long orphanThumbnailsDeleted) {}
