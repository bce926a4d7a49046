import { describe, expect, it } from 'vitest';
import { requestContext, type RequestContext } from '../logging/request-context.js';
import { failed, GroupCommit, groupedLookup, succeeded, type ItemOutcome } from './group-commit.js';

/**
 * GroupCommit runs concurrent calls together. What a caller must observe is what it
 * would have seen had its call run alone: its own value, or its own error, and never
 * another caller's. The batches are held open with promises the test settles itself,
 * so "calls made while a batch runs" is arranged exactly, without timing.
 */

/** A promise the test settles when it chooses: holds a batch open. */
function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((settle) => (resolve = settle));
  return { promise, resolve };
}

class OutOfStock extends Error {}

/**
 * A batch that upper-cases its items, remembering each batch it was given. The batch
 * whose first item is 'held' waits for `hold` before it answers, so the calls made
 * meanwhile queue up for the next one.
 */
function upperCasing(
  answer: (items: string[]) => ItemOutcome<string>[] = (items) => items.map((item) => succeeded(item.toUpperCase())),
  maxBatch?: number,
) {
  const hold = deferred();
  const started = deferred();
  const batches: string[][] = [];
  const callersSeen: (RequestContext | undefined)[][] = [];
  const commit = new GroupCommit<string, string>({
    name: 'upper-casing',
    maxBatch,
    run: async (items, callers) => {
      batches.push([...items]);
      callersSeen.push([...callers]);
      if (items[0] === 'held') {
        started.resolve();
        await hold.promise;
      }
      return answer(items);
    },
  });
  return { commit, hold, started, batches, callersSeen };
}

const outcomesOf = async (calls: Promise<string>[]) =>
  (await Promise.allSettled(calls)).map((result) => (result.status === 'fulfilled' ? result.value : result.reason));

