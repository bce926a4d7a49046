// The contract kit: the only platform files a module's contract.ts may import.
export { Command, Query } from '@nestjs/cqrs';
export { ContractCommand, ContractQuery, contractInfoOf, contractTypeOf } from './contract-type.js';
export type { CommandOptions, ContractInfo, ContractKind } from './contract-type.js';
export { DomainError } from './domain-error.js';
export type { DomainErrorKind, FieldProblem } from './domain-error.js';
export { defineIntegrationEvent, defineSubscription } from './integration-event.js';
export type { EventEnvelope, IntegrationEventSubscription, IntegrationEventType } from './integration-event.js';
// The schema language of event payloads: a contract.ts imports it from here, not from zod itself.
export { z } from 'zod';
export type { Money } from './money.js';
export { moneySchema } from './money.js';
