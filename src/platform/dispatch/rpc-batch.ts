import { z } from 'zod';

/**
 * Batches of internal calls: `POST /internal/rpc/<wire name>/batch` carries several
 * calls of one contract type to the service hosting it, in one HTTP request, and
 * answers them all in one response, in order.
 *
 * Why: under load, many sagas make the same call at the same moment (a group commit
 * answers them together). Sent one request each, every call pays its own HTTP
 * round trip (about half a millisecond of CPU on both sides on this machine), and the
 * callee, seeing them arrive spread over several turns of its event loop, commits them
 * in small batches. Sent together, they cost one round trip, and they reach the
 * callee's own group commit at once (see remote-call-batches.ts).
 *
 * Each call keeps what it would carry alone: its own deadline, request and
 * correlation ids, trace context, and a service credential with its own end user.
 * The request's `Authorization` header is the sender's credential without an end
 * user; it is checked before the body is read.
 *
 * Request body: `{ "calls": [{ "credential", "deadlineMs", "requestId"?,
 * "correlationId"?, "traceparent"?, "message" }] }`.
 * Answer (200 once the batch itself is well formed and authorized):
 * `{ "answers": [ {} | { "result": … } | { "error": <ErrorEnvelope> } ] }`, one per
 * call. A batch refused as a whole (credential, unknown contract, malformed) answers
 * like a single call refused: a status and one `{ "error" }`, which is every call's.
 */
export const RPC_BATCH_SUFFIX = '/batch';

/** The most calls one batch may carry; a sender never builds a larger one. */
export const MAX_CALLS_PER_BATCH = 256;

/** A batch's body stops growing past this many bytes (a larger single message goes alone). */
export const MAX_BATCH_BYTES = 256 * 1024;

export const batchBodySchema = z.object({
  calls: z
    .array(
      z.object({
        credential: z.string().min(1).max(8192),
        deadlineMs: z.number().finite(),
        requestId: z.string().optional(),
        correlationId: z.string().optional(),
        traceparent: z.string().nullable().optional(),
        message: z.record(z.string(), z.unknown()),
      }),
    )
    .min(1)
    .max(MAX_CALLS_PER_BATCH),
});

export type BatchedCall = z.infer<typeof batchBodySchema>['calls'][number];
