import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { Inject, Injectable } from '@nestjs/common';
import type { Logger } from 'pino';
import { APP_CONFIG, type AppConfig } from '../../../platform/config/app-config.js';
import { DomainError } from '../../../platform/contracts/index.js';
import { isTransientDatabaseFailure } from '../../../platform/database/database-unavailable.js';
import { LOGGER } from '../../../platform/logging/logger.token.js';
import { errorText } from '../../../platform/logging/safe-error.js';
import { CheckoutSagasRepository, type SagaRow } from '../db/checkout-sagas.repository.js';
import { OrdersRepository, type OrderForCheckout } from '../db/orders.repository.js';
import { compensationsDue, FORWARD, honoursCancellation, isTerminal, retryDelay } from '../domain/checkout-saga.js';
import { CheckoutSteps } from './checkout-steps.js';
import { reasonForRefusal } from './refusal-reasons.js';

/** A refusal is final (out of stock, declined…); anything else (timeouts, unavailability, bugs) may pass. */
function isRefusal(error: unknown): error is DomainError {
  return error instanceof DomainError && error.kind !== 'unavailable';
}

/** What the saga row records of a failure: operators read it, so it holds no value of a failed query. */
function describe(error: unknown): string {
  if (error instanceof DomainError) return `${error.code}: ${error.message}`.slice(0, 2000);
  return errorText(error);
}

/**
 * Drives checkout sagas in this process: takes a saga's lease, then loops — persist,
 * call the step, persist the outcome — until it is finished, the lease is lost, or
 * the process stops (the lease is then given back, so a restart resumes at once).
 */
@Injectable()
export class CheckoutSagaRunner {
  /** This process, as a lease owner. */
  readonly owner = randomUUID();
  private readonly running = new Map<string, Promise<void>>();
  private readonly stopping = new AbortController();

