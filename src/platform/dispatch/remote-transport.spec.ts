import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { ServiceTokenSigner, ServiceTokenVerifier } from '../auth/service-credentials.js';
import { REMOTE_CALL_DEFAULTS, type RemoteCallSettings } from '../config/placement.js';
import { Command, ContractCommand, ContractQuery, contractInfoOf, DomainError, Query } from '../contracts/index.js';
import { requestContext } from '../logging/request-context.js';
import { CircuitOpenError, RemoteTransport, ServiceBusyError, ServiceUnavailableError } from './remote-transport.js';

@ContractQuery('remote_test', 'Look')
class Look extends Query<{ seen: string }> {
  constructor(public readonly what: string) {
    super();
  }
}

@ContractCommand('remote_test', 'Append', { idempotent: false })
class Append extends Command<void> {
  constructor(public readonly line: string) {
    super();
  }
}

const SECRET = 'remote-transport-spec-secret-0123456789';

/**
 * The remote transport's resilience, against a stand-in service whose faults the spec
 * controls (it refuses, hangs or answers): what a caller observes is the same as with
 * a real extracted service, whose end-to-end behaviour the placement scenarios prove.
 */
describe('the remote transport', () => {
  const servers: Server[] = [];
  const transports: RemoteTransport[] = [];
  afterEach(async () => {
    await Promise.all(transports.splice(0).map((t) => t.close()));
    await Promise.all(servers.splice(0).map((s) => new Promise((resolve) => s.close(resolve))));
  });

  async function service(answer: (request: IncomingMessage, body: string, response: ServerResponse) => void) {
    const hits: { path: string; headers: IncomingMessage['headers']; body: string }[] = [];
    const server = createServer((request, response) => {
      let body = '';
      request.on('data', (chunk) => (body += chunk));
      request.on('end', () => {
        hits.push({ path: request.url!, headers: request.headers, body });
        answer(request, body, response);
      });
    });
    servers.push(server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, hits };
  }

  function transport(url: string, settings: Partial<RemoteCallSettings> = {}) {
    const remote = new RemoteTransport(
      new Map([['remote_test', url]]),
      (module) => module,
      () => ({ ...REMOTE_CALL_DEFAULTS, retryBackoffMs: 1, ...settings }),
      new ServiceTokenSigner(SECRET, 'ordering'),
      pino({ level: 'silent' }),
    );
    transports.push(remote);
    return remote;
  }

  const call = <R>(remote: RemoteTransport, message: object, ms = 2_000) => {
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), ms);
    return remote.send<R>(message, contractInfoOf(message), { signal: controller.signal, deadlineAt: Date.now() + ms }).finally(() => clearTimeout(timer));
  };

  const json = (response: ServerResponse, status: number, body: unknown) => {
    response.writeHead(status, { 'content-type': 'application/json' });
    response.end(JSON.stringify(body));
  };

  it('should send the wire name, the message, a service credential with the end user, and the remaining deadline', async () => {
    const target = await service((_, __, response) => json(response, 200, { result: { seen: 'yes' } }));
    const remote = transport(target.url);
    const endUser = { userId: 'u-1', email: 'ada@shop.test', roles: ['customer'] };
    const answer = await requestContext.run(
      { requestId: 'req-1', correlationId: 'corr-1', causationId: 'req-1', traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01', endUser },
      () => call<{ seen: string }>(remote, new Look('it'), 1_500),
    );
    expect(answer).toEqual({ seen: 'yes' });
    const [hit] = target.hits;
    expect(hit!.path).toBe('/internal/rpc/remote_test.Look');
    expect(JSON.parse(hit!.body)).toEqual({ what: 'it' });
    expect(hit!.headers).toMatchObject({ 'x-request-id': 'req-1', 'x-correlation-id': 'corr-1', traceparent: expect.stringMatching(/^00-0af7/) });
    expect(Number(hit!.headers['x-deadline-ms'])).toBeGreaterThan(1_000);
    expect(Number(hit!.headers['x-deadline-ms'])).toBeLessThanOrEqual(1_500);
    const token = /^Bearer (.+)$/.exec(String(hit!.headers.authorization))![1]!;
    expect(await new ServiceTokenVerifier(SECRET).verify(token)).toEqual({ service: 'ordering', endUser });
    await expect(new ServiceTokenVerifier('another-secret-0123456789-0123456789').verify(token)).rejects.toThrow(/invalid/);
  });

  it("should rebuild the callee's domain error, and not count it against the circuit", async () => {
    const target = await service((_, __, response) =>
      json(response, 409, { error: { code: 'REMOTE_TEST.TAKEN', kind: 'conflict', message: 'taken', details: { by: 'someone' } } }),
    );
    const remote = transport(target.url, { breakerFailures: 2 });
    for (let i = 0; i < 4; i++) {
      const error = await call(remote, new Look('x')).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(DomainError);
      expect(error).toMatchObject({ code: 'REMOTE_TEST.TAKEN', kind: 'conflict', by: 'someone' });
    }
    expect(remote.health().remote_test!.circuit).toBe('closed');
    expect(target.hits).toHaveLength(4); // a refusal is an answer: never retried
  });

  it('should retry a lost answer for a query, never for a command that is not idempotent', async () => {
    let calls = 0;
    const target = await service((request, _, response) => {
      calls++;
      // The first two attempts lose their connection mid-answer; the third answers.
      if (calls <= 2) request.socket.destroy();
      else json(response, 200, { result: { seen: 'third' } });
    });
    const remote = transport(target.url, { retries: 2 });
    expect(await call(remote, new Look('x'))).toEqual({ seen: 'third' });
    expect(target.hits).toHaveLength(3);

    calls = 0;
    target.hits.length = 0;
    await expect(call(remote, new Append('once'))).rejects.toBeInstanceOf(ServiceUnavailableError);
    expect(target.hits).toHaveLength(1);
  });

  it('should open the circuit after consecutive lost answers, fail fast while open, and close after a good trial call', async () => {
    let healthy = false;
    const target = await service((request, _, response) => (healthy ? json(response, 200, { result: { seen: 'ok' } }) : request.socket.destroy()));
    const remote = transport(target.url, { retries: 0, breakerFailures: 3, breakerOpenMs: 300 });
    for (let i = 0; i < 3; i++) await expect(call(remote, new Look('x'))).rejects.toBeInstanceOf(ServiceUnavailableError);
    expect(remote.health().remote_test!.circuit).toBe('open');
    const before = target.hits.length;
    const started = performance.now();
    const fast = await call(remote, new Look('x')).catch((e: unknown) => e);
    expect(fast).toBeInstanceOf(CircuitOpenError);
    expect(fast).toMatchObject({ code: 'PLATFORM.CIRCUIT_OPEN', kind: 'unavailable' });
    expect(performance.now() - started).toBeLessThan(50);
    expect(target.hits.length).toBe(before); // the service was not called at all
    healthy = true;
    const deadline = Date.now() + 5_000;
    let answer: unknown;
    while (Date.now() < deadline) {
      answer = await call(remote, new Look('x')).catch((e: unknown) => e);
      if (!(answer instanceof CircuitOpenError)) break;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(answer).toEqual({ seen: 'ok' });
    expect(remote.health().remote_test!.circuit).toBe('closed');
  });

  it('should share one circuit among the modules of one service', async () => {
    const target = await service((request) => request.socket.destroy());
    const remote = new RemoteTransport(
      new Map([['remote_test', target.url], ['other_test', target.url]]),
      () => 'monolith',
      () => ({ ...REMOTE_CALL_DEFAULTS, retries: 0, breakerFailures: 2 }),
      new ServiceTokenSigner(SECRET, 'payments'),
      pino({ level: 'silent' }),
    );
    transports.push(remote);
    for (let i = 0; i < 2; i++) await expect(call(remote, new Look('x'))).rejects.toBeInstanceOf(ServiceUnavailableError);
    expect(remote.health()).toMatchObject({ remote_test: { service: 'monolith', circuit: 'open' }, other_test: { service: 'monolith', circuit: 'open' } });
  });

  it('should give up an attempt at its timeout, and a call at its deadline', async () => {
    const target = await service(() => undefined); // never answers
    const remote = transport(target.url, { retries: 1, attemptTimeoutMs: 100 });
    const started = performance.now();
    await expect(call(remote, new Look('x'), 5_000)).rejects.toBeInstanceOf(ServiceUnavailableError);
    const took = performance.now() - started;
    expect(target.hits).toHaveLength(2);
    expect(took).toBeGreaterThanOrEqual(190);
    expect(took).toBeLessThan(2_000);
    await expect(call(remote, new Look('x'), 50)).rejects.toBeInstanceOf(ServiceUnavailableError);
  });

  it('should refuse calls beyond its bulkhead at once instead of queueing them without end', async () => {
    const held: ServerResponse[] = [];
    const target = await service((_, __, response) => held.push(response));
    // Each call alone (maxBatch 1), so that the stand-in holds one request per call.
    const remote = transport(target.url, { maxConcurrent: 2, maxQueued: 1, retries: 0, maxBatch: 1 });
    const inFlight = [call(remote, new Look('a')), call(remote, new Look('b')), call(remote, new Look('c'))];
    await expect(call(remote, new Look('d'))).rejects.toBeInstanceOf(ServiceBusyError);
    const deadline = Date.now() + 2_000;
    while (held.length < 2 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
    expect(remote.health().remote_test!.inFlight).toBe(2);
    for (const response of held.splice(0)) json(response, 200, { result: { seen: 'late' } });
    while (held.length < 1 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
    for (const response of held.splice(0)) json(response, 200, { result: { seen: 'late' } });
    expect(await Promise.all(inFlight)).toEqual([{ seen: 'late' }, { seen: 'late' }, { seen: 'late' }]);
  });

  describe('calls made together', () => {
    const asUser = (userId: string) => ({ requestId: `req-${userId}`, correlationId: `corr-${userId}`, causationId: `req-${userId}`, traceparent: null, endUser: { userId, email: `${userId}@shop.test`, roles: ['customer'] } });

    /** Answers a batch call by call: `answer(call)` gives each one's answer object. */
    const batchAnswering = (answer: (call: { message: { what: string } }) => unknown) => (request: IncomingMessage, body: string, response: ServerResponse) => {
      if (!request.url!.endsWith('/batch')) {
        const alone = JSON.parse(body) as { what?: string; line?: string };
        return json(response, 200, { result: { seen: alone.what ?? alone.line } });
      }
      const { calls } = JSON.parse(body) as { calls: { message: { what: string } }[] };
      json(response, 200, { answers: calls.map(answer) });
    };

    it('should send the calls of one type made in the same turn as one batch, each with its own credential, ids and deadline, and give each its own answer', async () => {
      const target = await service(
        batchAnswering((call) =>
          call.message.what === 'taken' ? { error: { code: 'REMOTE_TEST.TAKEN', kind: 'conflict', message: 'taken' } } : { result: { seen: call.message.what } },
        ),
      );
      const remote = transport(target.url);
      // Credentials are signed once per end user and then reused: signed ahead here, so that
      // the three calls are ready in the same turn (a first signature takes a few turns).
      for (const i of [0, 1, 2]) await requestContext.run(asUser(`u-${i}`), () => call(remote, new Look('warm')));
      target.hits.length = 0;
      const answers = await Promise.all(
        ['a', 'taken', 'c'].map((what, i) => requestContext.run(asUser(`u-${i}`), () => call(remote, new Look(what), 1_500).catch((e: unknown) => e))),
      );
      expect(answers[0]).toEqual({ seen: 'a' });
      expect(answers[1]).toBeInstanceOf(DomainError);
      expect(answers[1]).toMatchObject({ code: 'REMOTE_TEST.TAKEN', kind: 'conflict' });
      expect(answers[2]).toEqual({ seen: 'c' });

      expect(target.hits).toHaveLength(1);
      const [hit] = target.hits;
      expect(hit!.path).toBe('/internal/rpc/remote_test.Look/batch');
      // The request's own credential is the sender's, with no end user.
      const senderToken = /^Bearer (.+)$/.exec(String(hit!.headers.authorization))![1]!;
      expect(await new ServiceTokenVerifier(SECRET).verify(senderToken)).toEqual({ service: 'ordering', endUser: undefined });
      const { calls } = JSON.parse(hit!.body) as { calls: { credential: string; deadlineMs: number; requestId: string; correlationId: string; message: { what: string } }[] };
      // In the order they were ready to go (each waited for its credential), so matched by message.
      expect(calls.map((c) => c.message.what).sort()).toEqual(['a', 'c', 'taken']);
      for (const c of calls) {
        const i = ['a', 'taken', 'c'].indexOf(c.message.what);
        expect(c).toMatchObject({ requestId: `req-u-${i}`, correlationId: `corr-u-${i}` });
        expect(c.deadlineMs).toBeGreaterThan(1_000);
        expect(c.deadlineMs).toBeLessThanOrEqual(1_500);
        expect((await new ServiceTokenVerifier(SECRET).verify(c.credential)).endUser?.userId).toBe(`u-${i}`);
      }
    });

    it('should keep calls of other types, and a call made later, out of the batch', async () => {
      const target = await service(batchAnswering((call) => ({ result: { seen: call.message.what } })));
      const remote = transport(target.url);
      const first = await Promise.all([call(remote, new Look('a')), call(remote, new Look('b')), call(remote, new Append('line'))]);
      expect(first).toEqual([{ seen: 'a' }, { seen: 'b' }, { seen: 'line' }]);
      expect(await call(remote, new Look('later'))).toEqual({ seen: 'later' });
      expect(target.hits.map((h) => h.path).sort()).toEqual([
        '/internal/rpc/remote_test.Append',
        '/internal/rpc/remote_test.Look',
        '/internal/rpc/remote_test.Look/batch',
      ]);
    });

    it('should give up a call of a batch at its own deadline while the others get their answers', async () => {
      const held: ServerResponse[] = [];
      const target = await service((request, _, response) => (request.url!.endsWith('/batch') ? held.push(response) : json(response, 200, { result: { seen: 'warm' } })));
      const remote = transport(target.url, { retries: 0 });
      await call(remote, new Look('warm')); // the credential, signed ahead (see above)
      const quick = call(remote, new Look('quick'), 100).catch((e: unknown) => e);
      const patient = call(remote, new Look('patient'), 5_000);
      expect(await quick).toBeInstanceOf(ServiceUnavailableError);
      expect(held).toHaveLength(1); // one request carried both, and it is still open
      json(held[0]!, 200, { answers: [{ result: { seen: 'too late' } }, { result: { seen: 'patient' } }] });
      expect(await patient).toEqual({ seen: 'patient' });
    });

    it("should give every call of a batch refused as a whole the refusal, and count a lost batch as each call's lost answer", async () => {
      let lose = false;
      const target = await service((request, _, response) =>
        lose ? request.socket.destroy() : json(response, 401, { error: { code: 'PLATFORM.SERVICE_CREDENTIAL_INVALID', kind: 'unauthorized', message: 'no' } }),
      );
      const remote = transport(target.url, { retries: 0, breakerFailures: 4 });
      const refused = await Promise.all([call(remote, new Look('a')), call(remote, new Look('b'))].map((p) => p.catch((e: unknown) => e)));
      for (const error of refused) expect(error).toMatchObject({ code: 'PLATFORM.SERVICE_CREDENTIAL_INVALID', kind: 'unauthorized' });
      lose = true;
      const lost = await Promise.all([1, 2, 3, 4].map((i) => call(remote, new Look(`x${i}`)).catch((e: unknown) => e)));
      for (const error of lost) expect(error).toBeInstanceOf(ServiceUnavailableError);
      expect(target.hits).toHaveLength(2); // one batch each time
      expect(remote.health().remote_test!.circuit).toBe('open'); // four lost answers, though one request
    });

    it('should send every call alone when batching is turned off (maxBatch 1)', async () => {
      const target = await service(batchAnswering((call) => ({ result: { seen: call.message.what } })));
      const remote = transport(target.url, { maxBatch: 1 });
      expect(await Promise.all([call(remote, new Look('a')), call(remote, new Look('b'))])).toEqual([{ seen: 'a' }, { seen: 'b' }]);
      expect(target.hits.map((h) => h.path)).toEqual(['/internal/rpc/remote_test.Look', '/internal/rpc/remote_test.Look']);
    });
  });
});
