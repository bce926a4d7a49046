import { Inject, Injectable } from '@nestjs/common';
import { CommandBus, QueryBus, type ICommand, type IQuery } from '@nestjs/cqrs';
import { APP_CONFIG, type AppConfig } from '../config/app-config.js';
import type { ContractInfo } from '../contracts/contract-type.js';
import type { ContractTransport } from './contract-transport.js';
import { decodeMessage, decodeResult, encodeMessage, encodeResult, fromErrorEnvelope, RemoteInternalError, toErrorEnvelope } from './wire-codec.js';

/**
 * Delivers contract messages to handlers in this process through Nest's buses. In the
 * `serializing` modes (CONTRACT_TRANSPORT_MODE, for tests) every message, result and
 * error goes through the wire encoding first, exactly as it would to another process;
 * `serializing-repeat` also delivers each idempotent command a second time and answers
 * the second outcome, as a retry after a lost answer would (Service Weaver's
 * weavertest does the same to find methods that claim to be safe to retry and are not).
 */
@Injectable()
export class InProcessTransport implements ContractTransport {
  private readonly serializing: boolean;
  private readonly repeating: boolean;

  constructor(
    private readonly commandBus: CommandBus,
    private readonly queryBus: QueryBus,
    @Inject(APP_CONFIG) config: AppConfig,
  ) {
    this.serializing = config.contractTransportMode !== 'direct';
    this.repeating = config.contractTransportMode === 'serializing-repeat';
  }

  send<R>(message: object, info: ContractInfo): Promise<R> {
    return this.serializing ? this.sendSerialized<R>(message, info) : this.deliver<R>(message, info);
  }

  /** The handler's answer as it is: what the RPC endpoint uses once it has decoded a message. */
  deliver<R>(message: object, info: ContractInfo): Promise<R> {
    return info.kind === 'query' ? this.queryBus.execute(message as IQuery) : this.commandBus.execute(message as ICommand);
  }

  private async sendSerialized<R>(message: object, info: ContractInfo): Promise<R> {
    // A message or result that is not plain data fails as itself, naming the field: that is the finding.
    const encoded = encodeMessage(message, info.wireName);
    const once = async (): Promise<R> => {
      let result: unknown;
      try {
        result = await this.deliver<unknown>(decodeMessage(info.wireName, JSON.parse(encoded)), info);
      } catch (error) {
        const rebuilt = fromErrorEnvelope(JSON.parse(JSON.stringify(toErrorEnvelope(error, info.module))));
        // Over a wire the callee logs a bug's cause; here the caller's log keeps it instead.
        if (rebuilt instanceof RemoteInternalError) rebuilt.cause = error;
        throw rebuilt;
      }
      return decodeResult<R>(JSON.parse(encodeResult(result, info.wireName)) as { result?: unknown });
    };
    if (!(this.repeating && info.kind === 'command' && info.idempotent)) return once();
    await once().catch(() => undefined);
    return once();
  }
}
