import {
  BrokenCircuitError,
  BulkheadRejectedError,
  circuitBreaker,
  CircuitState,
  ConsecutiveBreaker,
  ExponentialBackoff,
  bulkhead,
  handleWhen,
  retry,
  timeout,
  TimeoutStrategy,
  TaskCancelledError,
  wrap,
  type BulkheadPolicy,
  type CircuitBreakerPolicy,
  type IPolicy,
} from 'cockatiel';
import type { Logger } from 'pino';
import { Pool } from 'undici';
import type { ServiceTokenSigner } from '../auth/service-credentials.js';
import type { RemoteCallSettings } from '../config/placement.js';
import type { ContractInfo } from '../contracts/contract-type.js';
import { DomainError } from '../contracts/domain-error.js';
import { requestContext } from '../logging/request-context.js';
import type { CallLimits, ContractTransport } from './contract-transport.js';
import { CallNotAnswered, RemoteCallBatches, type CallAnswer } from './remote-call-batches.js';
import { decodeResult, encodeMessage, fromErrorEnvelope, isErrorEnvelope } from './wire-codec.js';

/**
 * The call could not be completed: the target refused the connection, dropped it, did
 * not answer in time, or answered something that is not the wire protocol. A
 * DomainError of kind `unavailable`, like a timeout in one process: the HTTP edge
 * answers 503 with Retry-After, and the checkout saga retries.
 */
export class ServiceUnavailableError extends DomainError {
  readonly code = 'PLATFORM.SERVICE_UNAVAILABLE';
  readonly kind = 'unavailable' as const;
  override readonly retryAfterSeconds = 1;
}

/** The target's circuit is open: calls fail at once until it lets a trial call through. */
export class CircuitOpenError extends DomainError {
  readonly code = 'PLATFORM.CIRCUIT_OPEN';
  readonly kind = 'unavailable' as const;
  constructor(
    module: string,
    override readonly retryAfterSeconds: number,
  ) {
    super(`${module} failed repeatedly; calls to it fail fast for a while`);
  }
}

/** The target already has as many calls in flight and waiting as it is allowed. */
export class ServiceBusyError extends DomainError {
  readonly code = 'PLATFORM.SERVICE_BUSY';
  readonly kind = 'unavailable' as const;
  override readonly retryAfterSeconds = 1;
}

const CIRCUIT_STATE_NAMES: Record<CircuitState, CircuitStateName> = {
  [CircuitState.Closed]: 'closed',
  [CircuitState.Open]: 'open',
  [CircuitState.HalfOpen]: 'half-open',
  [CircuitState.Isolated]: 'isolated',
};

export type CircuitStateName = 'closed' | 'open' | 'half-open' | 'isolated';

export interface RemoteModuleHealth {
  /** The service hosting the module (its own, or `monolith`): modules of one service share its circuit. */
  service: string;
  url: string;
  circuit: CircuitStateName;
  inFlight: number;
}

/**
 * One target service as seen from here (an extracted module's, or the monolith for
 * the modules it still hosts): a keep-alive connection pool (undici) and cockatiel
 * policies around every call to it. From the outside in:
 * - retry, with jittered exponential backoff, only for queries and commands whose
 *   contract says they are idempotent, and only after a lost answer (never after a
 *   domain error: that is the callee's answer);
 * - a circuit breaker, opened by consecutive lost answers, so a dead service costs
 *   its callers nothing while it is down;
 * - a bulkhead, so one slow service cannot hold every connection or pending request;
 * - a timeout per attempt, inside the caller's own deadline.
 * Calls of one contract type made in the same turn travel together (remote-call-batches.ts).
 */
class RemoteService {
  private readonly pool: Pool;
  private readonly batches: RemoteCallBatches;
  private readonly breaker: CircuitBreakerPolicy;
  private readonly bulkhead: BulkheadPolicy;
  private readonly once: IPolicy;
  private readonly withRetries: IPolicy;

  constructor(
    readonly service: string,
    readonly url: string,
    private readonly settings: RemoteCallSettings,
    private readonly signer: ServiceTokenSigner,
    logger: Logger,
  ) {
    this.pool = new Pool(url, { connections: settings.connections, keepAliveTimeout: 30_000, pipelining: 1 });
    this.batches = new RemoteCallBatches(this.pool, settings.maxBatch, () => signer.tokenFor(undefined));
    const lostAnswer = handleWhen((error) => error instanceof ServiceUnavailableError);
    this.breaker = circuitBreaker(lostAnswer, {
      halfOpenAfter: settings.breakerOpenMs,
      breaker: new ConsecutiveBreaker(settings.breakerFailures),
    });
    this.breaker.onStateChange((state) => {
      const circuit = CIRCUIT_STATE_NAMES[state];
      const fields = { service, url, circuit };
      if (state === CircuitState.Open) logger.warn(fields, `circuit to ${service} opened: calls fail fast for ${settings.breakerOpenMs} ms`);
      else logger.info(fields, `circuit to ${service} is ${circuit}`);
    });
    this.bulkhead = bulkhead(settings.maxConcurrent, settings.maxQueued);
    // Cooperative: the attempt's signal aborts the request, which then fails as a lost
    // answer, and so counts for the breaker and the retry like any other. Not aborted on
    // return: the answer is read whole by then, and an abort per call (a DOMException
    // each) cost about 20 µs of CPU per call (bench: contract-call).
    const attempt = timeout(settings.attemptTimeoutMs, { strategy: TimeoutStrategy.Cooperative, abortOnReturn: false });
    this.once = wrap(this.breaker, this.bulkhead, attempt);
    this.withRetries = wrap(
      retry(lostAnswer, {
        maxAttempts: settings.retries,
        backoff: new ExponentialBackoff({ initialDelay: settings.retryBackoffMs, maxDelay: 1_000 }),
      }),
      this.once,
    );
  }

