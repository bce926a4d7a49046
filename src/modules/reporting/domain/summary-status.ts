/**
 * An order summary's status, in order of precedence. Ordering's transient CANCELLING
 * is not reported: the read model learns only the facts ordering publishes.
 *
 * When events meet in a row, in any order, the status only moves up this list: a
 * terminal status is never replaced by PENDING. An order is never both confirmed and
 * cancelled; should it ever be, CANCELLED wins (a cancellation can only come later),
 * so every delivery order, and a rebuild, still yields the same row. The projection's
 * SQL ranks statuses by their position here.
 */
export const SUMMARY_STATUSES = ['PENDING', 'CONFIRMED', 'CANCELLED'] as const;
export type SummaryStatus = (typeof SUMMARY_STATUSES)[number];

/** The name stored when identity or catalog could not tell it. */
export const UNKNOWN_NAME = 'Unknown';
