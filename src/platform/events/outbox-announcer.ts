import { randomUUID } from 'node:crypto';
import type { DatabaseEngine } from '../database/database-engine.js';

/**
 * Tells relays that events were committed, after the commit. A NOTIFY inside every
 * publishing transaction would be simpler, but Postgres serialises the commits of
 * transactions that notified (one lock on the notification queue), which the
 * event-delivery benchmark showed to be the ceiling on publishing. So: the relay in
 * this process is woken directly, and other processes get at most one NOTIFY at a
 * time, sent from outside the publishing transactions, naming every module that
 * committed events since the last one (a checkout commits in four modules at once).
 */

export class OutboxAnnouncer {
  /** Signs this process's NOTIFYs, so its own relay (already woken directly) can skip them. */
  readonly instanceId = randomUUID();
  private readonly local = new Set<(module: string) => void>();
  private readonly pending = new Set<string>();
  private sending: Promise<void> | undefined;

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
    this.sending ??= this.flush();
  }

  /** Resolves once every announcement made so far has been sent (or has failed). */
  async settled(): Promise<void> {
    await this.sending;
  }

  private async flush(): Promise<void> {
    try {
      while (this.pending.size) {
        const modules = [...this.pending].sort().join(',');
        this.pending.clear();
        // A lost NOTIFY only delays delivery until the next poll.
        await this.engine.notify(this.channel, `${modules}:${this.instanceId}`).catch(() => undefined);
      }
    } finally {
      this.sending = undefined;
    }
  }
}

export const OUTBOX_ANNOUNCER = Symbol('OUTBOX_ANNOUNCER');

/**
 * The modules a NOTIFY payload announces (`ordering,payments:<sender>`), and which
 * announcer sent it (absent from older senders and from a NOTIFY sent inside a
 * transaction, which names one module).
 */
export function announcementOf(payload: string): { modules: string[]; from: string | undefined } {
  const [modules = '', from] = payload.split(':');
  return { modules: modules.split(',').filter(Boolean), from };
}