describe('GroupCommit', () => {
  it('should run a call made while idle alone, as soon as the current turn of the event loop ends', async () => {
    const { commit, batches } = upperCasing();

    const answer = commit.submit('ann');

    // No timer: the batch starts when the code running now yields, not after a delay.
    expect(batches).toEqual([]);
    expect(await answer).toBe('ANN');
    expect(batches).toEqual([['ann']]);
  });

  it('should keep gathering over the next turns of the event loop while calls keep coming', async () => {
    const { commit, batches } = upperCasing();
    // One call per turn, each made by a callback of that turn that runs before the batch
    // looks again (as the database answers of a turn are handled before it does).
    const bob = new Promise<string>((resolve) => setImmediate(() => resolve(commit.submit('bob'))));
    const cat = new Promise<string>((resolve) => setImmediate(() => setImmediate(() => resolve(commit.submit('cat')))));
    const ann = commit.submit('ann');

    expect(await Promise.all([ann, bob, cat])).toEqual(['ANN', 'BOB', 'CAT']);
    expect(batches).toEqual([['ann', 'bob', 'cat']]);
  });

  it('should stop gathering after a turn that brought no call', async () => {
    const { commit, batches } = upperCasing();
    const ann = commit.submit('ann');
    // Two turns later: the batch has stopped waiting by then.
    const bob = new Promise<string>((resolve) => setImmediate(() => setImmediate(() => setImmediate(() => resolve(commit.submit('bob'))))));

    expect(await Promise.all([ann, bob])).toEqual(['ANN', 'BOB']);
    expect(batches).toEqual([['ann'], ['bob']]);
  });

  it('should run the calls made in one turn of the event loop together, in one batch', async () => {
    const { commit, batches } = upperCasing();

    const answers = ['ann', 'bob', 'cat'].map((item) => commit.submit(item));

    expect(await Promise.all(answers)).toEqual(['ANN', 'BOB', 'CAT']);
    expect(batches).toEqual([['ann', 'bob', 'cat']]);
  });

  it('should run the calls made while a batch runs together in the next batch, each answered its own value', async () => {
    const { commit, hold, started, batches } = upperCasing();
    const first = commit.submit('held');
    await started.promise; // the held batch runs; what follows queues behind it
    const others = ['ann', 'bob', 'cat'].map((item) => commit.submit(item));

    // They wait for the running batch instead of starting transactions of their own.
    expect(batches).toEqual([['held']]);
    hold.resolve();

    expect(await first).toBe('HELD');
    expect(await Promise.all(others)).toEqual(['ANN', 'BOB', 'CAT']);
    expect(batches).toEqual([['held'], ['ann', 'bob', 'cat']]);
  });

  it('should reject only the caller whose item was answered failed', async () => {
    const refusal = new OutOfStock('bob: out of stock');
    const { commit, hold, started, batches } = upperCasing((items) =>
      items.map((item) => (item === 'bob' ? failed(refusal) : succeeded(item.toUpperCase()))),
    );
    const first = commit.submit('held');
    await started.promise; // the held batch runs; what follows queues behind it
    const others = ['ann', 'bob', 'cat'].map((item) => commit.submit(item));
    hold.resolve();
    await first;

    expect(await outcomesOf(others)).toEqual(['ANN', refusal, 'CAT']);
    // A refusal is an answer, not a failed batch: nobody's work is run again.
    expect(batches).toEqual([['held'], ['ann', 'bob', 'cat']]);
  });

  it('should run the halves of a batch that throws apart, down to the poisoned item, so only it fails', async () => {
    const poison = new Error('poison breaks the whole batch');
    const { commit, hold, started, batches } = upperCasing((items) => {
      if (items.includes('poison')) throw poison;
      return items.map((item) => succeeded(item.toUpperCase()));
    });
    const first = commit.submit('held');
    await started.promise; // the held batch runs; what follows queues behind it
    const others = ['ann', 'poison', 'cat', 'dot'].map((item) => commit.submit(item));
    hold.resolve();
    await first;

    expect(await outcomesOf(others)).toEqual(['ANN', poison, 'CAT', 'DOT']);
    // The healthy half goes through in one run; only the poisoned half is split further.
    expect(batches).toEqual([['held'], ['ann', 'poison', 'cat', 'dot'], ['ann', 'poison'], ['ann'], ['poison'], ['cat', 'dot']]);
    // The failure leaves nothing stuck: the next call is served as usual.
    expect(await commit.submit('dan')).toBe('DAN');
  });

  it('should take no more than maxBatch items in one batch', async () => {
    const { commit, hold, started, batches } = upperCasing(undefined, 2);
    const first = commit.submit('held');
    await started.promise; // the held batch runs; what follows queues behind it
    const others = ['a', 'b', 'c', 'd', 'e'].map((item) => commit.submit(item));
    hold.resolve();
    await first;

    expect(await Promise.all(others)).toEqual(['A', 'B', 'C', 'D', 'E']);
    expect(batches).toEqual([['held'], ['a', 'b'], ['c', 'd'], ['e']]);
  });

  it('should refuse a maxBatch below one', () => {
    expect(() => new GroupCommit({ name: 'empty', maxBatch: 0, run: async () => [] })).toThrow(/empty: maxBatch/);
  });

  it('should treat a wrong number of outcomes as a failed batch and run each item alone', async () => {
    // A batch of several answers one outcome too few; a single item answers none at all.
    const { commit, hold, started, batches } = upperCasing((items) => {
      if (items[0] === 'held') return [succeeded('HELD')];
      if (items.length > 1) return items.slice(1).map((item) => succeeded(item.toUpperCase()));
      return items[0] === 'lost' ? [] : [succeeded(items[0]!.toUpperCase())];
    });
    const first = commit.submit('held');
    await started.promise; // the held batch runs; what follows queues behind it
    const others = ['ann', 'bob', 'lost'].map((item) => commit.submit(item));
    hold.resolve();
    await first;

    const [ann, bob, lost] = await outcomesOf(others);
    // Nobody is answered another item's value: the miscounted batch is split down to single items.
    expect([ann, bob]).toEqual(['ANN', 'BOB']);
    expect(lost).toBeInstanceOf(Error);
    expect((lost as Error).message).toMatch(/^upper-casing: /); // the error names the batch
    expect(batches).toEqual([['held'], ['ann', 'bob', 'lost'], ['ann', 'bob'], ['ann'], ['bob'], ['lost']]);
  });

  it('should treat an outcome that is not one as a failed batch, and leave no caller waiting', async () => {
    const { commit, hold, started, batches } = upperCasing((items) =>
      items.map((item) => (item === 'broken' ? (undefined as unknown as ItemOutcome<string>) : succeeded(item.toUpperCase()))),
    );
    const first = commit.submit('held');
    await started.promise; // the held batch runs; what follows queues behind it
    const others = ['ann', 'broken'].map((item) => commit.submit(item));
    hold.resolve();
    await first;

    const [ann, broken] = await outcomesOf(others);
    expect(ann).toBe('ANN');
    expect((broken as Error).message).toMatch(/^upper-casing: /);
    expect(batches).toEqual([['held'], ['ann', 'broken'], ['ann'], ['broken']]);
  });

  it('should fail every item at once, without splitting, when the database cannot be reached', async () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' });
    const { commit, hold, started, batches } = upperCasing((items) => {
      if (items[0] !== 'held') throw refused;
      return items.map((item) => succeeded(item.toUpperCase()));
    });
    const first = commit.submit('held');
    await started.promise; // the held batch runs; what follows queues behind it
    const others = ['ann', 'bob', 'cat'].map((item) => commit.submit(item));
    hold.resolve();
    await first;

    expect(await outcomesOf(others)).toEqual([refused, refused, refused]);
    // One try for the batch: retrying each item would only wait out the same failure again.
    expect(batches).toEqual([['held'], ['ann', 'bob', 'cat']]);
  });

  it('should hand run the request context each item was submitted in', async () => {
    const contextOf = (id: string): RequestContext => ({
      requestId: `request-${id}`,
      correlationId: `correlation-${id}`,
      causationId: `cause-${id}`,
      traceparent: null,
    });
    const { commit, hold, started, callersSeen } = upperCasing();
    const first = requestContext.run(contextOf('held'), () => commit.submit('held'));
    await started.promise;
    const ann = requestContext.run(contextOf('ann'), () => commit.submit('ann'));
    const outsider = commit.submit('outsider'); // no request around it (a timer, say)
    const bob = requestContext.run(contextOf('bob'), () => commit.submit('bob'));
    hold.resolve();
    await Promise.all([first, ann, outsider, bob]);

    // The second batch was started by the held call's completion, yet each item keeps its own caller.
    expect(callersSeen).toEqual([[contextOf('held')], [contextOf('ann'), undefined, contextOf('bob')]]);
  });

  it("should run batches in no caller's context, so nothing done for all is stamped with one caller's ids", async () => {
    const seenInside: (RequestContext | undefined)[] = [];
    const commit = new GroupCommit<string, string>({
      name: 'context-free',
      run: async (items) => {
        seenInside.push(requestContext.current());
        return items.map((item) => succeeded(item));
      },
    });
    const context: RequestContext = { requestId: 'r', correlationId: 'c', causationId: 'r', traceparent: null };
    await requestContext.run(context, async () => {
      await commit.submit('first');
      // The caller's own context is intact after the batch answered.
      expect(requestContext.current()).toBe(context);
    });
    expect(seenInside).toEqual([undefined]);
  });
});

