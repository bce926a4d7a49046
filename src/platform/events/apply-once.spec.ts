import { randomUUID } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testEngines, type EngineSql, type OpenedEngine } from '../../../test/support/test-engines.js';
import type { EventEnvelope } from '../contracts/integration-event.js';
import type { DatabaseEngine } from '../database/database-engine.js';
import { applyEach, applyOnce } from './apply-once.js';
import type { Subscription } from './subscriptions.js';
import { z } from 'zod';
import { defineIntegrationEvent, defineSubscription } from '../contracts/integration-event.js';

const happened = defineIntegrationEvent('test', 'Happened', 1, z.object({ userId: z.string(), name: z.string() }));
const probeSubscription = defineSubscription('notifications', 'BatchProbe', happened);

/**
 * applyEach runs a batch of events for one subscription in one consumer transaction.
 * What a consumer must observe is the same as one transaction per event: each event's
 * effect exactly once, a failing event failing alone, and no effect run twice.
 */
const engines = testEngines(['notifications']);

describe.each(engines)('applying a batch of events to one subscription on $name', ({ open }) => {
  let engine: DatabaseEngine;
  let database: { sql: <R>(text: string, params: unknown[]) => Promise<R[]> };
  let opened: OpenedEngine;
  const calls = new Map<string, number>();
  const failing = new Set<string>();

  beforeAll(async () => {
    opened = await open();
    engine = opened.engine;
    const read: EngineSql = opened.sql;
    database = { sql: (text, params) => read('notifications', text, params) };
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
    version: 1,
    declared: probeSubscription,
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
  const inboxOf = async (events: EventEnvelope[], of: Subscription = subscription) =>
    (await database.sql<{ n: number }>('SELECT count(*)::int AS n FROM notifications.inbox WHERE subscription = $1 AND event_id = ANY($2::uuid[])', [
      of.name,
      events.map((e) => e.id),
    ]))[0]!.n;
  const outcomes = (results: PromiseSettledResult<string>[]) =>
    results.map((r) => (r.status === 'fulfilled' ? r.value : `rejected: ${(r.reason as Error).message}`));

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

  describe('with work that only writes the consumer\'s tables (databaseOnly: no savepoint per event)', () => {
    const databaseOnly: Subscription = { ...subscription, name: 'notifications.DatabaseOnlyProbe', databaseOnly: true };

    it('should apply the others exactly once when one event fails, and fail that one alone', async () => {
      const events = ['dbo-ann', 'dbo-bob', 'dbo-bad', 'dbo-cat'].map(envelope);
      failing.add('dbo-bad');

      const results = await applyEach(engine, databaseOnly, events);

      expect(outcomes(results)).toEqual(['applied', 'applied', 'rejected: dbo-bad cannot be applied', 'applied']);
      // The batch was undone and each event applied alone: what ran twice left one row.
      expect(await effectsOf(events)).toBe(3);
      expect(await inboxOf(events, databaseOnly)).toBe(3); // the failed one is not recorded: a redelivery applies it

      failing.clear();
      const retried = await applyEach(engine, databaseOnly, events);
      expect(outcomes(retried)).toEqual(['duplicate', 'duplicate', 'applied', 'duplicate']);
      expect(await effectsOf(events)).toBe(4);
    });

    it('should apply a clean batch in one go, running each work once, and write nothing for a repeat', async () => {
      const names = ['dbo-eve', 'dbo-fay', 'dbo-gus'];
      const events = names.map(envelope);

      expect(outcomes(await applyEach(engine, databaseOnly, events))).toEqual(['applied', 'applied', 'applied']);
      expect(await effectsOf(events)).toBe(3);
      expect(names.map((name) => calls.get(name))).toEqual([1, 1, 1]); // nothing undone, nothing run again

      const repeated = await applyEach(engine, databaseOnly, events.map((event) => ({ ...event })));
      expect(outcomes(repeated)).toEqual(['duplicate', 'duplicate', 'duplicate']);
      expect(names.map((name) => calls.get(name))).toEqual([1, 1, 1]);
    });
  });
});
