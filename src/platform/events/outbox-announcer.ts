import { randomUUID } from 'node:crypto';
import type { DatabaseEngine } from '../database/database-engine.js';

/**
 * Tells relays that events were committed, after the commit. A NOTIFY inside every
 * publishing transaction would be simpler, but Postgres serialises the commits of
 * transactions that notified (one lock on the notification queue), which the
 * event-delivery benchmark showed to be the ceiling on publishing. So: the relay in
 * this process is woken directly, and other processes get at most one NOTIFY per
 * module at a time, sent from outside the publishing transactions.
 */
export class OutboxAnnouncer {
  /** Signs this process's NOTIFYs, so its own relay (already woken directly) can skip them. */
  readonly instanceId = randomUUID();
  private readonly local = new Set<(module: string) => void>();
  private readonly pending = new Set<string>();
  private readonly sending = new Map<string, Promise<void>>();

  constructor(
    private readonly engine: DatabaseEngine,
    private readonly channel: string,
  ) {}

  /** The relay of this process subscribes here. */
  onCommitted(listener: (module: string) => void): () => void {
    this.local.add(listener);
    return () => this.local.delete(listener);
  }

  committed(module: string): void {
    for (const listener of this.local) listener(module);
    this.pending.add(module);
    if (!this.sending.has(module)) void this.flush(module);
  }

  /** Resolves once every announcement made so far has been sent (or has failed). */
  async settled(): Promise<void> {
    await Promise.allSettled([...this.sending.values()]);
  }

  private async flush(module: string): Promise<void> {
    let done!: () => void;
    this.sending.set(module, new Promise<void>((resolve) => (done = resolve)));
    try {
      while (this.pending.delete(module)) {
        // A lost NOTIFY only delays delivery until the next poll.
        await this.engine.notify(this.channel, `${module}:${this.instanceId}`).catch(() => undefined);
      }
    } finally {
      this.sending.delete(module);
      done();
    }
  }
}

export const OUTBOX_ANNOUNCER = Symbol('OUTBOX_ANNOUNCER');

/** The module a NOTIFY payload announces, and which announcer sent it (absent from older senders). */
export function announcementOf(payload: string): { module: string; from: string | undefined } {
  const [module = '', from] = payload.split(':');
  return { module, from };
}