describe('groupedLookup', () => {
  interface Product {
    sku: string;
    name: string;
  }
  const catalog: Product[] = ['a', 'b', 'c', 'd', 'h'].map((sku) => ({ sku, name: `product ${sku}` }));

  it('should fetch concurrent lookups with one call for the union of their keys, and give each caller its own rows', async () => {
    const hold = deferred();
    const started = deferred();
    const fetched: string[][] = [];
    const lookUp = groupedLookup<string, Product>(
      'products',
      async (skus) => {
        fetched.push([...skus]);
        if (skus.includes('h')) {
          started.resolve();
          await hold.promise;
        }
        // Rows come back in the store's order, whatever order the keys were asked in.
        return catalog.filter((product) => skus.includes(product.sku));
      },
      (product) => product.sku,
    );
    const first = lookUp(['h']);
    await started.promise; // the first lookup runs; the next ones queue behind it
    const ann = lookUp(['a', 'b']);
    const bob = lookUp(['c', 'b']);
    const cat = lookUp(['d', 'missing']);
    hold.resolve();

    expect(await first).toEqual([{ sku: 'h', name: 'product h' }]);
    expect(await ann).toEqual([
      { sku: 'a', name: 'product a' },
      { sku: 'b', name: 'product b' },
    ]);
    expect(await bob).toEqual([
      { sku: 'b', name: 'product b' },
      { sku: 'c', name: 'product c' },
    ]);
    expect(await cat).toEqual([{ sku: 'd', name: 'product d' }]);
    // 'b', asked twice, is asked for once.
    expect(fetched).toEqual([['h'], ['a', 'b', 'c', 'd', 'missing']]);
  });
});
