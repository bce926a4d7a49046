import { Controller, Get, HttpCode, Inject, ServiceUnavailableException } from '@nestjs/common';
import { Public } from '../auth/access-decorators.js';
import { DATABASE_ENGINE } from '../database/database.tokens.js';
import type { DatabaseEngine } from '../database/database-engine.js';

/**
 * Liveness says the process runs; readiness says it can serve, which needs the
 * database. Orchestrators restart on the first and route traffic on the second.
 */
@Public()
@Controller('health')
export class HealthController {
  constructor(@Inject(DATABASE_ENGINE) private readonly database: DatabaseEngine) {}

  @Get('live')
  @HttpCode(200)
  live(): { status: 'ok' } {
    return { status: 'ok' };
  }

  @Get('ready')
  async ready(): Promise<{ status: 'ok'; database: string }> {
    try {
      await this.database.ping();
    } catch {
      throw new ServiceUnavailableException('The database is not answering.');
    }
    return { status: 'ok', database: this.database.kind };
  }
}
