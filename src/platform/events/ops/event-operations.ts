import { Inject, Injectable } from '@nestjs/common';
import { DeadLetters } from '../dead-letters.js';
import { EventRoutes } from '../event-routes.js';
import { EVENT_TRANSPORT, type EventTransport } from '../event-transport.js';
import { OutboxReplay, UnknownModuleRoleError, type ReplayRequest } from '../outbox-replay.js';

export { UnknownModuleRoleError };

const CHUNK = 500;

/**
 * What an operator does with events: re-drive dead letters, and replay a publisher's
 * retained events to one subscriber (to rebuild a read model, or after a fix). The
 * publisher's own platform code reads its own outbox; nobody reads another module's
 * tables. Consumers' inboxes make both safe to repeat.
 */
@Injectable()
export class EventOperations {
  constructor(
    @Inject(EVENT_TRANSPORT) private readonly transport: EventTransport,
    private readonly routes: EventRoutes,
    private readonly deadLetters: DeadLetters,
    private readonly outboxReplay: OutboxReplay,
  ) {}

  /** Replays a publisher hosted here; see OutboxReplay. */
  replay(request: ReplayRequest): Promise<{ events: number; deliveries: number }> {
    return this.outboxReplay.replay(request);
  }

  async redrive(consumer: string, ids?: string[]): Promise<{ redriven: number }> {
    this.assertConsumer(consumer);
    const letters = await this.deadLetters.pending(consumer, ids);
    // Letters whose subscription no longer exists stay pending and visible.
    const deliverable = letters.flatMap((letter) => {
      const subscription = this.routes.subscription(letter.subscription);
      return subscription ? [{ letter, subscription }] : [];
    });
    for (let i = 0; i < deliverable.length; i += CHUNK) {
      const chunk = deliverable.slice(i, i + CHUNK);
      await this.transport.dispatch(
        chunk.map(({ letter, subscription }) => ({ envelope: letter.envelope, subscription, attemptKey: `redrive-${letter.id}` })),
      );
      await this.deadLetters.markRedriven(consumer, chunk.map(({ letter }) => letter.id));
    }
    return { redriven: deliverable.length };
  }

  assertConsumer(consumer: string, field = 'consumer'): void {
    if (!this.routes.consumers().includes(consumer)) {
      throw new UnknownModuleRoleError(`${consumer} subscribes to no events here`, [
        { field, message: 'not a subscribing module' },
      ]);
    }
  }
}
