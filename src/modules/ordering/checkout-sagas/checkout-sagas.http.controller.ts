import { Controller, Get, HttpCode, Post } from '@nestjs/common';
import { z } from 'zod';
import { Roles } from '../../../platform/auth/access-decorators.js';
import { pagingFields } from '../../../platform/http/paging.js';
import { ValidParams, ValidQuery } from '../../../platform/http/validated-input.js';
import { ApiRoute } from '../../../platform/openapi/route-docs.js';
import { CheckoutSagaRunner } from '../checkout-saga/checkout-saga.runner.js';
import { CheckoutSagasRepository, type SagaRow } from '../db/checkout-sagas.repository.js';
import { SagaNotRetryableError } from '../domain/order-errors.js';
import type { SagaState } from '../domain/checkout-saga.js';
import { orderIdParams } from '../order-view.js';

const STATES = [
  'RESERVING_STOCK',
  'PROCESSING_PAYMENT',
  'CREATING_SHIPMENT',
  'CONFIRMING',
  'COMPENSATING',
  'CONFIRMED',
  'CANCELLED',
  'COMPENSATION_FAILED',
] as const satisfies readonly SagaState[];

const listQuery = z.strictObject({
  state: z.enum(STATES).default('COMPENSATION_FAILED'),
  ...pagingFields,
});

const sagaSchema = z.object({
  orderId: z.uuid(),
  state: z.enum(STATES),
  pendingCompensations: z.array(z.string()),
  failureReason: z.string().nullable(),
  lastError: z.string().nullable(),
  attempts: z.number().int(),
  updatedAt: z.string(),
});
type SagaSummary = z.infer<typeof sagaSchema>;

function toSummary(row: SagaRow): SagaSummary {
  return {
    orderId: row.orderId,
    state: row.state,
    pendingCompensations: row.state === 'CONFIRMED' ? [] : [...row.startedSteps].reverse(),
    failureReason: row.failureReason,
    lastError: row.lastError,
    attempts: row.attempts,
    updatedAt: row.updatedAt.toISOString(),
  };
}

/** Operators' view of checkouts: those parked as COMPENSATION_FAILED above all, and a retry for them. */
@Controller('api/v1/orders/checkouts')
@Roles('admin')
export class CheckoutSagasController {
  constructor(
    private readonly sagas: CheckoutSagasRepository,
    private readonly runner: CheckoutSagaRunner,
  ) {}

  @Get()
  @ApiRoute({
    summary: 'List checkout sagas in a state (default COMPENSATION_FAILED)',
    operationId: 'listCheckouts',
    tags: ['ordering'],
    response: z.object({ items: z.array(sagaSchema) }),
  })
  async list(@ValidQuery(listQuery) query: z.infer<typeof listQuery>): Promise<{ items: SagaSummary[] }> {
    return { items: (await this.sagas.pageInState(query.state, query.page, query.pageSize)).map(toSummary) };
  }

  /** Sends a parked saga back to compensating (after the cause was fixed); 202, follow the list or the order. */
  @Post(':id/retry')
  @HttpCode(202)
  @ApiRoute({
    summary: 'Retry the compensation of a parked checkout',
    operationId: 'retryCheckoutCompensation',
    tags: ['ordering'],
    response: sagaSchema,
    // Any id that is not a parked checkout, existing or not, is the same 409.
    notFound: false,
    errors: { 409: 'No checkout of this order is parked as COMPENSATION_FAILED (ORDERING.SAGA_NOT_RETRYABLE).' },
  })
  async retry(@ValidParams(orderIdParams) params: { id: string }): Promise<SagaSummary> {
    const saga = await this.sagas.retryCompensation(params.id);
    if (!saga) throw new SagaNotRetryableError(params.id);
    void this.runner.drive(params.id);
    return toSummary(saga);
  }
}
