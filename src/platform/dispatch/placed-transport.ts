import { Inject, Injectable, type OnApplicationShutdown } from '@nestjs/common';
import type { Logger } from 'pino';
import { ServiceTokenSigner } from '../auth/service-credentials.js';
import { PLACEMENT, type Placement } from '../config/placement.js';
import type { ContractInfo } from '../contracts/contract-type.js';
import { LOGGER } from '../logging/logger.token.js';
import type { CallLimits, ContractTransport } from './contract-transport.js';
import { InProcessTransport } from './in-process-transport.js';
import { RemoteTransport, type RemoteModuleHealth } from './remote-transport.js';

/**
 * The transport the ContractBus uses: a call to a module hosted in this process goes
 * to its handler here; a call to a module hosted elsewhere goes over HTTP to its
 * service. The placement decides, so no caller knows or changes.
 */
@Injectable()
export class PlacedTransport implements ContractTransport, OnApplicationShutdown {
  private readonly hosted: ReadonlySet<string>;
  private readonly remote: RemoteTransport | undefined;

  constructor(
    private readonly local: InProcessTransport,
    @Inject(PLACEMENT) placement: Placement,
    @Inject(LOGGER) logger: Logger,
  ) {
    this.hosted = new Set(placement.hosted);
    this.remote =
      placement.remote.size > 0 && placement.serviceTokenSecret
        ? new RemoteTransport(
            placement.remote,
            (module) => placement.serviceOf(module),
            (service) => placement.resilienceFor(service),
            new ServiceTokenSigner(placement.serviceTokenSecret, placement.process),
            logger,
          )
        : undefined;
  }

  send<R>(message: object, info: ContractInfo, limits: CallLimits): Promise<R> {
    if (this.hosted.has(info.module)) return this.local.send<R>(message, info);
    if (this.remote?.hosts(info.module)) return this.remote.send<R>(message, info, limits);
    return Promise.reject(new Error(`${info.wireName}: ${info.module} is neither hosted here nor has a service address`));
  }

  /** Each remote module's circuit and calls in flight, for readiness. */
  remoteHealth(): Record<string, RemoteModuleHealth> {
    return this.remote?.health() ?? {};
  }

  async onApplicationShutdown(): Promise<void> {
    await this.remote?.close();
  }
}
