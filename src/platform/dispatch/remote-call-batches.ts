import type { Dispatcher, Pool } from 'undici';
import type { RequestContext } from '../logging/request-context.js';
import { MAX_BATCH_BYTES, MAX_CALLS_PER_BATCH, RPC_BATCH_SUFFIX } from './rpc-batch.js';

/** One call, encoded, as the remote transport hands it over to be sent. */
export interface OutgoingCall {
  wireName: string;
  /** The encoded message (JSON). */
  body: string;
  /** A service credential carrying the call's end user. */
  credential: string;
  /** When the caller stops waiting (epoch ms). */
  deadlineAt: number;
  context: RequestContext | undefined;
  /** The attempt's signal: once aborted, the call is given up (the others of its batch go on). */
  signal: AbortSignal;
}

/** What came back for one call: the status it was answered with and its parsed body (undefined if not JSON). */
export interface CallAnswer {
  statusCode: number;
  decoded: unknown;
}

/** The call could not be sent or its answer not read (the reason); the transport turns this into its own error. */
export class CallNotAnswered extends Error {}

interface Pending {
  call: OutgoingCall;
  resolve: (answer: CallAnswer) => void;
  reject: (error: Error) => void;
}

/**
 * Sends a target service's calls, coalescing those made in the same turn of the event
 * loop: the calls of one contract type queued by then go in one request (rpc-batch.ts),
 * at most `maxBatch` (and about MAX_BATCH_BYTES) at a time; a call alone goes as a
 * plain `POST /internal/rpc/<wire name>`, as does every call when `maxBatch` is 1.
 *
 * There is no timer: a batch is sent once the code running now has yielded and the
 * event loop has gone round (`setImmediate`), so a lone call waits microseconds, and
 * under load the calls that one answer of the database set off (a group commit that
 * moves thirty sagas on at once) leave together, as they would have run together in
 * one process.
 *
 * Each call still succeeds, fails or times out on its own: the policies around it
 * (retry, breaker, bulkhead, attempt timeout) see only that call. A call given up at
 * its timeout is settled at once; the request it rode in is aborted only when every
 * call in it has been given up.
 */
export class RemoteCallBatches {
  private readonly queued = new Map<string, Pending[]>();
  private scheduled = false;
  private readonly maxBatch: number;

  constructor(
    private readonly pool: Pool,
    maxBatch: number,
    /** The sender's own credential, without an end user: the Authorization of a batch. */
    private readonly senderCredential: () => Promise<string>,
  ) {
    this.maxBatch = Math.min(Math.max(1, maxBatch), MAX_CALLS_PER_BATCH);
  }

