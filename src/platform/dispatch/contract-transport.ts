import type { ContractInfo } from '../contracts/contract-type.js';

/** One call's limits: the caller stops waiting at `deadlineAt` (epoch ms), and `signal` aborts then. */
export interface CallLimits {
  signal: AbortSignal;
  deadlineAt: number;
}

/**
 * How a contract message reaches the module that owns it: in this process (the
 * in-process transport) or over HTTP to the service hosting it (the remote
 * transport). Callers only see the ContractBus; which transport carries a call is
 * decided by the placement, never by the caller's code.
 */
export interface ContractTransport {
  send<R>(message: object, info: ContractInfo, limits: CallLimits): Promise<R>;
}

export const CONTRACT_TRANSPORT = Symbol('CONTRACT_TRANSPORT');
