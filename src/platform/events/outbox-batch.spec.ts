import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../../test/support/test-database.js';
import { TEST_MODULE_DB_SECRET } from '../../../test/support/test-env.js';
import { defineIntegrationEvent, type EventEnvelope } from '../contracts/integration-event.js';
import type { DatabaseEngine } from '../database/database-engine.js';
import type { Db, ModuleDatabase } from '../database/module-database.js';
import { PgliteEngine } from '../database/pglite-engine.js';
import { PostgresEngine } from '../database/postgres-engine.js';
import { requestContext, type RequestContext } from '../logging/request-context.js';
import { applyEach } from './apply-once.js';
import { announcementOf, OutboxAnnouncer } from './outbox-announcer.js';
import { EventOutsideTransactionError, Outbox } from './outbox.js';
import type { Subscription } from './subscriptions.js';

/**
 * The batch paths of the event machinery, which group commit leans on: many events
 * published with one statement, each still carrying its own caller's ids and still
 * bound to the caller's transaction; and a batch of database-only events applied in
 * one consumer transaction, each still exactly once, a failing one failing alone.
 */
type Sql = <R>(module: string, text: string, params: unknown[]) => Promise<R[]>;
interface Engine {
  engine: DatabaseEngine;
  /** Reads stored state; `module` names the handle to read through where there is no superuser. */
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
        sql: async <R>(_module: string, text: string, params: unknown[]) => (await database.sql(text, params)) as R[],
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
      const dir = mkdtempSync(path.join(tmpdir(), 'shop-outbox-batch-'));
      const engine = await PgliteEngine.open(dir, 'shop_');
      await engine.migrate(['catalog', 'notifications']);
      return {
        engine,
        // PGlite has a single connection: checks read through the module's own handle.
        sql: async <R>(module: string, text: string, params: unknown[]) =>
          (await engine.forModule(module).transaction((tx) => runQuery(tx, text, params))) as R[],
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

const skuCounted = defineIntegrationEvent<{ sku: string }>('catalog', 'BatchProbeCounted');

function contextOf(name: string, traceparent: string | null = null): RequestContext {
  return { requestId: `request-${name}`, correlationId: randomUUID(), causationId: `request-${name}`, traceparent };
}

interface OutboxRow {
  id: string;
  type: string;
  payload: { sku: string };
  correlation_id: string;
  causation_id: string;
  traceparent: string | null;
  /** The transaction that wrote the row. */
  xmin: string;
  /** The statement, within that transaction, that wrote the row. */
  cmin: string;
}

describe.each(engines)('batches of events on $name', ({ open }) => {
  let opened: Engine;
  let catalog: ModuleDatabase;

  beforeAll(async () => {
    opened = await open();
    catalog = opened.engine.forModule('catalog');
  });
  afterAll(async () => {
    await opened.close();
  });

  const outboxRowsOf = (envelopes: EventEnvelope[]) =>
    opened.sql<OutboxRow>(
      'catalog',
      `SELECT id, type, payload, correlation_id, causation_id, traceparent, xmin::text AS xmin, cmin::text AS cmin
         FROM catalog.outbox WHERE id = ANY($1::uuid[]) ORDER BY seq`,
      [envelopes.map((envelope) => envelope.id)],
    );
  const outboxSize = async () => (await opened.sql<{ n: number }>('catalog', 'SELECT count(*)::int AS n FROM catalog.outbox', []))[0]!.n;

  describe('publishing many events at once', () => {
    const events = () =>
      [contextOf('ann', '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01'), contextOf('bob'), contextOf('cat')].map(
        (context, i) => ({ type: skuCounted, payload: { sku: `sku-${i}` }, context }),
      );

    it("should write every event in one statement of the caller's transaction, each with its own caller's ids", async () => {
      const published = events();
      // The batch runs in the context of whichever call started it: the events must not take that one.
      const envelopes = await requestContext.run(contextOf('batch-starter'), () =>
        catalog.transaction((tx) => new Outbox('catalog').publishAll(tx, published)),
      );

      const rows = await outboxRowsOf(envelopes);
      // In the order given, which is the order the relay will deliver them in.
      const stored = rows.map(({ id, type, payload, correlation_id, causation_id, traceparent }) => ({
        id,
        type,
        payload,
        correlation_id,
        causation_id,
        traceparent,
      }));
      expect(stored).toEqual(
        published.map(({ payload, context }, i) => ({
          id: envelopes[i]!.id,
          type: 'catalog.BatchProbeCounted',
          payload,
          correlation_id: context.correlationId,
          causation_id: context.causationId,
          traceparent: context.traceparent,
        })),
      );
      expect(envelopes.map((envelope) => envelope.correlationId)).toEqual(published.map(({ context }) => context.correlationId));
      // Postgres stamps each row with its transaction (xmin) and that transaction's statement (cmin).
      expect(new Set(rows.map((row) => row.xmin)).size).toBe(1);
      expect(new Set(rows.map((row) => row.cmin)).size).toBe(1);

      // The same three events published one by one take three statements: cmin tells them apart.
      const oneByOne = await catalog.transaction(async (tx) => {
        const outbox = new Outbox('catalog');
        const written: EventEnvelope[] = [];
        for (const { type, payload, context } of events()) written.push(await outbox.publish(tx, type, payload, context));
        return written;
      });
      expect(new Set((await outboxRowsOf(oneByOne)).map((row) => row.cmin)).size).toBe(3);
    });

    it("should leave no event behind when the caller's transaction rolls back", async () => {
      let envelopes: EventEnvelope[] = [];
      await expect(
        catalog.transaction(async (tx) => {
          envelopes = await new Outbox('catalog').publishAll(tx, events());
          throw new Error('the change was refused');
        }),
      ).rejects.toThrow('the change was refused');

      expect(envelopes).toHaveLength(3);
      expect(await outboxRowsOf(envelopes)).toEqual([]);
    });

    it('should refuse to publish outside a transaction', async () => {
      const before = await outboxSize();
      const outbox = new Outbox('catalog');

      await expect(outbox.publish(catalog.db, skuCounted, { sku: 'sku-x' })).rejects.toBeInstanceOf(EventOutsideTransactionError);
      await expect(outbox.publishAll(catalog.db, events())).rejects.toBeInstanceOf(EventOutsideTransactionError);
      expect(await outboxSize()).toBe(before);
    });

    it('should announce the events once committed, and never for a rollback', async () => {
      const channel = 'outbox_batch_probe';
      const announcer = new OutboxAnnouncer(opened.engine, channel);
      const told: string[] = [];
      announcer.onCommitted((module) => told.push(module));
      let heard!: (payload: string) => void;
      const notified = new Promise<string>((resolve) => (heard = resolve));
      const stopListening = await opened.engine.listen(channel, heard);
      const outbox = new Outbox('catalog', announcer);

      await expect(
        catalog.transaction(async (tx) => {
          await outbox.publishAll(tx, events());
          throw new Error('rolled back');
        }),
      ).rejects.toThrow('rolled back');
      expect(told).toEqual([]);

      const envelopes = await catalog.transaction(async (tx) => {
        const written = await outbox.publishAll(tx, events());
        expect(told).toEqual([]); // not before the commit: the relay would find nothing yet
        return written;
      });
      expect(told).toEqual(['catalog']);
      expect(await outboxRowsOf(envelopes)).toHaveLength(3);
      // Other processes hear one NOTIFY naming the module, signed by the announcer.
      expect(announcementOf(await notified)).toEqual({ modules: ['catalog'], from: announcer.instanceId });
      await stopListening();
    });
  });

  describe('applying a batch of database-only events', () => {
    const calls = new Map<string, number>();
    const failing = new Set<string>();

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

    /** Work that writes one row of the consumer's own tables and nothing outside: no savepoint per event. */
    const subscription: Subscription = {
      name: 'notifications.DatabaseOnlyProbe',
      consumer: 'notifications',
      eventType: 'test.Happened',
      databaseOnly: true,
      handle: async (event, apply) => {
        const { userId, name } = event.payload as { userId: string; name: string };
        await apply(async (tx) => {
          calls.set(name, (calls.get(name) ?? 0) + 1);
          await tx.execute(sql`
            INSERT INTO notifications.notifications
              (recipient_user_id, recipient_email, channel, template, subject, body, event_id)
            VALUES (${userId}, ${`${name}@test.local`}, 'email', 'probe', 'probe', 'probe', ${event.id})`);
          if (failing.has(name)) throw new Error(`${name} cannot be applied`);
        });
      },
    };

    /** How many rows each event's work left, in the events' order. */
    const effectsOf = async (events: EventEnvelope[]) => {
      const rows = await opened.sql<{ event_id: string; n: number }>(
        'notifications',
        'SELECT event_id, count(*)::int AS n FROM notifications.notifications WHERE event_id = ANY($1::uuid[]) GROUP BY event_id',
        [events.map((e) => e.id)],
      );
      const counted = new Map(rows.map((row) => [row.event_id, row.n]));
      return events.map((e) => counted.get(e.id) ?? 0);
    };
    const recordedOf = async (events: EventEnvelope[]) => {
      const rows = await opened.sql<{ event_id: string }>(
        'notifications',
        "SELECT event_id FROM notifications.inbox WHERE subscription = 'notifications.DatabaseOnlyProbe' AND event_id = ANY($1::uuid[])",
        [events.map((e) => e.id)],
      );
      const recorded = new Set(rows.map((row) => row.event_id));
      return events.map((e) => recorded.has(e.id));
    };
    const outcomes = (results: PromiseSettledResult<string>[]) =>
      results.map((r) => (r.status === 'fulfilled' ? r.value : `rejected: ${(r.reason as Error).message}`));

    it('should apply the others exactly once when one event of the batch fails, and fail that one alone', async () => {
      const events = ['ann', 'bob', 'bad', 'cat', 'dan'].map(envelope);
      failing.add('bad');

      const results = await applyEach(opened.engine, subscription, events);

      expect(outcomes(results)).toEqual(['applied', 'applied', 'rejected: bad cannot be applied', 'applied', 'applied']);
      // The batch was undone and each event applied alone: whatever ran twice left one row.
      expect(await effectsOf(events)).toEqual([1, 1, 0, 1, 1]);
      // The failed one is not recorded, so a redelivery applies it.
      expect(await recordedOf(events)).toEqual([true, true, false, true, true]);

      failing.clear();
      const retried = await applyEach(opened.engine, subscription, events);
      expect(outcomes(retried)).toEqual(['duplicate', 'duplicate', 'applied', 'duplicate', 'duplicate']);
      expect(await effectsOf(events)).toEqual([1, 1, 1, 1, 1]);
    });

    it('should apply a clean batch once, in one go, and write nothing for a repeat delivery', async () => {
      const names = ['eve', 'fay', 'gus', 'hal', 'ivy'];
      const events = names.map(envelope);

      const results = await applyEach(opened.engine, subscription, events);

      expect(outcomes(results)).toEqual(['applied', 'applied', 'applied', 'applied', 'applied']);
      expect(await effectsOf(events)).toEqual([1, 1, 1, 1, 1]);
      expect(await recordedOf(events)).toEqual([true, true, true, true, true]);
      // Nothing failed, so nothing was undone and run again.
      expect(names.map((name) => calls.get(name))).toEqual([1, 1, 1, 1, 1]);

      const repeated = await applyEach(
        opened.engine,
        subscription,
        events.map((event) => ({ ...event })),
      );
      expect(outcomes(repeated)).toEqual(['duplicate', 'duplicate', 'duplicate', 'duplicate', 'duplicate']);
      expect(await effectsOf(events)).toEqual([1, 1, 1, 1, 1]);
      expect(names.map((name) => calls.get(name))).toEqual([1, 1, 1, 1, 1]);
    });
  });
});

describe('announcementOf', () => {
  it('should read the modules and the sender of an announcer’s NOTIFY', () => {
    expect(announcementOf('ordering,payments:abc')).toEqual({ modules: ['ordering', 'payments'], from: 'abc' });
  });

  it('should read a NOTIFY sent inside a transaction as one module and no sender', () => {
    expect(announcementOf('catalog')).toEqual({ modules: ['catalog'], from: undefined });
  });
});
