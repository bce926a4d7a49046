
/**
 * The checkout saga, as a pure state machine. Forward: reserve stock → take payment
 * → create shipment → confirm. A refusal (or a step that keeps failing past its
 * deadline) turns it to COMPENSATING, which undoes every step that was begun, newest
 * first; then CANCELLED. A compensation that keeps failing parks it as
 * COMPENSATION_FAILED for an operator.
 */
export type SagaState =
  | 'RESERVING_STOCK'
  | 'PROCESSING_PAYMENT'
  | 'CREATING_SHIPMENT'
  | 'CONFIRMING'
  | 'COMPENSATING'
  | 'CONFIRMED'
  | 'CANCELLED'
  | 'COMPENSATION_FAILED';

/** Steps that change another module and so have a compensation. */
export type Step = 'reserve' | 'pay' | 'ship';

export const TERMINAL_STATES: readonly SagaState[] = ['CONFIRMED', 'CANCELLED', 'COMPENSATION_FAILED'];

export const FORWARD: Partial<Record<SagaState, { step: Step | 'confirm'; next: SagaState }>> = {
  RESERVING_STOCK: { step: 'reserve', next: 'PROCESSING_PAYMENT' },
  PROCESSING_PAYMENT: { step: 'pay', next: 'CREATING_SHIPMENT' },
  CREATING_SHIPMENT: { step: 'ship', next: 'CONFIRMING' },
  CONFIRMING: { step: 'confirm', next: 'CONFIRMED' },
};

export function isTerminal(state: SagaState): boolean {
  return TERMINAL_STATES.includes(state);
}

/**
 * A customer may cancel until payment is done: the request is accepted only before
 * the shipment is asked for, since a shipment cannot be undone (shipping has no
 * cancellation). The saga acts on an accepted cancellation at its next step boundary,
 * which is at the latest just before it would create the shipment.
 */
export function acceptsCancellation(state: SagaState): boolean {
  return state === 'RESERVING_STOCK' || state === 'PROCESSING_PAYMENT';
}

/** Where the saga honours an accepted cancellation: before calling the step of this state. */
export function honoursCancellation(state: SagaState): boolean {
  return acceptsCancellation(state) || state === 'CREATING_SHIPMENT';
}

/** What is left to undo: steps begun and not yet compensated, newest first. */
export function compensationsDue(startedSteps: readonly string[]): Step[] {
  return [...startedSteps].reverse() as Step[];
}

/** Exponential backoff with ±25 % jitter, capped. */
export function retryDelay(attempt: number, baseMs: number, capMs = 5_000): number {
  const ceiling = Math.min(capMs, baseMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(ceiling * (0.75 + Math.random() * 0.5));
}
