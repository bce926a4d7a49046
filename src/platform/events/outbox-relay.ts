import { Inject, Injectable, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import { sql } from 'drizzle-orm';
import type { Logger } from 'pino';
import { APP_CONFIG, type AppConfig } from '../config/app-config.js';
import type { EventEnvelope } from '../contracts/integration-event.js';
import type { DatabaseEngine } from '../database/database-engine.js';
import { DATABASE_ENGINE } from '../database/database.tokens.js';
import { preparedStatement, type PreparedStatement } from '../database/prepared-statement.js';
import { LOGGER } from '../logging/logger.token.js';
import { errorText } from '../logging/safe-error.js';
import { EventRoutes } from './event-routes.js';
import { EVENT_TRANSPORT, type Delivery, type EventTransport } from './event-transport.js';
import { OUTBOX_CHANNEL } from './outbox.js';
import { announcementOf, OUTBOX_ANNOUNCER, type OutboxAnnouncer } from './outbox-announcer.js';

export interface OutboxRow {
  seq: string | number;
  id: string;
  type: string;
  version: number;
  payload: unknown;
  occurred_at: Date | string;
  correlation_id: string;
  causation_id: string;
  traceparent: string | null;
}

export function envelopeOf(module: string, row: OutboxRow): EventEnvelope {
  return {
    id: row.id,
    type: row.type,
    version: row.version,
    source: module,
    occurredAt: new Date(row.occurred_at).toISOString(),
    correlationId: row.correlation_id,
    causationId: row.causation_id,
    traceparent: row.traceparent,
    payload: row.payload,
  };
}

const PRUNE_EVERY_MS = 10 * 60_000;
/** How long a row with no known route is set aside before the relay looks at it (and logs it) again. */
export const UNROUTABLE_RETRY_SECONDS = 60;

/**
 * Moves committed events from each publisher's outbox to their subscribers. It claims
 * rows with `FOR UPDATE SKIP LOCKED` and a lease, so any number of processes can run
 * it; is woken by NOTIFY right after a commit, with polling as the fallback; marks
 * rows published only once the transport has them; and prunes published rows after
 * the retention period. It reads each outbox with the publisher's own role.
 */
@Injectable()
export class OutboxRelay implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly running = new Map<string, Promise<void>>();
  private readonly rerun = new Set<string>();
  private readonly timers: NodeJS.Timeout[] = [];
  private unlisten: (() => Promise<void>) | undefined;
  private stopping = false;
  private failing = new Set<string>();
  private pruning: Promise<void> | undefined;
  private readonly statements = new Map<string, Record<'lock' | 'claim' | 'release' | 'markPublished' | 'setAside', PreparedStatement>>();

  constructor(
    @Inject(DATABASE_ENGINE) private readonly engine: DatabaseEngine,
    @Inject(EVENT_TRANSPORT) private readonly transport: EventTransport,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(LOGGER) private readonly logger: Logger,
    private readonly routes: EventRoutes,
    @Inject(OUTBOX_ANNOUNCER) private readonly announcer: OutboxAnnouncer,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    await this.transport.start();
    if (!this.config.events.relay) return;
    const unlistenLocal = this.announcer.onCommitted((module) => this.wake(module));
    const unlistenRemote = await this.engine.listen(OUTBOX_CHANNEL, (payload) => {
      // This process's own commits already woke the relay directly; a second wake would only re-scan.
      const { modules, from } = announcementOf(payload);
      if (from !== this.announcer.instanceId) for (const module of modules) this.wake(module);
    });
    this.unlisten = async () => {
      unlistenLocal();
      await unlistenRemote();
    };
    this.timers.push(setInterval(() => this.wakeAll(), this.config.events.pollMs).unref());
    this.timers.push(setInterval(() => void this.prune(), PRUNE_EVERY_MS).unref());
    void this.prune();
    this.wakeAll();
  }

  /**
   * Shutdown, first of all: stop claiming rows, stop the transport (BullMQ: workers
   * finish their jobs, then queues and connections close; in-process: retry waits are
   * cut short), let the batches in hand settle. Pools close later, in the platform.
   */
  async onModuleDestroy(): Promise<void> {
    this.stopping = true;
    for (const timer of this.timers) clearInterval(timer);
    await this.unlisten?.();
    await this.transport.stop();
    await Promise.allSettled([...this.running.values(), this.pruning]);
  }

  private wakeAll(): void {
    for (const module of this.routes.publishers()) this.wake(module);
  }

  /** Runs the publisher's outbox; a wake-up during a run schedules one more run. */
  wake(module: string): void {
    if (this.stopping || !this.routes.publishers().includes(module)) return;
    if (this.running.has(module)) {
      this.rerun.add(module);
      return;
    }
    const run = this.drain(module).finally(() => {
      this.running.delete(module);
      if (this.rerun.delete(module)) this.wake(module);
    });
    this.running.set(module, run);
  }

  private async drain(module: string): Promise<void> {
    try {
      while (!this.stopping && (await this.relayBatch(module)) === this.config.events.batchSize);
      if (this.failing.delete(module)) this.logger.info({ module }, 'outbox relay is delivering again');
    } catch (error) {
      if (!this.failing.has(module)) {
        this.logger.warn({ err: error, module }, 'outbox relay could not deliver; events wait in the outbox');
      }
      this.failing.add(module);
    }
  }

  private leaseSeconds(): number {
    // Long enough for an in-process delivery's whole retry schedule.
    const { maxAttempts, backoffMs } = this.config.events;
    return Math.max(30, Math.ceil((backoffMs * 2 ** maxAttempts * 1.5) / 1000) + 10);
  }

  private relayBatch(module: string): Promise<number> {
    return this.transport.kind === 'bullmq' ? this.relayBatchLocked(module) : this.relayBatchLeased(module);
  }

  /**
   * The deliveries of a batch, and the rows with no known route: a type no contract
   * declares, or a version other than the declared one (a publisher ahead of this
   * build, a row written by hand). Those are not marked published, since nobody
   * could say who should have had them; they are set aside for a while, so they do
   * not hold up the rows behind them, and logged as errors until someone deploys the
   * contract that knows them (or removes them).
   */
  private deliveriesOf(module: string, rows: OutboxRow[]): { deliveries: Delivery[]; unroutable: OutboxRow[] } {
    const deliveries: Delivery[] = [];
    const unroutable: OutboxRow[] = [];
    for (const row of rows) {
      const routing = this.routes.routesOf(row.type, row.version);
      if (!routing.known) {
        unroutable.push(row);
        this.logger.error(
          { module, eventId: row.id, type: row.type, version: row.version, reason: routing.reason, retryInSeconds: UNROUTABLE_RETRY_SECONDS },
          'outbox event has no known route; it stays unpublished',
        );
        continue;
      }
      for (const subscription of routing.routes) deliveries.push({ envelope: envelopeOf(module, row), subscription });
    }
    return { deliveries, unroutable };
  }

  /**
   * Queue hand-over takes milliseconds, so the rows stay locked (FOR UPDATE SKIP LOCKED)
   * in one transaction while they are handed over and marked: one update per row, and
   * a crash simply releases the locks.
   */
  private relayBatchLocked(module: string): Promise<number> {
    const statements = this.statementsOf(module);
    return this.engine.forModule(module).transaction(async (tx) => {
      const rows = await statements.lock.run<OutboxRow>(tx, [this.config.events.batchSize]);
      if (rows.length === 0) return 0;
      const { deliveries, unroutable } = this.deliveriesOf(module, rows);
      if (deliveries.length) await this.transport.dispatch(deliveries);
      const published = rows.filter((row) => !unroutable.includes(row));
      if (published.length) await statements.markPublished.run(tx, [published.map((row) => Number(row.seq))]);
      if (unroutable.length) await statements.setAside.run(tx, [unroutable.map((row) => Number(row.seq)), UNROUTABLE_RETRY_SECONDS]);
      return rows.length;
    });
  }

  /**
   * In-process delivery runs the handlers, retries included, before the rows can be
   * marked; holding a transaction that long would pin a connection (and, on the
   * single-connection embedded database, block the handlers themselves). So the rows
   * are claimed with a lease instead, and a crashed relay's lease simply expires.
   */
  private async relayBatchLeased(module: string): Promise<number> {
    const db = this.engine.forModule(module).db;
    const statements = this.statementsOf(module);
    const claimed = await statements.claim.run<OutboxRow>(db, [this.leaseSeconds(), this.config.events.batchSize]);
    const rows = claimed.sort((a, b) => Number(a.seq) - Number(b.seq));
    if (rows.length === 0) return 0;
    const { deliveries, unroutable } = this.deliveriesOf(module, rows);
    const seqs = rows.filter((row) => !unroutable.includes(row)).map((row) => Number(row.seq));
    if (unroutable.length) await statements.setAside.run(db, [unroutable.map((row) => Number(row.seq)), UNROUTABLE_RETRY_SECONDS]);
    try {
      if (deliveries.length) await this.transport.dispatch(deliveries);
    } catch (error) {
      // Hand the rows back at once so the next poll retries them, rather than after the lease.
      await statements.release.run(db, [seqs]).catch(() => undefined);
      throw error;
    }
    if (seqs.length) await statements.markPublished.run(db, [seqs]);
    return rows.length;
  }

  /** The relay's statements for one outbox, named so Postgres plans them once per connection. */
  private statementsOf(module: string) {
    let statements = this.statements.get(module);
    if (!statements) {
      if (!/^[a-z][a-z0-9_]*$/.test(module)) throw new Error(`invalid module name ${module}`);
      const outbox = `"${module}".outbox`;
      const columns = 'seq, id, type, version, payload, occurred_at, correlation_id, causation_id, traceparent';
      const unclaimed = 'published_at IS NULL AND (claimed_until IS NULL OR claimed_until < now())';
      statements = {
        lock: preparedStatement(
          `outbox_lock_${module}`,
          `SELECT ${columns} FROM ${outbox} WHERE ${unclaimed} ORDER BY seq LIMIT $1 FOR UPDATE SKIP LOCKED`,
        ),
        claim: preparedStatement(
          `outbox_claim_${module}`,
          `UPDATE ${outbox} SET claimed_until = now() + make_interval(secs => $1::float8)
            WHERE seq IN (SELECT seq FROM ${outbox} WHERE ${unclaimed} ORDER BY seq LIMIT $2 FOR UPDATE SKIP LOCKED)
            RETURNING ${columns}`,
        ),
        release: preparedStatement(
          `outbox_release_${module}`,
          `UPDATE ${outbox} SET claimed_until = NULL WHERE seq = ANY($1::bigint[])`,
        ),
        setAside: preparedStatement(
          `outbox_set_aside_${module}`,
          `UPDATE ${outbox} SET claimed_until = now() + make_interval(secs => $2::float8) WHERE seq = ANY($1::bigint[])`,
        ),
        markPublished: preparedStatement(
          `outbox_published_${module}`,
          `UPDATE ${outbox} SET published_at = now(), claimed_until = NULL WHERE seq = ANY($1::bigint[])`,
        ),
      };
      this.statements.set(module, statements);
    }
    return statements;
  }

  /** Drops what the retention period no longer covers: published events, old inbox entries. */
  prune(): Promise<void> {
    this.pruning ??= this.pruneOnce().finally(() => {
      this.pruning = undefined;
    });
    return this.pruning;
  }

  private async pruneOnce(): Promise<void> {
    const days = this.config.events.retentionDays;
    try {
      for (const module of this.routes.publishers()) {
        await this.engine.forModule(module).db.execute(sql`
          DELETE FROM ${sql.identifier(module)}.outbox
           WHERE published_at IS NOT NULL AND published_at < now() - ${days}::float8 * interval '1 day'`);
      }
      for (const consumer of this.routes.consumers()) {
        // Inbox entries outlive the events they record, so a replay of retained events is still absorbed.
        await this.engine.forModule(consumer).db.execute(sql`
          DELETE FROM ${sql.identifier(consumer)}.inbox WHERE processed_at < now() - ${days + 1}::float8 * interval '1 day'`);
      }
    } catch (error) {
      this.logger.warn({ err: errorText(error) }, 'pruning retained events failed; will try again');
    }
  }
}
