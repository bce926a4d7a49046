import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { OutboxReplay } from '../../../platform/events/outbox-replay.js';
import { ReplayOrderEvents } from '../contract.js';
import { InvalidReplayError } from '../domain/order-errors.js';

/** Answers a consumer's request to replay ordering's events, by reading ordering's own outbox. */
@CommandHandler(ReplayOrderEvents)
export class ReplayOrderEventsHandler implements ICommandHandler<ReplayOrderEvents, { events: number; deliveries: number }> {
  constructor(private readonly outboxReplay: OutboxReplay) {}

  execute(command: ReplayOrderEvents): Promise<{ events: number; deliveries: number }> {
    const since = new Date(command.since);
    if (Number.isNaN(since.getTime())) throw new InvalidReplayError([{ field: 'since', message: 'an ISO 8601 date-time' }]);
    const foreign = command.types.filter((type) => !type.startsWith('ordering.'));
    if (foreign.length) throw new InvalidReplayError([{ field: 'types', message: `not ordering's events: ${foreign.join(', ')}` }]);
    return this.outboxReplay.replay({ publisher: 'ordering', subscriber: command.subscriber, types: command.types, since });
  }
}
