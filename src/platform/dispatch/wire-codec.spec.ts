import { describe, expect, it } from 'vitest';
import { Command, ContractCommand, DomainError } from '../contracts/index.js';
import {
  decodeMessage,
  encodeMessage,
  encodeResult,
  fromErrorEnvelope,
  NotPlainDataError,
  RemoteDomainError,
  RemoteInternalError,
  toErrorEnvelope,
} from './wire-codec.js';

@ContractCommand('codec_test', 'Charge', { idempotent: true })
class Charge extends Command<{ ok: boolean }> {
  constructor(
    public readonly orderId: string,
    public readonly amount: { amount: number; currency: string },
    public readonly note?: unknown,
  ) {
    super();
  }
}

class Declined extends DomainError {
  readonly code = 'CODEC_TEST.DECLINED';
  readonly kind = 'unprocessable' as const;
  constructor(readonly reason: string) {
    super(`declined: ${reason}`);
  }
}

describe('the wire codec', () => {
  it('should rebuild a message as an instance of its contract class, field for field', () => {
    const sent = new Charge('o-1', { amount: 1500, currency: 'EUR' });
    const received = decodeMessage('codec_test.Charge', JSON.parse(encodeMessage(sent, 'codec_test.Charge')));
    expect(received).toBeInstanceOf(Charge);
    expect(received).toEqual(sent);
  });

  it.each([
    ['a Date', new Date(), 'note'],
    ['a Map', new Map([['a', 1]]), 'note'],
    ['a class instance', new (class Thing {})(), 'note'],
    ['NaN', Number.NaN, 'note'],
    ['undefined inside an array', [1, undefined], 'note[1]'],
    ['a bigint deep inside', { nested: [{ value: 10n }] }, 'note.nested[0].value'],
  ])('should refuse %s, naming where it is, instead of changing it silently', (_, note, path) => {
    const message = new Charge('o-1', { amount: 1, currency: 'EUR' }, note);
    expect(() => encodeMessage(message, 'codec_test.Charge')).toThrow(NotPlainDataError);
    expect(() => encodeMessage(message, 'codec_test.Charge')).toThrow(new RegExp(`${path.replace(/[[\].]/g, '\\$&')} is`));
  });

  it('should refuse a result that is not plain data', () => {
    expect(() => encodeResult({ at: new Date() }, 'codec_test.Charge')).toThrow(/at is a Date/);
    expect(encodeResult(undefined, 'codec_test.Charge')).toBe('{}');
  });

  it('should carry a domain error across with its code, kind, message, fields and details', () => {
    const envelope = JSON.parse(JSON.stringify(toErrorEnvelope(new Declined('CARD_DECLINED'), 'payments')));
    expect(envelope).toEqual({ code: 'CODEC_TEST.DECLINED', kind: 'unprocessable', message: 'declined: CARD_DECLINED', details: { reason: 'CARD_DECLINED' } });
    const rebuilt = fromErrorEnvelope(envelope) as RemoteDomainError & { reason: string };
    expect(rebuilt).toBeInstanceOf(DomainError);
    expect(rebuilt).toMatchObject({ code: 'CODEC_TEST.DECLINED', kind: 'unprocessable', message: 'declined: CARD_DECLINED', reason: 'CARD_DECLINED' });
  });

  it('should turn a bug into an internal error that is not a refusal and leaks nothing', () => {
    const envelope = toErrorEnvelope(new Error('column "secret" of relation x'), 'payments');
    expect(envelope).toEqual({ code: 'PLATFORM.INTERNAL', kind: 'internal', message: expect.not.stringContaining('secret') });
    const rebuilt = fromErrorEnvelope(envelope);
    expect(rebuilt).toBeInstanceOf(RemoteInternalError);
    expect(rebuilt).not.toBeInstanceOf(DomainError);
  });
});
