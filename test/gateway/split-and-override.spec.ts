import { Pool } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { standInUpstream, startGateway, upstreamOf, type RunningGateway, type StandInUpstream } from '../support/gateway.js';
import { waitFor } from '../support/wait-for.js';

/** An access token as the gateway reads it for routing: only its `sub` matters (the shop verifies signatures). */
function tokenOf(sub: string): string {
  const part = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
  return `${part({ alg: 'EdDSA', typ: 'JWT' })}.${part({ sub, roles: ['customer'] })}.c2lnbmF0dXJl`;
}

/**
 * The weighted split: which users go to the extracted side, and that they stay there.
 * The gateway is its own process; the two sides are stand-in upstreams that say who
 * answered.
 */
describe('the gateway splits a route by weight, sticky per user', () => {
  let monolith: StandInUpstream;
  let extracted: StandInUpstream;
  let gateway: RunningGateway;
  let pool: Pool;
  const routes = (weight: number, override = true) => ({
    monolith: upstreamOf(monolith),
    headerOverride: { enabled: override, header: 'x-strangler-target' },
    rateLimits: { perClientAddress: null, perUser: null },
    routes: [{ name: 'payments', prefixes: ['/api/v1/payments'], target: upstreamOf(extracted), weight, stickiness: 'jwt-sub' }],
  });

  beforeAll(async () => {
    monolith = await standInUpstream('monolith');
    extracted = await standInUpstream('extracted');
    gateway = await startGateway({ routes: routes(30) });
    pool = new Pool(gateway.url, { connections: 32 });
  });
  afterAll(async () => {
    await pool?.close();
    await gateway?.stop();
    await monolith?.close();
    await extracted?.close();
  });

  const admin = (path: string, init: { method?: string; body?: unknown } = {}) =>
    gateway.admin.request(init.method ?? 'GET', path, { token: gateway.adminToken, body: init.body });

  /** Sends `perUser` requests for each of `users`, 32 at a time; answers who served each user's requests. */
  async function sideOfEachUser(users: string[], perUser: number): Promise<Map<string, Set<string>>> {
    const sides = new Map<string, Set<string>>(users.map((user) => [user, new Set<string>()]));
    const work = users.flatMap((user) => Array.from({ length: perUser }, (_, i) => ({ user, path: `/api/v1/payments/orders/${user}-${i}` })));
    let next = 0;
    await Promise.all(
      Array.from({ length: 32 }, async () => {
        while (next < work.length) {
          const { user, path } = work[next++]!;
          const answer = await pool.request({ method: 'GET', path, headers: { authorization: `Bearer ${tokenOf(user)}` } });
          const body = (await answer.body.json()) as { servedBy: string };
          expect(answer.statusCode).toBe(200);
          sides.get(user)!.add(body.servedBy);
        }
      }),
    );
    return sides;
  }

  const users = Array.from({ length: 1_000 }, (_, i) => `user-${i}`);

  it('should send 30% ± 3% of 10,000 requests from 1,000 users to the extracted side at weight 30, each user always to the same side', async () => {
    extracted.seen.length = 0;
    monolith.seen.length = 0;
    const sides = await sideOfEachUser(users, 10);
    // (The gateway also reads the monolith's routing manifest now and then: not a user's request.)
    const ofUsers = (upstream: StandInUpstream) => upstream.seen.filter((request) => request.url.startsWith('/api/v1/payments/')).length;
    const total = ofUsers(extracted) + ofUsers(monolith);
    expect(total).toBe(10_000);
    const share = ofUsers(extracted) / total;
    expect(share).toBeGreaterThanOrEqual(0.27);
    expect(share).toBeLessThanOrEqual(0.33);
    for (const [user, served] of sides) expect([...served], user).toHaveLength(1);
  });

  it('should move users only from the monolith to the extracted side when the weight goes from 30 to 60', async () => {
    const before = await sideOfEachUser(users, 1);
    const raised = await admin('/routes/payments/weight', { method: 'PUT', body: { weight: 60 } });
    expect(raised.status).toBe(200);
    expect(raised.body).toMatchObject({ weight: 60, source: 'operator' });
    const after = await sideOfEachUser(users, 1);
    const wasExtracted = users.filter((user) => before.get(user)!.has('extracted'));
    for (const user of wasExtracted) expect(after.get(user)!.has('extracted'), user).toBe(true);
    const nowExtracted = users.filter((user) => after.get(user)!.has('extracted')).length;
    expect(nowExtracted / users.length).toBeGreaterThanOrEqual(0.57);
    expect(nowExtracted / users.length).toBeLessThanOrEqual(0.63);
    // Back to the file's weight, for the tests that follow.
    expect((await admin('/routes/payments', { method: 'DELETE' })).body).toMatchObject({ weight: 30, source: 'file' });
  });

  it('should let a tester force either side with the override header, and stop obeying it once turned off', async () => {
    const forced = async (side: string) => {
      const answer = await gateway.http.get('/api/v1/payments/orders/x', { headers: { 'x-strangler-target': side, authorization: `Bearer ${tokenOf('tester')}` } });
      return answer.body.servedBy as string;
    };
    expect(await forced('extracted')).toBe('extracted');
    expect(await forced('monolith')).toBe('monolith');
    expect(await forced('EXTRACTED')).toBe('extracted');
    // The tester's own side without the header, and the file turned the header off.
    const natural = (await gateway.http.get('/api/v1/payments/orders/x', { headers: { authorization: `Bearer ${tokenOf('tester')}` } })).body.servedBy as string;
    const other = natural === 'extracted' ? 'monolith' : 'extracted';
    gateway.writeRoutes(routes(30, false));
    await waitFor(async () => (await forced(other)) === natural, { what: 'the reloaded file to turn the override off' });
    expect(await forced(other)).toBe(natural);
  });

  it("should send paths outside the route's prefixes (matched on whole segments) to the monolith", async () => {
    expect((await gateway.http.get('/api/v1/catalog/products', { headers: { 'x-strangler-target': 'extracted' } })).body.servedBy).toBe('monolith');
    expect((await gateway.http.get('/api/v1/paymentsx/1', { headers: { authorization: `Bearer ${tokenOf('user-1')}` } })).body.servedBy).toBe('monolith');
  });
});
