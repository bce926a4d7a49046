import { Controller, Get, HttpCode, Post } from '@nestjs/common';
import { z } from 'zod';
import { Roles } from '../../auth/access-decorators.js';
import { ValidBody, ValidQuery } from '../../http/validated-input.js';
import { ApiRoute } from '../../openapi/route-docs.js';
import { DeadLetters, type DeadLetter } from '../dead-letters.js';
import { EventOperations } from './event-operations.js';

const moduleName = z.string().regex(/^[a-z][a-z0-9_]*$/, 'a module name');

const listQuery = z
  .object({
    consumer: moduleName,
    includeRedriven: z.enum(['true', 'false']).default('false').transform((v) => v === 'true'),
    limit: z.coerce.number().int().min(1).max(1000).default(100),
  })
  .strict();

const redriveBody = z.object({ consumer: moduleName, ids: z.array(z.uuid()).min(1).max(1000).optional() }).strict();

const replayBody = z
  .object({
    publisher: moduleName,
    subscriber: moduleName,
    types: z.array(z.string().regex(/^[a-z][a-z0-9_]*\.[A-Z][A-Za-z0-9]*$/, 'a wire name like catalog.ProductChanged')).min(1),
    since: z.iso.datetime({ offset: true }).transform((s) => new Date(s)),
  })
  .strict();

const envelopeSchema = z.object({
  id: z.uuid(),
  type: z.string().describe('The wire name, e.g. identity.UserRegistered'),
  version: z.number().int(),
  source: z.string().describe('The publishing module'),
  occurredAt: z.string(),
  correlationId: z.string(),
  causationId: z.string(),
  traceparent: z.string().nullable(),
  payload: z.unknown().describe("The event's own data, as its publisher's contract declares it"),
});

const deadLetterSchema = z.object({
  id: z.uuid(),
  eventId: z.uuid(),
  subscription: z.string().describe('<consumer>.<Handler>, e.g. notifications.WelcomeNewUser'),
  envelope: envelopeSchema,
  attempts: z.number().int(),
  lastError: z.string(),
  failedAt: z.string(),
  redrivenAt: z.string().nullable(),
});

// The documented shape is the DeadLetter the list returns, field for field: this line
// stops compiling when either changes without the other.
type DocumentedDeadLetter = z.infer<typeof deadLetterSchema>;
const sameShape: [DocumentedDeadLetter, DeadLetter] extends [DeadLetter, DocumentedDeadLetter] ? true : never = true;
void sameShape;

/**
 * Operator endpoints for durable events (admin only). They live outside /api/v1/
 * because they belong to the platform, not to a module's public API.
 */
@Controller('ops/events')
@Roles('admin')
export class EventOperationsController {
  constructor(
    private readonly operations: EventOperations,
    private readonly deadLetters: DeadLetters,
  ) {}

  @Get('dead-letters')
  @ApiRoute({
    summary: "List a consumer's dead-lettered events, newest first",
    operationId: 'listDeadLetters',
    tags: ['ops'],
    response: z.object({ items: z.array(deadLetterSchema) }),
  })
  async list(@ValidQuery(listQuery) query: z.infer<typeof listQuery>): Promise<{ items: DeadLetter[] }> {
    this.operations.assertConsumer(query.consumer);
    return { items: await this.deadLetters.list(query.consumer, query) };
  }

  @Post('dead-letters/redrive')
  @HttpCode(202)
  @ApiRoute({
    summary: 'Re-deliver dead letters (all pending, or the given ids)',
    operationId: 'redriveDeadLetters',
    tags: ['ops'],
    response: z.object({ redriven: z.number().int().describe('Dead letters handed over for delivery again') }),
  })
  redrive(@ValidBody(redriveBody) body: z.infer<typeof redriveBody>): Promise<{ redriven: number }> {
    return this.operations.redrive(body.consumer, body.ids);
  }

  @Post('replay')
  @HttpCode(202)
  @ApiRoute({
    summary: "Re-deliver a publisher's retained events of some types since a time to one subscriber",
    operationId: 'replayEvents',
    tags: ['ops'],
    response: z.object({
      events: z.number().int().describe("The publisher's retained events that matched"),
      deliveries: z.number().int().describe('Deliveries handed over to the subscriber'),
    }),
  })
  replay(@ValidBody(replayBody) body: z.infer<typeof replayBody>): Promise<{ events: number; deliveries: number }> {
    return this.operations.replay(body);
  }
}
