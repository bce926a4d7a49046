import { Global, Inject, Module, type DynamicModule, type OnApplicationShutdown } from '@nestjs/common';
import { APP_FILTER, APP_GUARD, DiscoveryModule } from '@nestjs/core';
import { CqrsModule } from '@nestjs/cqrs';
import type { Logger } from 'pino';
import { APP_CONFIG, type AppConfig } from './config/app-config.js';
import { PLACEMENT, type Placement } from './config/placement.js';
import { AccessGuard } from './auth/access-guard.js';
import { PUBLIC_SIGNING_KEY, type SigningKeys } from './auth/signing-keys.js';
import { TokenVerifier } from './auth/token-verifier.js';
import type { DatabaseEngine } from './database/database-engine.js';
import { DATABASE_ENGINE } from './database/database.tokens.js';
import { ContractBus } from './dispatch/contract-bus.js';
import { CONTRACT_TRANSPORT } from './dispatch/contract-transport.js';
import { InProcessTransport } from './dispatch/in-process-transport.js';
import { PlacedTransport } from './dispatch/placed-transport.js';
import { MODULE_DATABASES, ModuleDatabases } from './database/module-databases.js';
import { eventProviders } from './events/events.providers.js';
import { OUTBOX_ANNOUNCER } from './events/outbox-announcer.js';
import { EventOperationsController } from './events/ops/event-operations.http.controller.js';
import { OutboxReplay } from './events/outbox-replay.js';
import { HealthController } from './health/health.controller.js';
import { InputValidationGuard } from './http/input-validation.guard.js';
import { ProblemDetailsFilter } from './http/problem-details.filter.js';
import { LOGGER } from './logging/logger.token.js';
import { DocsController } from './openapi/docs.controller.js';
import { Throttles } from './throttling/throttles.js';

/** What the composition root opens before Nest starts, handed to the platform. */
export interface PlatformResources {
  config: AppConfig;
  logger: Logger;
  database: DatabaseEngine;
  /** Only the public half goes to the platform; the composition root hands the rest to identity. */
  signingKeys: SigningKeys;
  /** Which modules run here, and where the others are. */
  placement: Placement;
}

/** Closes the database when the application shuts down, after modules have stopped. */
class DatabaseCloser implements OnApplicationShutdown {
  constructor(@Inject(DATABASE_ENGINE) private readonly database: DatabaseEngine) {}
  async onApplicationShutdown(): Promise<void> {
    await this.database.close();
  }
}

/**
 * Infrastructure every module shares, and no domain at all: configuration, logging,
 * the database engine, the contract bus and its transports (in-process, remote), the
 * HTTP edge (auth guard, problem details, health, OpenAPI).
 */
@Global()
@Module({})
export class PlatformModule {
  static forRoot(resources: PlatformResources): DynamicModule {
    return {
      module: PlatformModule,
      imports: [CqrsModule.forRoot(), DiscoveryModule],
      controllers: [HealthController, DocsController, EventOperationsController],
      providers: [
        { provide: APP_CONFIG, useValue: resources.config },
        { provide: LOGGER, useValue: resources.logger },
        { provide: DATABASE_ENGINE, useValue: resources.database },
        { provide: MODULE_DATABASES, useValue: new ModuleDatabases(resources.database, resources.placement.hosted) },
        { provide: PLACEMENT, useValue: resources.placement },
        { provide: PUBLIC_SIGNING_KEY, useValue: resources.signingKeys.publicJwk },
        InProcessTransport,
        PlacedTransport,
        { provide: CONTRACT_TRANSPORT, useExisting: PlacedTransport },
        // Guards run in this order: who is calling (401/403), then is the input valid (400).
        { provide: APP_GUARD, useClass: AccessGuard },
        { provide: APP_GUARD, useClass: InputValidationGuard },
        { provide: APP_FILTER, useClass: ProblemDetailsFilter },
        DatabaseCloser,
        TokenVerifier,
        ContractBus,
        Throttles,
        ...eventProviders,
      ],
      // Modules get their own database handle (MODULE_DATABASES), never the engine, and
      // replay only through OutboxReplay, never the operators' tools (events/ops).
      exports: [APP_CONFIG, LOGGER, MODULE_DATABASES, ContractBus, OUTBOX_ANNOUNCER, OutboxReplay, Throttles],
    };
  }
}
