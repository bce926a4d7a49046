import { Injectable } from '@nestjs/common';
import { CommandBus, QueryBus, type ICommand, type IQuery } from '@nestjs/cqrs';
import type { ContractInfo } from '../contracts/contract-type.js';
import type { ContractTransport } from './contract-transport.js';

/** Delivers contract messages to handlers in this process through Nest's buses. */
@Injectable()
export class InProcessTransport implements ContractTransport {
  constructor(
    private readonly commandBus: CommandBus,
    private readonly queryBus: QueryBus,
  ) {}

  send<R>(message: object, info: ContractInfo): Promise<R> {
    return info.kind === 'query'
      ? this.queryBus.execute(message as IQuery)
      : this.commandBus.execute(message as ICommand);
  }
}
