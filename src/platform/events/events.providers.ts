import type { Provider } from '@nestjs/common';
import type { Logger } from 'pino';
import { APP_CONFIG, type AppConfig } from '../config/app-config.js';
import type { DatabaseEngine } from '../database/database-engine.js';
import { DATABASE_ENGINE } from '../database/database.tokens.js';
import { LOGGER } from '../logging/logger.token.js';
import { BullMqEventTransport } from './bullmq-transport.js';
import { DeadLetters } from './dead-letters.js';
import { EventRoutes } from './event-routes.js';
import { EVENT_TRANSPORT } from './event-transport.js';
import { InProcessEventTransport } from './in-process-transport.js';
import { EventOperations } from './ops/event-operations.js';
import { OutboxRelay } from './outbox-relay.js';
import { OutboxReplay } from './outbox-replay.js';
import { OUTBOX_CHANNEL } from './outbox.js';
import { OUTBOX_ANNOUNCER, OutboxAnnouncer } from './outbox-announcer.js';

/** The durable-events machinery: BullMQ when REDIS_URL is set, in-process otherwise. */
export const eventProviders: Provider[] = [
  {
    provide: OUTBOX_ANNOUNCER,
    inject: [DATABASE_ENGINE],
    useFactory: (engine: DatabaseEngine) => new OutboxAnnouncer(engine, OUTBOX_CHANNEL),
  },
  EventRoutes,
  DeadLetters,
  {
    provide: EVENT_TRANSPORT,
    inject: [APP_CONFIG, DATABASE_ENGINE, EventRoutes, DeadLetters, LOGGER],
    useFactory: (config: AppConfig, engine: DatabaseEngine, routes: EventRoutes, deadLetters: DeadLetters, logger: Logger) =>
      config.redisUrl
        ? new BullMqEventTransport(config.redisUrl, engine, routes, deadLetters, config, logger)
        : new InProcessEventTransport(engine, routes, deadLetters, config, logger),
  },
  OutboxRelay,
  OutboxReplay,
  EventOperations,
];
