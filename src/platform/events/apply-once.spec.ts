import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../../test/support/test-database.js';
import { TEST_MODULE_DB_SECRET } from '../../../test/support/test-env.js';
import type { EventEnvelope } from '../contracts/integration-event.js';
import type { Db } from '../database/module-database.js';
import type { DatabaseEngine } from '../database/database-engine.js';
import { PgliteEngine } from '../database/pglite-engine.js';
import { PostgresEngine } from '../database/postgres-engine.js';
import { applyEach, applyOnce } from './apply-once.js';
import type { Subscription } from './subscriptions.js';

/**
 * applyEach runs a batch of events for one subscription in one consumer transaction.
 * What a consumer must observe is the same as one transaction per event: each event's
 * effect exactly once, a failing event failing alone, and no effect run twice.
 */
type Sql = <R>(text: string, params: unknown[]) => Promise<R[]>;
interface Engine {
  engine: DatabaseEngine;
  sql: Sql;
  close(): Promise<void>;
}

const engines: { name: string; open: () => Promise<Engine> }[] = [
  {
    name: 'PostgreSQL',
    open: async () => {
      const database: TestDatabase = await createTestDatabase();
      const engine = new PostgresEngine({ url: database.url, poolSize: 4, rolePrefix: 'shop_', roleSecret: TEST_MODULE_DB_SECRET });
      return {
        engine,
        sql: async <R>(text: string, params: unknown[]) => (await database.sql(text, params)) as R[],
        close: async () => {
          await engine.close();
          await database.drop();
        },
      };
    },
  },
  {
    name: 'embedded PGlite',
    open: async () => {
      const dir = mkdtempSync(path.join(tmpdir(), 'shop-apply-each-'));
      const engine = await PgliteEngine.open(dir, 'shop_');
      await engine.migrate(['notifications']);
      return {
        engine,
        // Checks read through the consumer's own handle: PGlite has a single connection.
        sql: async <R>(text: string, params: unknown[]) =>
          (await engine.forModule('notifications').transaction((tx) => runQuery(tx, text, params))) as R[],
        close: async () => {
          await engine.close();
          rmSync(dir, { recursive: true, force: true });
        },
      };
    },
  },
];

async function runQuery(tx: Db, text: string, params: unknown[]): Promise<unknown[]> {
  const client = (tx as unknown as { session: { client: { query(t: string, p: unknown[]): Promise<{ rows: unknown[] }> } } }).session
    .client;
  return (await client.query(text, params)).rows;
}

describe.each(engines)('applying a batch of events to one subscription on $name', ({ open }) => {
  let engine: DatabaseEngine;
  let database: { sql: Sql };
  let opened: Engine;
  const calls = new Map<string, number>();
  const failing = new Set<string>();

  beforeAll(async () => {
    opened = await open();
    engine = opened.engine;
    database = opened;
  });
  afterAll(async () => {
    await opened.close();
  });

  const envelope = (name: string): EventEnvelope<{ userId: string; name: string }> => ({
    id: randomUUID(),
    type: 'test.Happened',
    version: 1,
    source: 'test',
    occurredAt: new Date().toISOString(),
    correlationId: randomUUID(),
    causationId: 'test',
    traceparent: null,
    payload: { userId: randomUUID(), name },
  });

  /** A notifications subscription whose work writes a row and counts its calls (like a sender would). */
  const subscription: Subscription = {
    name: 'notifications.BatchProbe',
    consumer: 'notifications',
    eventType: 'test.Happened',
    handle: async (event, apply) => {
      const { userId, name } = event.payload as { userId: string; name: string };
      if (name.startsWith('skip')) return; // nothing to do: still marked as seen
      await apply(async (tx) => {
        await tx.execute(sql`
          INSERT INTO notifications.notifications
            (recipient_user_id, recipient_email, channel, template, subject, body, event_id)
          VALUES (${userId}, ${`${name}@test.local`}, 'email', 'probe', 'probe', 'probe', ${event.id})`);
        calls.set(name, (calls.get(name) ?? 0) + 1);
        if (failing.has(name)) throw new Error(`${name} cannot be applied`);
      });
    },
  };

  const effectsOf = async (events: EventEnvelope[]) =>
    (await database.sql<{ n: number }>('SELECT count(*)::int AS n FROM notifications.notifications WHERE event_id = ANY($1::uuid[])', [
      events.map((e) => e.id),
    ]))[0]!.n;
  const inboxOf = async (events: EventEnvelope[]) =>
    (await database.sql<{ n: number }>(
      "SELECT count(*)::int AS n FROM notifications.inbox WHERE subscription = 'notifications.BatchProbe' AND event_id = ANY($1::uuid[])",
      [events.map((e) => e.id)],
    ))[0]!.n;

  it('should apply each event once, fail only the failing one, and run no effect twice', async () => {
    const events = ['ann', 'bob', 'bad-1', 'cat', 'skip-dan'].map(envelope);
    failing.add('bad-1');

    const results = await applyEach(engine, subscription, events);

    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'fulfilled', 'rejected', 'fulfilled', 'fulfilled']);
    expect((results[2] as PromiseRejectedResult).reason.message).toBe('bad-1 cannot be applied');
    expect(await effectsOf(events)).toBe(3); // ann, bob, cat; nothing of bad-1
    expect(await inboxOf(events)).toBe(4); // bad-1 is not recorded, so a retry applies it
    for (const name of ['ann', 'bob', 'cat']) expect(calls.get(name)).toBe(1);

    // The retry, after the fault is fixed, applies it once; the rest are duplicates.
    failing.clear();
    const again = await applyEach(engine, subscription, events);
    expect(again.map((r) => (r.status === 'fulfilled' ? r.value : 'rejected'))).toEqual([
      'duplicate',
      'duplicate',
      'applied',
      'duplicate',
      'duplicate',
    ]);
    expect(await effectsOf(events)).toBe(4);
    expect(calls.get('ann')).toBe(1);
  });

  it('should treat a second copy of an event in the same batch as a duplicate', async () => {
    const eve = envelope('eve');
    const results = await applyEach(engine, subscription, [eve, { ...eve }]);
    expect(results.map((r) => (r.status === 'fulfilled' ? r.value : 'rejected'))).toEqual(['applied', 'duplicate']);
    expect(await effectsOf([eve])).toBe(1);
    expect(await applyOnce(engine, subscription, eve)).toBe('duplicate');
  });

  it('should report a handler that fails before apply without holding up the others', async () => {
    const throwing: Subscription = {
      ...subscription,
      handle: async (event, apply) => {
        if ((event.payload as { name: string }).name === 'early') throw new Error('lookup failed');
        await subscription.handle(event, apply);
      },
    };
    const events = [envelope('fay'), envelope('early'), envelope('gus')];
    const results = await applyEach(engine, throwing, events);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect(await effectsOf(events)).toBe(2);
    expect(await inboxOf(events)).toBe(2);
  });
});