  send(call: OutgoingCall): Promise<CallAnswer> {
    if (this.maxBatch === 1) return this.sendAlone(call);
    return new Promise<CallAnswer>((resolve, reject) => {
      let queue = this.queued.get(call.wireName);
      if (!queue) this.queued.set(call.wireName, (queue = []));
      queue.push({ call, resolve, reject });
      if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => this.flush());
      }
    });
  }

  private flush(): void {
    this.scheduled = false;
    for (const [wireName, queue] of this.queued) {
      this.queued.delete(wireName);
      const waiting = queue.filter((pending) => {
        if (!pending.call.signal.aborted) return true;
        pending.reject(new CallNotAnswered('given up before it was sent'));
        return false;
      });
      for (const batch of this.batchesOf(waiting)) {
        if (batch.length === 1) {
          const [only] = batch as [Pending];
          this.sendAlone(only.call).then(only.resolve, only.reject);
        } else {
          void this.sendBatch(wireName, batch);
        }
      }
    }
  }

  /** Cuts the waiting calls into batches of at most maxBatch calls and about MAX_BATCH_BYTES. */
  private *batchesOf(waiting: Pending[]): Generator<Pending[]> {
    let batch: Pending[] = [];
    let bytes = 0;
    for (const pending of waiting) {
      const size = pending.call.body.length + pending.call.credential.length + 200;
      if (batch.length && (batch.length >= this.maxBatch || bytes + size > MAX_BATCH_BYTES)) {
        yield batch;
        batch = [];
        bytes = 0;
      }
      batch.push(pending);
      bytes += size;
    }
    if (batch.length) yield batch;
  }

  private async sendAlone(call: OutgoingCall): Promise<CallAnswer> {
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      authorization: `Bearer ${call.credential}`,
      'x-deadline-ms': String(Math.max(1, call.deadlineAt - Date.now())),
    };
    const { context } = call;
    if (context) {
      headers['x-request-id'] = context.requestId;
      headers['x-correlation-id'] = context.correlationId;
      if (context.traceparent) headers.traceparent = context.traceparent;
    }
    return this.post(`/internal/rpc/${call.wireName}`, headers, call.body, call.signal);
  }

  private async sendBatch(wireName: string, batch: Pending[]): Promise<void> {
    const open = new Set(batch);
    const settle = (pending: Pending, outcome: { answer: CallAnswer } | { error: Error }) => {
      if (!open.delete(pending)) return;
      pending.call.signal.removeEventListener('abort', onAbort.get(pending)!);
      if ('answer' in outcome) pending.resolve(outcome.answer);
      else pending.reject(outcome.error);
    };
    // A call given up at its timeout is settled now; the request goes on for the others.
    const everyCallGivenUp = new AbortController();
    const onAbort = new Map<Pending, () => void>();
    const parts: string[] = [];
    for (const pending of batch) {
      const { call } = pending;
      const listener = () => {
        settle(pending, { error: new CallNotAnswered('given up while its batch was in flight') });
        if (!open.size) everyCallGivenUp.abort();
      };
      onAbort.set(pending, listener);
      call.signal.addEventListener('abort', listener, { once: true });
      const meta = JSON.stringify({
        credential: call.credential,
        deadlineMs: Math.max(1, call.deadlineAt - Date.now()),
        requestId: call.context?.requestId,
        correlationId: call.context?.correlationId,
        traceparent: call.context?.traceparent ?? null,
      });
      parts.push(`${meta.slice(0, -1)},"message":${call.body}}`);
    }
    let outcome: CallAnswer;
    try {
      const headers = { 'content-type': 'application/json', authorization: `Bearer ${await this.senderCredential()}` };
      outcome = await this.post(`/internal/rpc/${wireName}${RPC_BATCH_SUFFIX}`, headers, `{"calls":[${parts.join(',')}]}`, everyCallGivenUp.signal);
    } catch (error) {
      const lost = error instanceof CallNotAnswered ? error : new CallNotAnswered((error as Error).message);
      for (const pending of batch) settle(pending, { error: lost });
      return;
    }
    const answers = (outcome.decoded as { answers?: unknown } | undefined)?.answers;
    batch.forEach((pending, i) => {
      if (outcome.statusCode === 200 && Array.isArray(answers) && answers.length === batch.length) {
        settle(pending, { answer: { statusCode: 200, decoded: answers[i] } });
      } else {
        // Refused as a whole (credential, unknown contract, malformed), or not our protocol:
        // every call gets that answer, as it would have alone.
        settle(pending, { answer: outcome });
      }
    });
  }

  private async post(path: string, headers: Record<string, string>, body: string, signal: AbortSignal): Promise<CallAnswer> {
    let answer: Dispatcher.ResponseData;
    let text: string;
    try {
      answer = await this.pool.request({ path, method: 'POST', headers, body, signal });
      text = await answer.body.text();
    } catch (error) {
      throw new CallNotAnswered((error as Error).message);
    }
    let decoded: unknown;
    try {
      decoded = JSON.parse(text);
    } catch {
      decoded = undefined;
    }
    return { statusCode: answer.statusCode, decoded };
  }
}
