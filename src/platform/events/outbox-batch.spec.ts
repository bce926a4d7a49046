import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testEngines, type OpenedEngine } from '../../../test/support/test-engines.js';
import { z } from 'zod';
import { defineIntegrationEvent, type EventEnvelope } from '../contracts/integration-event.js';
import type { ModuleDatabase } from '../database/module-database.js';
import { requestContext, type RequestContext } from '../logging/request-context.js';
import { announcementOf, OutboxAnnouncer } from './outbox-announcer.js';
import { EventOutsideTransactionError, Outbox } from './outbox.js';

/**
 * The batch paths of the event machinery, which group commit leans on: many events
 * published with one statement, each still carrying its own caller's ids and still
 * bound to the caller's transaction (database-only batches of events are proven in
 * apply-once.spec.ts).
 */
const engines = testEngines(['catalog']);

const skuCounted = defineIntegrationEvent('catalog', 'BatchProbeCounted', 1, z.object({ sku: z.string() }));

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
  let opened: OpenedEngine;
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
});

describe('announcementOf', () => {
  it('should read the modules and the sender of an announcer’s NOTIFY', () => {
    expect(announcementOf('ordering,payments:abc')).toEqual({ modules: ['ordering', 'payments'], from: 'abc' });
  });

  it('should read a NOTIFY sent inside a transaction as one module and no sender', () => {
    expect(announcementOf('catalog')).toEqual({ modules: ['catalog'], from: undefined });
  });
});
