import { createHash, randomBytes } from 'node:crypto';
import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket, WebSocketServer } from 'ws';
import { standInUpstream, startGateway, upstreamOf, type RunningGateway, type StandInUpstream } from '../support/gateway.js';
import { waitFor } from '../support/wait-for.js';

/**
 * The gateway's duties at the edge, seen from a client and from the upstream: what it
 * never forwards, what it adds and removes, bodies and WebSockets passing through,
 * rate limits, and a bad routes file.
 */
describe('the gateway at the edge', () => {
  let monolith: StandInUpstream;
  let gateway: RunningGateway;
  let wss: WebSocketServer;
  const config = () => ({
    monolith: upstreamOf(monolith),
    trustedProxies: ['127.0.0.2'],
    rateLimits: { perClientAddress: { points: 40, durationSeconds: 60 }, perUser: null },
    routes: [],
  });

  beforeAll(async () => {
    monolith = await standInUpstream('monolith', (req, res, body) => {
      if (req.url === '/big-answer') return bigAnswer(res);
      if (req.url === '/echo-hash') {
        res.writeHead(200, { 'content-type': 'application/json' });
        return res.end(JSON.stringify({ bytes: body.length, sha256: createHash('sha256').update(body).digest('hex') }));
      }
      res.writeHead(200, { 'content-type': 'application/json', 'keep-alive': 'timeout=5', 'x-upstream': 'yes' });
      res.end(JSON.stringify({ headers: req.headers, url: req.url }));
    });
    wss = new WebSocketServer({ server: monolith.server });
    wss.on('connection', (socket) => socket.on('message', (data, binary) => socket.send(data, { binary })));
    gateway = await startGateway({ routes: config() });
  });
  afterAll(async () => {
    await gateway?.stop();
    wss?.close();
    await monolith?.close();
  });

  // The big answer: the first 64 KiB, then the rest only once the client says it has them.
  // A proxy that buffered the answer whole would never pass the first part on.
  let releaseRest: (() => void) | undefined;
  function bigAnswer(res: import('node:http').ServerResponse) {
    res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': String(5 * 1024 * 1024) });
    res.write(Buffer.alloc(64 * 1024, 1));
    releaseRest = () => res.end(Buffer.alloc(5 * 1024 * 1024 - 64 * 1024, 2));
  }

  it('should answer 404 to /internal/… in any spelling, and never forward it', async () => {
    const before = monolith.seen.length;
    for (const path of ['/internal/rpc/payments.ProcessPayment', '/Internal/RPC/x', '//internal/rpc/x', '/%69nternal/rpc/x', '/internal', '/internal/']) {
      const answer = await gateway.http.post(path, { body: {} });
      expect(answer.status, path).toBe(404);
      expect(answer.headers.get('content-type')).toContain('application/problem+json');
    }
    expect(monolith.seen.length).toBe(before);
  });

  it('should strip hop-by-hop headers, set X-Forwarded-*, keep a request id and a traceparent, and start them when missing', async () => {
    const traceparent = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
    // Over node:http (from:), which sends hop-by-hop headers as given (fetch refuses them).
    const answer = await gateway.http.get('/hello?x=1', {
      from: '127.0.0.1',
      headers: { 'x-request-id': 'req-edge-1', traceparent, 'keep-alive': 'timeout=99', connection: 'keep-alive, x-secret-hop', 'x-secret-hop': 'no', te: 'trailers', 'x-forwarded-for': '6.6.6.6' },
    });
    const seen = answer.body.headers as Record<string, string>;
    expect(answer.headers.get('x-request-id')).toBe('req-edge-1');
    expect(seen['x-request-id']).toBe('req-edge-1');
    expect(seen.traceparent).toBe(traceparent);
    for (const hop of ['keep-alive', 'x-secret-hop', 'te']) expect(seen[hop], hop).toBeUndefined();
    // 127.0.0.1 is not a trusted proxy: the client's own X-Forwarded-For is not believed.
    expect(seen['x-forwarded-for']).toBe('127.0.0.1');
    expect(seen['x-forwarded-proto']).toBe('http');
    expect(seen['x-forwarded-host']).toBe(`127.0.0.1:${gateway.port}`);
    expect(answer.headers.get('x-upstream')).toBe('yes');
    expect(answer.headers.get('keep-alive')).not.toBe('timeout=5');

    const fresh = await gateway.http.get('/hello');
    expect(fresh.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    expect((fresh.body.headers as Record<string, string>).traceparent).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
  });

  it('should believe X-Forwarded-For only from a configured peer', async () => {
    const viaTrusted = await gateway.http.get('/hello', { from: '127.0.0.2', headers: { 'x-forwarded-for': '203.0.113.9' } });
    expect((viaTrusted.body.headers as Record<string, string>)['x-forwarded-for']).toBe('203.0.113.9, 127.0.0.2');
  });

  it('should pass a 5 MB request body through byte for byte', async () => {
    const body = randomBytes(5 * 1024 * 1024);
    const answer = await new Promise<{ status: number; text: string }>((resolve, reject) => {
      const outgoing = request(`${gateway.url}/echo-hash`, { method: 'POST', headers: { 'content-type': 'application/octet-stream', 'content-length': body.length } }, (incoming) => {
        let text = '';
        incoming.setEncoding('utf8').on('data', (chunk: string) => (text += chunk));
        incoming.on('end', () => resolve({ status: incoming.statusCode ?? 0, text }));
      });
      outgoing.on('error', reject);
      outgoing.end(body);
    });
    expect(answer.status).toBe(200);
    expect(JSON.parse(answer.text)).toEqual({ bytes: body.length, sha256: createHash('sha256').update(body).digest('hex') });
  });

  it('should stream a 5 MB answer to the client as it comes, without holding it', async () => {
    const received = await new Promise<number>((resolve, reject) => {
      request(`${gateway.url}/big-answer`, (incoming) => {
        let bytes = 0;
        incoming.on('data', (chunk: Buffer) => {
          bytes += chunk.length;
          // The first part arrived while the upstream still holds the rest: nothing waited for the whole answer.
          if (bytes >= 64 * 1024 && releaseRest) {
            releaseRest();
            releaseRest = undefined;
          }
        });
        incoming.on('end', () => resolve(bytes));
        incoming.on('error', reject);
      })
        .on('error', reject)
        .end();
    });
    expect(received).toBe(5 * 1024 * 1024);
  });

  it('should pass a WebSocket through, both ways', async () => {
    const socket = new WebSocket(`${gateway.url.replace('http', 'ws')}/ws/echo`);
    await new Promise((resolve, reject) => socket.once('open', resolve).once('error', reject));
    const echoed = new Promise<string>((resolve) => socket.once('message', (data) => resolve(data.toString())));
    socket.send('hello through the gateway');
    expect(await echoed).toBe('hello through the gateway');
    socket.close();
  });

  it('should rate-limit a client address with 429 and Retry-After, counting case and trailing-slash variants as one route', async () => {
    const from = '127.0.0.9';
    const statuses: number[] = [];
    let retryAfter: string | null = null;
    for (let i = 0; i < 45; i++) {
      const path = ['/api/v1/orders', '/API/V1/Orders/', '/api/v1//orders'][i % 3]!;
      const answer = await gateway.http.get(path, { from });
      statuses.push(answer.status);
      if (answer.status === 429) retryAfter = answer.headers.get('retry-after');
    }
    expect(statuses.filter((s) => s === 200)).toHaveLength(40);
    expect(statuses.slice(40).every((s) => s === 429)).toBe(true);
    expect(Number(retryAfter)).toBeGreaterThanOrEqual(1);
    // Another address has its own budget.
    expect((await gateway.http.get('/api/v1/orders', { from: '127.0.0.10' })).status).toBe(200);
  });

  it('should spend the same budget on WebSocket handshakes, refusing one over it with 429 and Retry-After', async () => {
    const from = '127.0.0.12';
    const handshake = () =>
      new Promise<{ status: number; retryAfter?: string }>((resolve, reject) => {
        const socket = new WebSocket(`${gateway.url.replace('http', 'ws')}/ws/echo`, { localAddress: from });
        socket.once('open', () => {
          socket.close();
          resolve({ status: 101 });
        });
        socket.once('unexpected-response', (_, res) => {
          resolve({ status: res.statusCode ?? 0, retryAfter: res.headers['retry-after'] as string | undefined });
          socket.terminate();
        });
        socket.once('error', (error) => reject(error));
      });
    // Half of the address's budget on requests, the rest on handshakes.
    for (let i = 0; i < 20; i++) expect((await gateway.http.get('/api/v1/orders', { from })).status).toBe(200);
    const outcomes = [];
    for (let i = 0; i < 21; i++) outcomes.push(await handshake());
    expect(outcomes.slice(0, 20).every((outcome) => outcome.status === 101)).toBe(true);
    expect(outcomes[20]!.status).toBe(429);
    expect(Number(outcomes[20]!.retryAfter)).toBeGreaterThanOrEqual(1);
    expect((await gateway.http.get('/api/v1/orders', { from })).status).toBe(429);
  });

  it('should keep the last good routes when the file turns bad, and say why', async () => {
    gateway.writeRoutes({ ...config(), routes: [{ name: 'payments', prefixes: ['/api/v1/payments'], target: { instances: ['not a url'] }, weight: 250 }] });
    const warning = await waitFor(() => gateway.logs().find((line) => String(line.msg ?? '').includes('routes file') && line.level === 40), { what: 'the warning about the bad file' });
    expect(JSON.stringify(warning)).toMatch(/routes\.0\.weight/);
    expect(JSON.stringify(warning)).toMatch(/routes\.0\.target\.instances\.0/);
    gateway.writeRoutes('{ not json');
    await waitFor(() => gateway.logs().filter((line) => String(line.msg ?? '').includes('routes file') && line.level === 40).length >= 2, { what: 'the warning about the second bad file' });
    // Still served as before, by the monolith, and still answering.
    expect((await gateway.http.get('/api/v1/payments/x', { from: '127.0.0.11' })).body.url).toBe('/api/v1/payments/x');
  });
});
