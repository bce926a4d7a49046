import { z } from 'zod';

const DAY_MS = 24 * 60 * 60 * 1000;
const isoDate = z.iso.date();
const instant = z.union([isoDate, z.iso.datetime({ offset: true })], {
  error: 'expected an ISO date (2024-05-31) or timestamp with offset (2024-05-31T12:00:00Z)',
});

/**
 * A report's period as query parameters `from` and `to`, both optional. A date means
 * a whole UTC day, so `from=2024-05-01&to=2024-05-31` covers all of May; a timestamp
 * is an exact bound (`from` inclusive, `to` exclusive). The result is a half-open
 * interval [from, before) of ISO timestamps.
 */
export const periodFields = {
  from: instant
    .transform((value) => new Date(isoDate.safeParse(value).success ? `${value}T00:00:00Z` : value).toISOString())
    .optional()
    .describe('Start: an ISO date (that UTC day included) or timestamp (inclusive)'),
  to: instant
    .transform((value) =>
      isoDate.safeParse(value).success
        ? new Date(Date.parse(`${value}T00:00:00Z`) + DAY_MS).toISOString()
        : new Date(value).toISOString(),
    )
    .optional()
    .describe('End: an ISO date (that UTC day included) or timestamp (exclusive)'),
};

/** `to` must come after `from`; reported on `to`. */
export function fromBeforeTo(value: { from?: string; to?: string }, context: z.RefinementCtx): void {
  if (value.from && value.to && value.from >= value.to) {
    context.addIssue({ code: 'custom', path: ['to'], message: 'must be after from' });
  }
}
