import { requestContext, type RequestContext } from '../logging/request-context.js';
import { hasErrorCode, isConnectionLost } from './database-unavailable.js';

/** What one item of a batch came to: its value, or the error that item alone failed with. */
export type ItemOutcome<O> = { ok: true; value: O } | { ok: false; error: unknown };

export const succeeded = <O>(value: O): ItemOutcome<O> => ({ ok: true, value });
export const failed = <O = never>(error: unknown): ItemOutcome<O> => ({ ok: false, error });

export interface GroupCommitOptions<I, O> {
  /** Names the batch in errors. */
  name: string;
  /**
   * Does the work of every item in one go (typically one transaction) and answers one
   * outcome per item, in the items' order. An item that fails on its own (out of stock,
   * say) answers `failed(error)` and must leave nothing behind; the others go on. If
   * the batch itself throws, nothing of it may have been kept (a rolled-back
   * transaction): its halves are then run again apart, down to single items, so one
   * poisoned item cannot fail the others and only that item sees its error (unless
   * the database is unreachable: then every item fails at once, without retries).
   *
   * `run` works for all its callers, so it runs in none's request context;
   * `callers[i]` is the context item i was submitted in: pass it to
   * `Outbox.publishAll`, so each event carries its own order's correlation and
   * causation ids.
   *
   * `run` must not wait on a call to its own GroupCommit (directly or through another
   * batch that does): that call waits for the next batch, which waits for this one.
   */
  run(items: I[], callers: (RequestContext | undefined)[]): Promise<ItemOutcome<O>[]>;
  /** The most items one batch takes (default 64). */
  maxBatch?: number;
}

/**
 * Group commit: concurrent calls that would each run their own small transaction are
 * run together, one transaction for all of them, the way a database groups commits.
 *
 * There is no timer. A batch starts once the code running now has yielded and the
 * event loop has gone round (`setImmediate`, after the I/O callbacks of the turn), and
 * it keeps gathering for a few more turns only while calls keep coming. So an idle
 * system answers as fast as before (a lone call waits one turn, microseconds), and
 * under load the calls that many database answers of the same moment cause (each
 * moves some saga on) go in one batch. The calls made while a batch runs wait for it
 * and go together in the next. The busier the system, the bigger the batches, and the
 * fewer round trips and commits each call costs. In the checkout benchmark (32 orders
 * in flight), starting each batch at once gave batches of about three and 170
 * orders/s; gathering over the turn gave about 280, and over the following turns while
 * calls keep coming, about 400.
 *
 * One batch runs at a time per GroupCommit; callers of one kind of write (reserving
 * stock, say) never contend with each other for the same rows in two transactions.
 */
export class GroupCommit<I, O> {
  private readonly waiting: { item: I; caller: RequestContext | undefined; resolve: (value: O) => void; reject: (error: unknown) => void }[] = [];
  private running = false;
  private readonly maxBatch: number;

  constructor(private readonly options: GroupCommitOptions<I, O>) {
    this.maxBatch = options.maxBatch ?? 64;
    if (!(this.maxBatch >= 1)) throw new Error(`${options.name}: maxBatch must be at least 1`);
  }

  /** Runs `item` in the next batch; settles with that item's own outcome. */
  submit(item: I): Promise<O> {
    return new Promise<O>((resolve, reject) => {
      this.waiting.push({ item, caller: requestContext.current(), resolve, reject });
      if (!this.running) {
        this.running = true;
        // Batches work for many callers, so they run in none's context: their log lines
        // and events must not carry the correlation id of whoever happened to come first.
        requestContext.outside(() => void this.drain());
      }
    });
  }

