import { Controller, HttpCode, Post } from '@nestjs/common';
import { z } from 'zod';
import { Roles } from '../../../platform/auth/access-decorators.js';
import { ApiRoute } from '../../../platform/openapi/route-docs.js';
import { RebuildOrderSummaries, type RebuildOutcome } from './rebuild-order-summaries.js';

const outcomeSchema = z.object({
  replayed: z.number().int().describe("ordering's events re-delivered"),
  retentionDays: z.number().int().describe('Events older than this were pruned and cannot be replayed'),
});

@Controller('api/v1/reporting/rebuild')
@Roles('admin')
export class RebuildOrderSummariesController {
  constructor(private readonly rebuild: RebuildOrderSummaries) {}

  @Post()
  @HttpCode(202)
  @ApiRoute({
    summary: "Rebuild the order summaries from ordering's retained events",
    description:
      'Deletes every summary, then replays the OrderPlaced, OrderConfirmed and OrderCancelled events ordering still ' +
      'retains (EVENTS_RETENTION_DAYS). Orders whose events were pruned do not come back.',
    tags: ['reporting'],
    response: outcomeSchema,
  })
  run(): Promise<RebuildOutcome> {
    return this.rebuild.run();
  }
}
