import { Inject, Injectable } from '@nestjs/common';
import type { Command, Query } from '@nestjs/cqrs';
import { APP_CONFIG, type AppConfig } from '../config/app-config.js';
import { contractInfoOf } from '../contracts/contract-type.js';
import { requestContext } from '../logging/request-context.js';
import { ContractCallTimeoutError } from './contract-call-errors.js';
import { CONTRACT_TRANSPORT, type ContractTransport } from './contract-transport.js';

export interface CallOptions {
  /** Deadline for this call; defaults to `CONTRACT_CALL_TIMEOUT_MS`. */
  timeoutMs?: number;
}

/**
 * The single seam through which one module calls another's contract. Callers depend
 * only on this class and the callee's `contract.ts`; where the callee runs (this
 * process or an extracted service) is the transport's business. Every call has a
 * deadline, so a slow dependency cannot hold a request forever; a call made while
 * serving another call gets no more time than its own caller has left.
 */
@Injectable()
export class ContractBus {
  constructor(
    @Inject(CONTRACT_TRANSPORT) private readonly transport: ContractTransport,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  execute<R>(command: Command<R>, options?: CallOptions): Promise<R> {
    return this.call<R>(command, options);
  }

  query<R>(query: Query<R>, options?: CallOptions): Promise<R> {
    return this.call<R>(query, options);
  }

  private async call<R>(message: object, options?: CallOptions): Promise<R> {
    const info = contractInfoOf(message);
    const inherited = requestContext.current()?.deadlineAt;
    const wanted = options?.timeoutMs ?? this.config.contractCallTimeoutMs;
    const timeoutMs = inherited === undefined ? wanted : Math.max(0, Math.min(wanted, inherited - Date.now()));
    const deadlineAt = Date.now() + timeoutMs;
    const controller = new AbortController();
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        controller.abort();
        reject(new ContractCallTimeoutError(info.wireName, timeoutMs));
      }, timeoutMs);
    });
    try {
      return await Promise.race([this.transport.send<R>(message, info, { signal: controller.signal, deadlineAt }), deadline]);
    } finally {
      clearTimeout(timer);
    }
  }
}
