import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { standInUpstream, startGateway, upstreamOf, type RunningGateway, type StandInUpstream } from '../support/gateway.js';
import { waitFor } from '../support/wait-for.js';

/** The admin API: its own port, its token, and settings that outlive a restart. */
describe("the gateway's admin API", () => {
  let monolith: StandInUpstream;
  let extracted: StandInUpstream;
  let gateway: RunningGateway;
  const stateFile = path.join(mkdtempSync(path.join(os.tmpdir(), 'proxy-state-')), 'state.json');
  const token = `admin-${randomBytes(12).toString('hex')}`;
  const routes = () => ({
    monolith: upstreamOf(monolith),
    rateLimits: { perClientAddress: null, perUser: null },
    routes: [{ name: 'catalog', prefixes: ['/api/v1/catalog'], target: upstreamOf(extracted), weight: 0, stickiness: 'client-address' }],
  });
  const start = () => startGateway({ routes: routes(), env: { PROXY_STATE_FILE: stateFile, PROXY_ADMIN_TOKEN: token } });

  beforeAll(async () => {
    monolith = await standInUpstream('monolith');
    extracted = await standInUpstream('extracted');
    gateway = await start();
  });
  afterAll(async () => {
    await gateway?.stop();
    await monolith?.close();
    await extracted?.close();
  });

  it('should answer only on its own port: the public port forwards /routes and /metrics to the monolith like any path', async () => {
    expect((await gateway.http.get('/routes', { token })).body.servedBy).toBe('monolith');
    expect((await gateway.http.get('/metrics', { token })).body.servedBy).toBe('monolith');
    expect((await gateway.admin.get('/health')).status).toBe(200);
  });

  it('should refuse every endpoint but /health without the token, and name the field of a bad setting', async () => {
    for (const [method, p] of [['GET', '/routes'], ['GET', '/metrics'], ['PUT', '/routes/catalog/weight'], ['DELETE', '/routes/catalog']] as const) {
      expect((await gateway.admin.request(method, p, { body: method === 'PUT' ? { weight: 1 } : undefined })).status, p).toBe(401);
      expect((await gateway.admin.request(method, p, { token: 'wrong-token-0123456789', body: method === 'PUT' ? { weight: 1 } : undefined })).status, p).toBe(401);
    }
    const bad = await gateway.admin.request('PUT', '/routes/catalog/weight', { token, body: { weight: 140 } });
    expect(bad.status).toBe(400);
    expect(bad.body.detail).toMatch(/weight/);
    expect((await gateway.admin.request('PUT', '/routes/catalog/mode', { token, body: { mode: 'sideways' } })).status).toBe(400);
    expect((await gateway.admin.request('PUT', '/routes/nosuch/weight', { token, body: { weight: 1 } })).status).toBe(404);
  });

  it("should set a route's mode and weight, keep them across a restart, and go back to the file's on reset", async () => {
    expect((await gateway.admin.request('PUT', '/routes/catalog/mode', { token, body: { mode: 'shadow' } })).body).toMatchObject({ mode: 'shadow', modeSource: 'operator' });
    // In shadow, the client is answered by the monolith and the read is mirrored.
    const mirroredBefore = extracted.seen.length;
    expect((await gateway.http.get('/api/v1/catalog/products/1')).body.servedBy).toBe('monolith');
    await waitFor(() => extracted.seen.length > mirroredBefore, { what: 'the mirrored read' });
    expect((await gateway.admin.request('PUT', '/routes/catalog/mode', { token, body: { mode: 'split' } })).status).toBe(200);
    expect((await gateway.admin.request('PUT', '/routes/catalog/weight', { token, body: { weight: 100 } })).body).toMatchObject({ weight: 100, source: 'operator' });
    expect((await gateway.http.get('/api/v1/catalog/products/1')).body.servedBy).toBe('extracted');

    await gateway.stop();
    gateway = await start();
    const after = (await gateway.admin.get('/routes', { token })).body.routes[0];
    expect(after.weight).toMatchObject({ weight: 100, source: 'operator', mode: 'split' });
    expect((await gateway.http.get('/api/v1/catalog/products/1')).body.servedBy).toBe('extracted');

    expect((await gateway.admin.request('DELETE', '/routes/catalog', { token })).body).toMatchObject({ weight: 0, source: 'file' });
    expect((await gateway.http.get('/api/v1/catalog/products/1')).body.servedBy).toBe('monolith');
  });

  it('should publish Prometheus metrics per route and side', async () => {
    const text = (await gateway.admin.get('/metrics', { token })).text;
    expect(text).toMatch(/gateway_requests_total\{[^}]*route="catalog"[^}]*side="(monolith|extracted)"/);
    expect(text).toMatch(/gateway_request_duration_seconds_bucket/);
    expect(text).toMatch(/gateway_route_weight\{[^}]*route="catalog"/);
  });
});