  private async drain(): Promise<void> {
    try {
      while (this.waiting.length) {
        await this.gather();
        const batch = this.waiting.splice(0, this.maxBatch);
        let outcomes: ItemOutcome<O>[];
        try {
          outcomes = await this.runOrIsolate(
            batch.map((entry) => entry.item),
            batch.map((entry) => entry.caller),
          );
        } catch (error) {
          // Not expected (runOrIsolate answers every failure as outcomes), but no
          // caller may be left waiting whatever happens.
          outcomes = batch.map(() => failed(error));
        }
        batch.forEach((entry, i) => {
          const outcome = outcomes[i]!;
          if (outcome.ok) entry.resolve(outcome.value);
          else entry.reject(outcome.error);
        });
      }
    } finally {
      this.running = false;
    }
  }

  /**
   * Lets the event loop go round while calls keep coming (at most GATHER_TURNS turns,
   * or until a batch is full): the calls other callbacks of those turns make join this
   * batch instead of waiting for the next.
   */
  private async gather(): Promise<void> {
    let seen = -1;
    for (let turn = 0; turn < GATHER_TURNS && this.waiting.length !== seen && this.waiting.length < this.maxBatch; turn++) {
      seen = this.waiting.length;
      await new Promise((resolve) => setImmediate(resolve));
    }
  }

  private async runOrIsolate(items: I[], callers: (RequestContext | undefined)[]): Promise<ItemOutcome<O>[]> {
    try {
      const outcomes = await this.options.run(items, callers);
      if (outcomes.length !== items.length || !outcomes.every((o) => typeof o === 'object' && o !== null && typeof o.ok === 'boolean')) {
        throw new Error(`${this.options.name}: run answered ${outcomes.length} outcomes, not one for each of ${items.length} items`);
      }
      return outcomes;
    } catch (error) {
      // An unreachable database, or a batch that timed out waiting, fails every item
      // alike: trying halves again would only wait out the same timeout again for each.
      if (items.length === 1 || failsEveryItem(error)) return items.map(() => failed(error));
      // The whole batch failed (a deadlock, a bad value, a bug one item triggers):
      // nothing of it was kept. Each half gets its own try, and so on down to the
      // item at fault, so one poisoned item of 64 costs about a dozen runs, not 64.
      const half = Math.ceil(items.length / 2);
      return [
        ...(await this.runOrIsolate(items.slice(0, half), callers.slice(0, half))),
        ...(await this.runOrIsolate(items.slice(half), callers.slice(half))),
      ];
    }
  }
}

/**
 * How many turns of the event loop a batch may wait for more calls, as long as each
 * turn brings some. In the checkout benchmark 2, 4 and 8 gave the same throughput
 * (about 400 orders/s, against 280 with a single turn); 4 leaves room for bursts.
 */
const GATHER_TURNS = 4;

/**
 * Failures that are not any one item's doing: the database unreachable, shutting down
 * or closed (node-postgres, PostgreSQL's class 08 and 57P0x, PGlite), or a statement
 * cancelled by its timeout or a lock not granted in time (57014, 55P03). The last two
 * may be one item's rows locked elsewhere; splitting would make every caller of the
 * kind wait out the timeout again for each half, so all fail now and their callers
 * retry (the saga does, with backoff).
 */
function failsEveryItem(error: unknown): boolean {
  return isConnectionLost(error) || hasErrorCode(error, TIMED_OUT_CODES);
}

const TIMED_OUT_CODES = new Set(['57014', '55P03']);

/**
 * The same batching for reads by key: the keys every waiting caller asked for are
 * fetched with one call of `fetch`, and each caller gets the rows of its own keys (in
 * the order `fetch` returned them). For the lookups other modules make on every
 * order (products, stock items, users): under load, one query serves many callers.
 */
export function groupedLookup<K, R>(name: string, fetch: (keys: K[]) => Promise<R[]>, keyOf: (row: R) => K): (keys: K[]) => Promise<R[]> {
  const lookups = new GroupCommit<K[], R[]>({
    name,
    run: async (asked) => {
      const rows = await fetch([...new Set(asked.flat())]);
      if (asked.length === 1) return [succeeded(rows)];
      return asked.map((keys) => {
        const wanted = new Set(keys);
        return succeeded(rows.filter((row) => wanted.has(keyOf(row))));
      });
    },
  });
  return (keys) => lookups.submit(keys);
}
