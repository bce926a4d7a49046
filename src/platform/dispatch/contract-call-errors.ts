import { DomainError } from '../contracts/domain-error.js';

/** The callee did not answer within the caller's deadline. */
export class ContractCallTimeoutError extends DomainError {
  readonly code = 'PLATFORM.CONTRACT_CALL_TIMEOUT';
  readonly kind = 'unavailable' as const;
  constructor(wireName: string, timeoutMs: number) {
    super(`${wireName} did not answer within ${timeoutMs} ms`);
  }
}
