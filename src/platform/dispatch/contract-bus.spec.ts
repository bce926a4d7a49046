import { Module } from '@nestjs/common';
import { CqrsModule, QueryHandler, type IQueryHandler } from '@nestjs/cqrs';
import { Test } from '@nestjs/testing';
import { describe, expect, it } from 'vitest';
import { APP_CONFIG, loadConfig } from '../config/app-config.js';
import { ContractQuery, Query, contractInfoOf } from '../contracts/index.js';
import { ContractBus } from './contract-bus.js';
import { ContractCallTimeoutError } from './contract-call-errors.js';
import { CONTRACT_TRANSPORT } from './contract-transport.js';
import { InProcessTransport } from './in-process-transport.js';

@ContractQuery('bus_test', 'Echo')
class Echo extends Query<string> {
  constructor(public readonly text: string) {
    super();
  }
}

@ContractQuery('bus_test', 'NeverAnswers')
class NeverAnswers extends Query<string> {}

class NotAContract extends Query<string> {}

@QueryHandler(Echo)
class EchoHandler implements IQueryHandler<Echo, string> {
  async execute(query: Echo): Promise<string> {
    return query.text;
  }
}

@QueryHandler(NeverAnswers)
class NeverAnswersHandler implements IQueryHandler<NeverAnswers, string> {
  execute(): Promise<string> {
    return new Promise(() => undefined);
  }
}

@Module({
  imports: [CqrsModule.forRoot()],
  providers: [
    { provide: APP_CONFIG, useValue: loadConfig({ CONTRACT_CALL_TIMEOUT_MS: '50' }) },
    { provide: CONTRACT_TRANSPORT, useClass: InProcessTransport },
    ContractBus,
    EchoHandler,
    NeverAnswersHandler,
  ],
})
class BusTestModule {}

async function bus(): Promise<ContractBus> {
  const moduleRef = await Test.createTestingModule({ imports: [BusTestModule] }).compile();
  await moduleRef.init();
  return moduleRef.get(ContractBus);
}

describe('ContractBus', () => {
  it('should carry the owning module and a stable wire name on every contract type', () => {
    expect(contractInfoOf(new Echo('x'))).toEqual({ module: 'bus_test', name: 'Echo', kind: 'query', wireName: 'bus_test.Echo', idempotent: true });
  });

  it('should refuse a wire name declared twice', () => {
    expect(() => ContractQuery('bus_test', 'Echo')(class Other {})).toThrow(/declared twice/);
  });

  it('should deliver a query to its in-process handler with a typed result', async () => {
    const contracts = await bus();
    const answer: string = await contracts.query(new Echo('hello'));
    expect(answer).toBe('hello');
  });

  it('should give up after the deadline with a typed, retryable error', async () => {
    const contracts = await bus();
    await expect(contracts.query(new NeverAnswers())).rejects.toBeInstanceOf(ContractCallTimeoutError);
    await expect(contracts.query(new NeverAnswers(), { timeoutMs: 10 })).rejects.toMatchObject({
      code: 'PLATFORM.CONTRACT_CALL_TIMEOUT',
      kind: 'unavailable',
    });
  });

  it('should refuse a message that is not a published contract type', async () => {
    const contracts = await bus();
    await expect(contracts.query(new NotAContract())).rejects.toThrow(/not a published contract type/);
  });
});
