// The contract kit: the only platform files a module's contract.ts may import.
export { Command, Query } from '@nestjs/cqrs';
export { ContractCommand, ContractQuery, contractInfoOf, contractTypeOf } from './contract-type.js';
export type { ContractInfo, ContractKind } from './contract-type.js';
export { DomainError } from './domain-error.js';
export type { DomainErrorKind, FieldProblem } from './domain-error.js';
export { defineIntegrationEvent } from './integration-event.js';
export type { EventEnvelope, IntegrationEventType } from './integration-event.js';
export type { Money } from './money.js';