  health(): RemoteModuleHealth {
    return {
      service: this.service,
      url: this.url,
      circuit: CIRCUIT_STATE_NAMES[this.breaker.state],
      inFlight: this.settings.maxConcurrent - this.bulkhead.executionSlots,
    };
  }

  async call<R>(message: object, info: ContractInfo, limits: CallLimits): Promise<R> {
    const body = encodeMessage(message, info.wireName);
    const policy = info.idempotent ? this.withRetries : this.once;
    try {
      return await policy.execute(({ signal }) => this.post<R>(info, body, limits, signal), limits.signal);
    } catch (error) {
      if (error instanceof BrokenCircuitError) throw new CircuitOpenError(this.service, Math.max(1, Math.ceil(this.settings.breakerOpenMs / 1000)));
      if (error instanceof BulkheadRejectedError) throw new ServiceBusyError(`${this.service} has too many calls in flight`);
      if (error instanceof TaskCancelledError) throw new ServiceUnavailableError(`${info.wireName} did not answer in time`);
      throw error;
    }
  }

  private async post<R>(info: ContractInfo, body: string, limits: CallLimits, signal: AbortSignal): Promise<R> {
    if (limits.deadlineAt <= Date.now()) throw new ServiceUnavailableError(`${info.wireName}: the caller's deadline has passed`);
    const context = requestContext.current();
    let answer: CallAnswer;
    try {
      answer = await this.batches.send({
        wireName: info.wireName,
        body,
        credential: await this.signer.tokenFor(context?.endUser),
        deadlineAt: limits.deadlineAt,
        context,
        signal,
      });
    } catch (error) {
      if (!(error instanceof CallNotAnswered)) throw error;
      if (signal.aborted) throw new ServiceUnavailableError(`${info.wireName} did not answer in time`);
      throw new ServiceUnavailableError(`${this.service} could not be reached: ${error.message}`);
    }
    const { statusCode, decoded } = answer as { statusCode: number; decoded: { result?: unknown; error?: unknown } | undefined };
    if (decoded && typeof decoded === 'object' && isErrorEnvelope(decoded.error)) throw fromErrorEnvelope(decoded.error);
    if (statusCode === 200 && decoded && typeof decoded === 'object' && !Array.isArray(decoded)) return decodeResult<R>(decoded);
    // Not our protocol: a proxy's error page, a process shutting down, something else on the port.
    throw new ServiceUnavailableError(`${this.service} answered ${statusCode} without a result`);
  }

  close(): Promise<void> {
    return this.pool.close();
  }
}

/** Sends calls for modules hosted elsewhere to their services. */
export class RemoteTransport implements ContractTransport {
  private readonly modules = new Map<string, RemoteService>();
  private readonly services = new Map<string, RemoteService>();

  /** `remote`: each module hosted elsewhere and its base URL; `serviceOf`: the service hosting it. */
  constructor(
    remote: ReadonlyMap<string, string>,
    serviceOf: (module: string) => string,
    settingsOf: (service: string) => RemoteCallSettings,
    signer: ServiceTokenSigner,
    logger: Logger,
  ) {
    for (const [module, url] of remote) {
      const name = serviceOf(module);
      let service = this.services.get(name);
      if (!service) {
        service = new RemoteService(name, url, settingsOf(name), signer, logger);
        this.services.set(name, service);
      }
      this.modules.set(module, service);
    }
  }

  hosts(module: string): boolean {
    return this.modules.has(module);
  }

  send<R>(message: object, info: ContractInfo, limits: CallLimits): Promise<R> {
    const target = this.modules.get(info.module);
    if (!target) throw new Error(`${info.module} has no service address here`);
    return target.call<R>(message, info, limits);
  }

  health(): Record<string, RemoteModuleHealth> {
    return Object.fromEntries([...this.modules].map(([module, remote]) => [module, remote.health()]));
  }

  async close(): Promise<void> {
    await Promise.allSettled([...this.services.values()].map((remote) => remote.close()));
  }
}
