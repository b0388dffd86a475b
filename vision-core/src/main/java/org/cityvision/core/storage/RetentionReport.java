package org.cityvision.core.storage;

/**
 * What one retention pass did.
 *
 * @param framesScanned frame objects looked at
 * @param framesDeleted frames deleted (each with its thumbnail and results)
 * @param flagsDeleted reviewed flags deleted (their revisions and queue entries)
 * @param keptOpenFlags frames past retention kept because their flag is not reviewed
 * @param keptSpooled frames past retention kept because a write for them is still in the spool
 * @param idempotencyDeleted expired idempotency records deleted
 */
public record RetentionReport(
    long framesScanned,
    long framesDeleted,
    long flagsDeleted,
    long keptOpenFlags,
    long keptSpooled,
    long idempotencyDeleted) {}
