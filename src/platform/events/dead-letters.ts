import { Inject, Injectable } from '@nestjs/common';
import { sql } from 'drizzle-orm';
import type { EventEnvelope } from '../contracts/integration-event.js';
import type { DatabaseEngine } from '../database/database-engine.js';
import { DATABASE_ENGINE } from '../database/database.tokens.js';
import type { Subscription } from './subscriptions.js';

export interface DeadLetter {
  id: string;
  eventId: string;
  subscription: string;
  envelope: EventEnvelope;
  attempts: number;
  lastError: string;
  failedAt: string;
  redrivenAt: string | null;
}

type Row = {
  id: string;
  event_id: string;
  subscription: string;
  envelope: EventEnvelope;
  attempts: number;
  last_error: string;
  failed_at: Date | string;
  redriven_at: Date | string | null;
};

const iso = (value: Date | string | null) => (value === null ? null : new Date(value).toISOString());

function toDeadLetter(row: Row): DeadLetter {
  return {
    id: row.id,
    eventId: row.event_id,
    subscription: row.subscription,
    envelope: row.envelope,
    attempts: row.attempts,
    lastError: row.last_error,
    failedAt: iso(row.failed_at)!,
    redrivenAt: iso(row.redriven_at),
  };
}

/**
 * Events a consumer gave up on after its last attempt, kept in the consumer's own
 * schema (`<consumer>.dead_letters`) where an operator can see and re-drive them.
 */
@Injectable()
export class DeadLetters {
  constructor(@Inject(DATABASE_ENGINE) private readonly engine: DatabaseEngine) {}

  async record(
    subscription: Pick<Subscription, 'consumer' | 'name'>,
    envelope: EventEnvelope,
    attempts: number,
    lastError: string,
  ): Promise<void> {
    await this.engine.forModule(subscription.consumer).db.execute(sql`
      INSERT INTO ${sql.identifier(subscription.consumer)}.dead_letters (event_id, subscription, envelope, attempts, last_error)
      VALUES (${envelope.id}, ${subscription.name}, ${JSON.stringify(envelope)}::jsonb, ${attempts}, ${lastError})`);
  }

  async list(consumer: string, options: { includeRedriven: boolean; limit: number }): Promise<DeadLetter[]> {
    const result = (await this.engine.forModule(consumer).db.execute(sql`
      SELECT * FROM ${sql.identifier(consumer)}.dead_letters
       WHERE ${options.includeRedriven} OR redriven_at IS NULL
       ORDER BY failed_at DESC LIMIT ${options.limit}`)) as unknown as { rows: Row[] };
    return result.rows.map(toDeadLetter);
  }

  /** Pending dead letters (all, or the given ids) to re-drive. */
  async pending(consumer: string, ids: string[] | undefined): Promise<DeadLetter[]> {
    const filter = ids ? sql`AND id IN (${sql.join(ids.map((id) => sql`${id}::uuid`), sql`, `)})` : sql``;
    const result = (await this.engine.forModule(consumer).db.execute(sql`
      SELECT * FROM ${sql.identifier(consumer)}.dead_letters WHERE redriven_at IS NULL ${filter}
       ORDER BY failed_at`)) as unknown as { rows: Row[] };
    return result.rows.map(toDeadLetter);
  }

  /**
   * Marks letters re-driven, after their re-delivery was handed over: a crash before
   * this leaves them pending, so a re-drive can be repeated (the inbox absorbs it).
   */
  async markRedriven(consumer: string, ids: string[]): Promise<void> {
    if (ids.length === 0) return;
    await this.engine.forModule(consumer).db.execute(sql`
      UPDATE ${sql.identifier(consumer)}.dead_letters SET redriven_at = now()
       WHERE id IN (${sql.join(ids.map((id) => sql`${id}::uuid`), sql`, `)})`);
  }
}
