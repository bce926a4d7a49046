import { connect } from 'node:net';
import { request } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { standInUpstream, startGateway, upstreamOf, type RunningGateway, type StandInUpstream } from '../support/gateway.js';
import { waitFor } from '../support/wait-for.js';

/** Sends raw bytes to the gateway and answers everything it wrote back until it closed (or `untilMs`). */
function raw(port: number, bytes: string, untilMs = 2_000): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let answer = '';
    socket.setEncoding('utf8').on('data', (chunk: string) => (answer += chunk));
    const timer = setTimeout(() => socket.destroy(), untilMs);
    socket.once('close', () => {
      clearTimeout(timer);
      resolve(answer);
    });
    socket.once('error', reject);
    socket.write(bytes);
  });
}

describe('the gateway against hostile and broken peers', () => {
  let gateway: RunningGateway | undefined;
  const upstreams: StandInUpstream[] = [];
  afterEach(async () => {
    await gateway?.stop();
    gateway = undefined;
    await Promise.all(upstreams.splice(0).map((u) => u.close()));
  });
  const start = async (monolith: StandInUpstream, extra: Record<string, unknown> = {}) => {
    upstreams.push(monolith);
    gateway = await startGateway({ routes: { monolith: upstreamOf(monolith), rateLimits: { perClientAddress: null, perUser: null }, routes: [], ...extra } });
    return gateway;
  };

  it('should refuse a Connection header that names Content-Length, so no body is read upstream as a second request', async () => {
    const monolith = await standInUpstream('monolith');
    const { port } = await start(monolith);
    const smuggled = 'GET /internal/rpc/smuggled HTTP/1.1\r\nHost: x\r\n\r\n';
    const answer = await raw(port, `GET /x HTTP/1.1\r\nHost: shop\r\nContent-Length: ${smuggled.length}\r\nConnection: content-length\r\n\r\n${smuggled}`);
    expect(answer).toMatch(/^HTTP\/1\.1 400/);
    // Neither the request nor the one smuggled in its body reached the upstream (the
    // gateway's manifest reads, and any health probe, are not the client's).
    expect(monolith.seen.filter((r) => r.url === '/x' || r.url.toLowerCase().includes('smuggled'))).toEqual([]);
  });

  it('should refuse a backslash in the path, which the upstream would read as a slash past the /internal check', async () => {
    const monolith = await standInUpstream('monolith');
    const { port } = await start(monolith);
    for (const path of ['/\\internal/rpc/x', '/\\Internal/rpc', '/api\\..\\internal/rpc']) {
      const answer = await raw(port, `GET ${path} HTTP/1.1\r\nHost: shop\r\nConnection: close\r\n\r\n`);
      expect(answer, path).toMatch(/^HTTP\/1\.1 400/);
    }
    expect(monolith.seen.filter((r) => r.url.toLowerCase().includes('internal'))).toEqual([]);
  });

  it('should survive a client that resets its connection in the middle of a WebSocket handshake', async () => {
    const monolith = await standInUpstream('monolith');
    let handshakeArrived = false;
    monolith.server.on('upgrade', () => (handshakeArrived = true)); // and never answers it
    const { port } = await start(monolith);
    const socket = connect(port, '127.0.0.1');
    await new Promise((resolve) => socket.once('connect', resolve));
    socket.write('GET /ws HTTP/1.1\r\nHost: shop\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n');
    await waitFor(() => handshakeArrived, { what: 'the handshake to reach the upstream' });
    socket.resetAndDestroy();
    // Still serving.
    await waitFor(async () => (await gateway!.http.get('/after-reset')).status === 200, { what: 'the gateway to answer after the reset' });
    expect(gateway!.process.running()).toBe(true);
  });

  it('should end the upstream request when the client leaves before its answer is complete', async () => {
    let upstreamAnswerClosedEarly: Promise<boolean> | undefined;
    const monolith = await standInUpstream('monolith', (_, res) => {
      res.writeHead(200, { 'content-type': 'application/octet-stream' });
      res.write(Buffer.alloc(64 * 1024));
      upstreamAnswerClosedEarly = new Promise((resolve) => res.once('close', () => resolve(!res.writableFinished)));
      // …and the rest never comes.
    });
    const { url } = await start(monolith);
    await new Promise<void>((resolve, reject) => {
      const outgoing = request(`${url}/download`, (incoming) => {
        incoming.once('data', () => {
          outgoing.destroy();
          resolve();
        });
      });
      outgoing.on('error', () => undefined);
      outgoing.once('error', reject);
      outgoing.end();
    });
    await waitFor(() => upstreamAnswerClosedEarly, { what: 'the upstream to start answering' });
    expect(await upstreamAnswerClosedEarly).toBe(true);
  });

  it('should cut the client off at once when the upstream dies in the middle of its answer, instead of leaving it waiting', async () => {
    const monolith = await standInUpstream('monolith', (req, res) => {
      res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': '100000' });
      res.write(Buffer.alloc(8), () => setImmediate(() => req.socket.destroy()));
    });
    const { url } = await start(monolith, { timeouts: { upstreamMs: 30_000, clientHeadersMs: 5_000, clientIdleMs: 30_000 } });
    const started = performance.now();
    const outcome = await new Promise<string>((resolve) => {
      const outgoing = request(`${url}/broken`, (incoming) => {
        incoming.on('data', () => undefined);
        incoming.once('end', () => resolve('ended'));
        incoming.once('aborted', () => resolve('aborted'));
        incoming.once('error', () => resolve('aborted'));
      });
      outgoing.once('error', () => resolve('aborted'));
      outgoing.end();
    });
    expect(outcome).toBe('aborted');
    expect(performance.now() - started).toBeLessThan(5_000);
  });
});