  constructor(
    private readonly sagas: CheckoutSagasRepository,
    private readonly orders: OrdersRepository,
    private readonly steps: CheckoutSteps,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  isDriving(orderId: string): boolean {
    return this.running.has(orderId);
  }

  get leaseMs(): number {
    return this.config.checkout.leaseMs;
  }

  /**
   * Drives the saga of an order unless this process already does; never rejects. A
   * new order's saga comes with its row and order (already leased to this process).
   */
  drive(orderId: string, fresh?: { saga: SagaRow; order: OrderForCheckout }): Promise<void> {
    const existing = this.running.get(orderId);
    if (existing || this.stopping.signal.aborted) return existing ?? Promise.resolve();
    const run = this.keepDriving(orderId, fresh)
      .catch((error) => this.logger.error({ err: error, orderId }, 'checkout saga stopped on an unexpected error; it will be resumed'))
      .finally(() => this.running.delete(orderId));
    this.running.set(orderId, run);
    return run;
  }

  /**
   * The saga's own reads and writes can meet a database that is briefly away (a
   * failover, a dropped connection). That is no reason to let go of the saga until its
   * lease runs out: it is taken up again here, after a backoff, from its stored state.
   */
  private async keepDriving(orderId: string, fresh?: { saga: SagaRow; order: OrderForCheckout }): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.run(orderId, attempt === 1 ? fresh : undefined);
      } catch (error) {
        if (!isTransientDatabaseFailure(error) || this.stopping.signal.aborted) throw error;
        const delay = retryDelay(attempt, this.config.checkout.retryBackoffMs);
        this.logger.warn({ err: errorText(error), orderId, attempt, delay }, 'checkout saga lost the database; taking it up again');
        await sleep(delay, undefined, { signal: this.stopping.signal }).catch(() => undefined);
        // Shutting down: the saga is left for the next process (its lease expires).
        if (this.stopping.signal.aborted) return;
      }
    }
  }

  /** Stops at the next step boundary and gives the leases back. */
  async stop(): Promise<void> {
    this.stopping.abort();
    await Promise.allSettled([...this.running.values()]);
  }

  private async run(orderId: string, fresh?: { saga: SagaRow; order: OrderForCheckout }): Promise<void> {
    const { leaseMs } = this.config.checkout;
    let saga = fresh?.saga ?? (await this.sagas.claim(orderId, this.owner, leaseMs));
    if (!saga) return;
    const order = fresh?.order ?? (await this.orders.findForCheckout(orderId));
    if (!order) throw new Error(`order ${orderId} has a saga but no order row`);
    const heartbeat = setInterval(() => void this.sagas.renew(orderId, this.owner, leaseMs).catch(() => undefined), leaseMs / 3);
    heartbeat.unref();
    try {
      while (saga && !isTerminal(saga.state) && !this.stopping.signal.aborted) {
        saga = await this.advance(saga, order);
      }
    } finally {
      clearInterval(heartbeat);
      if (saga && !isTerminal(saga.state)) await this.sagas.release(orderId, this.owner).catch(() => undefined);
    }
  }

  /** One move of the saga; null when the lease was lost. */
  private async advance(saga: SagaRow, order: OrderForCheckout): Promise<SagaRow | null> {
    const { orderId } = saga;
    if (saga.state === 'COMPENSATING') return this.compensate(saga, order);
    const forward = FORWARD[saga.state];
    if (!forward) throw new Error(`checkout saga of ${orderId} is in unknown state ${saga.state}`);
    // A step is recorded as begun before its call: by the write that reached this state
    // (advance), or here when a resumed saga finds it not begun yet.
    const { step } = forward;
    const current =
      step === 'confirm' || (saga.stepStartedAt !== null && saga.startedSteps.includes(step))
        ? saga
        : await this.sagas.beginStep(orderId, this.owner, step);
    if (!current) return null;
    // The fresh row carries a cancellation the customer asked for meanwhile.
    if (current.cancelRequested && honoursCancellation(current.state)) {
      return this.sagas.startCompensating(orderId, this.owner, 'CUSTOMER_CANCELLED', null);
    }
    try {
      if (forward.step === 'confirm') {
        await this.steps.confirm(order);
        return await this.sagas.finishConfirmed(orderId, this.owner);
      }
      const shipment = await this.steps.run(forward.step, order);
      return await this.sagas.advance(orderId, this.owner, forward.next, shipment);
    } catch (error) {
      if (isRefusal(error)) {
        this.logger.info({ orderId, step: forward.step, code: error.code }, 'checkout step refused; cancelling the order');
        return this.sagas.startCompensating(orderId, this.owner, reasonForRefusal(error.code), describe(error));
      }
      const startedAt = current.stepStartedAt?.getTime() ?? Date.now();
      if (forward.step !== 'confirm' && Date.now() - startedAt > this.config.checkout.stepDeadlineMs) {
        this.logger.warn({ err: error, orderId, step: forward.step }, 'checkout step failed past its deadline; cancelling');
        return this.sagas.startCompensating(orderId, this.owner, 'STEP_TIMED_OUT', describe(error));
      }
      return this.retryLater(current, error);
    }
  }

  /** Undoes the newest begun step; when none is left, the order is CANCELLED. */
  private async compensate(saga: SagaRow, order: OrderForCheckout): Promise<SagaRow | null> {
    const [step] = compensationsDue(saga.startedSteps);
    if (!step) return this.sagas.finishCancelled(saga.orderId, this.owner);
    try {
      await this.steps.compensate(step, order);
      return await this.sagas.compensated(saga.orderId, this.owner, step);
    } catch (error) {
      if (saga.attempts + 1 >= this.config.checkout.compensationAttempts) {
        this.logger.error(
          { err: error, orderId: saga.orderId, step, attempts: saga.attempts + 1 },
          'checkout compensation keeps failing; parked as COMPENSATION_FAILED for an operator',
        );
        return this.sagas.parkCompensationFailed(saga.orderId, this.owner, describe(error));
      }
      return this.retryLater(saga, error);
    }
  }

  private async retryLater(saga: SagaRow, error: unknown): Promise<SagaRow | null> {
    const delay = retryDelay(saga.attempts + 1, this.config.checkout.retryBackoffMs);
    this.logger.warn({ err: error, orderId: saga.orderId, state: saga.state, attempt: saga.attempts + 1, delay }, 'checkout step failed; retrying');
    const next = await this.sagas.recordRetry(saga.orderId, this.owner, describe(error), delay);
    await sleep(delay, undefined, { signal: this.stopping.signal }).catch(() => undefined);
    return next;
  }
}
