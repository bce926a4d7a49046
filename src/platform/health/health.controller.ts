import { Controller, Get, HttpCode, Inject, ServiceUnavailableException } from '@nestjs/common';
import { z } from 'zod';
import { Public } from '../auth/access-decorators.js';
import { DATABASE_ENGINE } from '../database/database.tokens.js';
import type { DatabaseEngine } from '../database/database-engine.js';
import { LOGGER } from '../logging/logger.token.js';
import { errorText } from '../logging/safe-error.js';
import { ApiRoute } from '../openapi/route-docs.js';
import { PlacedTransport } from '../dispatch/placed-transport.js';
import type { RemoteModuleHealth } from '../dispatch/remote-transport.js';
import type { Logger } from 'pino';

/**
 * Liveness says the process runs; readiness says it can serve, which needs the
 * database. Orchestrators restart on the first and route traffic on the second.
 */
@Public()
@Controller('health')
export class HealthController {
  /** Whether the last readiness check failed: the cause is logged when that changes, not on every probe. */
  private failing = false;

  constructor(
    @Inject(DATABASE_ENGINE) private readonly database: DatabaseEngine,
    @Inject(LOGGER) private readonly logger: Logger,
    private readonly transport: PlacedTransport,
  ) {}

  @Get('live')
  @HttpCode(200)
  @ApiRoute({
    summary: 'Liveness: the process runs',
    operationId: 'checkLiveness',
    tags: ['health'],
    response: z.object({ status: z.literal('ok') }),
  })
  live(): { status: 'ok' } {
    return { status: 'ok' };
  }

  @Get('ready')
  @ApiRoute({
    summary: 'Readiness: the instance can serve, its database answers',
    description:
      'Also lists the modules this process reaches in other services, with the state of each one\'s circuit breaker ' +
      '(an open circuit does not make this process unready: it still serves what does not need that module).',
    operationId: 'checkReadiness',
    tags: ['health'],
    response: z.object({
      status: z.literal('ok'),
      database: z.string().describe('The engine: postgres or pglite'),
      services: z
        .record(
          z.string(),
          z.object({
            service: z.string().describe('The process hosting it: its own service, or monolith (modules of one service share its circuit)'),
            url: z.string(),
            circuit: z.enum(['closed', 'open', 'half-open', 'isolated']),
            inFlight: z.number().int().describe('Calls to it in flight now'),
          }),
        )
        .describe('Modules hosted elsewhere, by module name; empty when every module runs here'),
    }),
    errors: { 503: 'The database is not answering, or the instance is shutting down.' },
  })
  async ready(): Promise<{ status: 'ok'; database: string; services: Record<string, RemoteModuleHealth> }> {
    try {
      await this.database.ping();
    } catch (error) {
      if (!this.failing) this.logger.warn({ err: errorText(error) }, 'not ready: the database is not answering');
      this.failing = true;
      throw new ServiceUnavailableException('The database is not answering.');
    }
    if (this.failing) this.logger.info('ready again: the database answers');
    this.failing = false;
    return { status: 'ok', database: this.database.kind, services: this.transport.remoteHealth() };
  }
}