describe('the rollback guard, fed honestly', () => {
  let gateway: RunningGateway | undefined;
  const upstreams: StandInUpstream[] = [];
  afterEach(async () => {
    await gateway?.stop();
    gateway = undefined;
    await Promise.all(upstreams.splice(0).map((u) => u.close()));
  });
  const window = async () => (await gateway!.admin.get('/routes', { token: gateway!.adminToken })).body.routes[0] as { weight: { source: string }; window?: { requests: number; failures: number } };

  it('should count a failed request once, not once when it fails and again when it is answered 502', async () => {
    const monolith = await standInUpstream('monolith');
    const dead = await standInUpstream('extracted', (req) => req.socket.destroy());
    upstreams.push(monolith, dead);
    gateway = await startGateway({
      routes: {
        monolith: upstreamOf(monolith),
        rateLimits: { perClientAddress: null, perUser: null },
        routes: [{ name: 'payments', prefixes: ['/api/v1/payments'], target: { ...upstreamOf(dead), ejectAfterFailures: 100 }, weight: 100, rollback: { windowSeconds: 60, minRequests: 10, maxErrorRate: 0.5, maxP99Ms: 5_000 } }],
      },
    });
    for (let i = 0; i < 7; i++) expect((await gateway.http.post(`/api/v1/payments/${i}`, { body: {} })).status).toBe(502);
    const state = await waitFor(async () => {
      const current = await window();
      return current.window?.requests === 7 ? current : undefined;
    }, { what: 'the window to hold the seven requests' });
    expect(state.window).toMatchObject({ requests: 7, failures: 7 });
    expect(state.weight.source).toBe('file');
  });

  it("should judge the extracted side's latency, not a slow client's upload", async () => {
    const monolith = await standInUpstream('monolith');
    const extracted = await standInUpstream('extracted');
    upstreams.push(monolith, extracted);
    gateway = await startGateway({
      routes: {
        monolith: upstreamOf(monolith),
        rateLimits: { perClientAddress: null, perUser: null },
        routes: [{ name: 'payments', prefixes: ['/api/v1/payments'], target: upstreamOf(extracted), weight: 100, rollback: { windowSeconds: 60, minRequests: 5, maxErrorRate: 0.5, maxP99Ms: 300 } }],
      },
    });
    const trickle = (i: number) =>
      new Promise<number>((resolve, reject) => {
        const outgoing = request(`${gateway!.url}/api/v1/payments/${i}`, { method: 'POST', headers: { 'content-type': 'application/json', 'content-length': '12' } }, (incoming) => {
          incoming.resume();
          incoming.once('end', () => resolve(incoming.statusCode ?? 0));
        });
        outgoing.once('error', reject);
        outgoing.write('{"a":');
        setTimeout(() => outgoing.end('"slow"}'), 600); // the client is slow, not the service
      });
    expect(await Promise.all([0, 1, 2, 3, 4, 5].map(trickle))).toEqual([200, 200, 200, 200, 200, 200]);
    await gateway.http.get('/api/v1/payments/one-more');
    const state = await window();
    expect(state.window!.requests).toBeGreaterThanOrEqual(6);
    expect(state.weight.source).toBe('file');
  });
});
