package org.cityvision.serving.review.webhook;

/**
 * Counters of a {@link WebhookNotifier} since it started, for {@code /metrics}.
 *
 * @param delivered deliveries a receiver answered with 2xx
 * @param failed deliveries given up after the last try or a permanent 4xx
 * @param dropped deliveries refused because the queue was full
 * @param retried tries after the first
 * @param pending deliveries waiting or in flight now
 */
public record WebhookStats(long delivered, long failed, long dropped, long retried, int pending) {}
