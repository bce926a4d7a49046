import type { ContractInfo } from '../contracts/contract-type.js';

/**
 * How a contract message reaches the module that owns it. The monolith uses the
 * in-process transport; a remote transport (HTTP to an extracted service) plugs in
 * here later without any caller changing.
 */
export interface ContractTransport {
  send<R>(message: object, info: ContractInfo, signal: AbortSignal): Promise<R>;
}

export const CONTRACT_TRANSPORT = Symbol('CONTRACT_TRANSPORT');
