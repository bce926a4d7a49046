import { randomBytes, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { standInUpstream, startGateway, upstreamOf, type RunningGateway, type StandInUpstream } from '../support/gateway.js';
import { testRedisUrl } from '../support/test-env.js';
import { waitFor } from '../support/wait-for.js';

const REDIS_URL = testRedisUrl();

describe('shadow mode', () => {
  let monolith: StandInUpstream;
  let extracted: StandInUpstream;
  let gateway: RunningGateway;
  // Both sides answer a fresh timestamp and id every time (noise); the extracted side gets
  // one product's price wrong (a planted difference).
  const answer = (side: string) => (req: import('node:http').IncomingMessage, res: import('node:http').ServerResponse) => {
    const planted = side === 'extracted' && req.url?.includes('planted');
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ servedBy: side, product: req.url, price: planted ? 12 : 10, at: new Date().toISOString(), id: randomUUID() }));
  };

  beforeAll(async () => {
    monolith = await standInUpstream('monolith', answer('monolith'));
    extracted = await standInUpstream('extracted', answer('extracted'));
    gateway = await startGateway({
      routes: {
        monolith: upstreamOf(monolith),
        rateLimits: { perClientAddress: null, perUser: null },
        routes: [{ name: 'catalog', prefixes: ['/api/v1/catalog'], target: upstreamOf(extracted), mode: 'shadow', shadow: { noiseSampleRate: 1, ignoreFields: ['servedBy'] } }],
      },
    });
  });
  afterAll(async () => {
    await gateway?.stop();
    await monolith?.close();
    await extracted?.close();
  });

  it("should answer clients from the monolith only, count a planted difference, and not count learned noise", async () => {
    const served: string[] = [];
    for (let i = 0; i < 20; i++) served.push((await gateway.http.get(`/api/v1/catalog/products/${i}`)).body.servedBy);
    for (let i = 0; i < 5; i++) served.push((await gateway.http.get(`/api/v1/catalog/products/planted-${i}`)).body.servedBy);
    expect(new Set(served)).toEqual(new Set(['monolith']));
    const shadow = await waitFor(async () => {
      const routes = (await gateway.admin.get('/routes', { token: gateway.adminToken })).body.routes as { shadow: { compared: number; skipped: number; errors: number } }[];
      const stats = routes[0]!.shadow as { compared: number; matched: number; mismatched: number; skipped: number; errors: number; noise: string[]; samples: { url: string; differences: string[] }[] };
      return stats.compared + stats.skipped + stats.errors >= 25 ? stats : undefined;
    }, { what: 'every mirrored request to be compared' });
    expect(shadow).toMatchObject({ compared: 25, matched: 20, mismatched: 5, errors: 0, skipped: 0 });
    expect(shadow.noise).toEqual(expect.arrayContaining([expect.stringMatching(/at$/), expect.stringMatching(/id$/)]));
    expect(shadow.samples.every((sample) => sample.differences.some((d) => /price$/.test(d)))).toBe(true);
    expect(shadow.samples.every((sample) => sample.url.includes('planted'))).toBe(true);
    // Only safe reads are mirrored: a write goes to the monolith alone.
    const mirroredBefore = extracted.seen.length;
    await gateway.http.post('/api/v1/catalog/products', { body: { name: 'kettle' } });
    expect(extracted.seen.length).toBe(mirroredBefore);
  });
});

describe('two replicas of the gateway', () => {
  let monolith: StandInUpstream;
  let extracted: StandInUpstream;
  let first: RunningGateway;
  let second: RunningGateway;

  beforeAll(async () => {
    monolith = await standInUpstream('monolith');
    extracted = await standInUpstream('extracted');
    const routes = {
      monolith: upstreamOf(monolith),
      rateLimits: { perClientAddress: { points: 30, durationSeconds: 60 }, perUser: null },
      routes: [{ name: 'payments', prefixes: ['/api/v1/payments'], target: upstreamOf(extracted), weight: 0, stickiness: 'client-address' }],
    };
    const env = { REDIS_URL, PROXY_NAMESPACE: `gateway-replicas-${randomBytes(6).toString('hex')}` };
    [first, second] = await Promise.all([startGateway({ routes, env }), startGateway({ routes, env })]);
  });
  afterAll(async () => {
    await Promise.all([first?.stop(), second?.stop()]);
    await monolith?.close();
    await extracted?.close();
  });

  it('should see a weight change made through either one', async () => {
    const servedBy = async (gateway: RunningGateway, from: string) => (await gateway.http.get('/api/v1/payments/1', { from })).body.servedBy;
    expect(await servedBy(second, '127.0.0.20')).toBe('monolith');
    const set = await first.admin.request('PUT', '/routes/payments/weight', { token: first.adminToken, body: { weight: 100 } });
    expect(set.status).toBe(200);
    await waitFor(async () => (await servedBy(second, '127.0.0.20')) === 'extracted', { what: 'the second replica to apply the first one’s weight' });
    const state = (await second.admin.get('/routes', { token: second.adminToken })).body.routes[0].weight;
    expect(state).toMatchObject({ weight: 100, source: 'operator' });
    await second.admin.request('PUT', '/routes/payments/weight', { token: second.adminToken, body: { weight: 0 } });
    await waitFor(async () => (await servedBy(first, '127.0.0.21')) === 'monolith', { what: 'the first replica to apply the second one’s weight' });
  });

  it('should share one rate-limit budget between them', async () => {
    const from = '127.0.0.30';
    const statuses: number[] = [];
    for (let i = 0; i < 40; i++) statuses.push((await (i % 2 ? first : second).http.get('/api/v1/orders', { from })).status);
    expect(statuses.filter((s) => s === 200)).toHaveLength(30);
    expect(statuses.filter((s) => s === 429)).toHaveLength(10);
  });
});
