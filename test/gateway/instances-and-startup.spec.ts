import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { freePort } from '../support/free-port.js';
import { standInUpstream, startGateway, upstreamOf, type RunningGateway, type StandInUpstream } from '../support/gateway.js';
import { distEntry } from '../support/shop-process.js';
import { waitFor } from '../support/wait-for.js';

describe('the gateway with several instances of an upstream', () => {
  let gateway: RunningGateway | undefined;
  const upstreams: StandInUpstream[] = [];
  afterEach(async () => {
    await gateway?.stop();
    gateway = undefined;
    await Promise.all(upstreams.splice(0).map((u) => u.close()));
  });

  it('should spread requests over the instances, keep answering when one dies, leave it out, and take it back once it answers', async () => {
    const [a, b] = await Promise.all([standInUpstream('a'), standInUpstream('b')]);
    upstreams.push(a!, b!);
    gateway = await startGateway({ routes: { monolith: upstreamOf(a!, b!), rateLimits: { perClientAddress: null, perUser: null }, routes: [] } });
    const servedBy = async () => {
      const answer = await gateway!.http.get('/api/v1/catalog/products');
      expect(answer.status).toBe(200);
      return answer.body.servedBy as string;
    };
    const first = await Promise.all(Array.from({ length: 10 }, servedBy));
    expect(first.filter((s) => s === 'a').length).toBeGreaterThanOrEqual(3);
    expect(first.filter((s) => s === 'b').length).toBeGreaterThanOrEqual(3);

    const port = Number(new URL(b!.url).port);
    await b!.close();
    upstreams.splice(upstreams.indexOf(b!), 1);
    // Every GET is answered (by a, on a second try when b refuses), and b is left out.
    for (let i = 0; i < 20; i++) expect(await servedBy()).toBe('a');
    const monolithHealth = async () => (await gateway!.admin.get('/routes', { token: gateway!.adminToken })).body.monolith as { url: string; inRotation: boolean }[];
    expect((await monolithHealth()).find((i) => i.url === b!.url)!.inRotation).toBe(false);

    const back = await standInUpstream('b', undefined, { port });
    upstreams.push(back);
    await waitFor(async () => (await monolithHealth()).every((i) => i.inRotation), { what: 'b to be probed back into rotation' });
    const later = await Promise.all(Array.from({ length: 10 }, servedBy));
    expect(later).toContain('b');
  });

  it('should close the connection of a client too slow with its request headers', async () => {
    const a = await standInUpstream('a');
    upstreams.push(a);
    gateway = await startGateway({
      routes: { monolith: upstreamOf(a), rateLimits: { perClientAddress: null, perUser: null }, timeouts: { upstreamMs: 5_000, clientHeadersMs: 1_000, clientIdleMs: 30_000 }, routes: [] },
    });
    const socket = connect(gateway.port, '127.0.0.1');
    let answer = '';
    socket.setEncoding('utf8').on('data', (chunk: string) => (answer += chunk));
    const closed = new Promise<number>((resolve) => socket.once('close', () => resolve(performance.now())));
    const started = performance.now();
    socket.write('GET /api/v1/catalog/products HTTP/1.1\r\nHost: shop\r\n'); // and never the end of the headers
    const at = await closed;
    expect(at - started).toBeLessThan(5_000);
    expect(answer).toMatch(/^HTTP\/1\.1 408/);
    expect(a.seen.filter((request) => request.url.startsWith('/api/'))).toHaveLength(0);
  });
});

describe('the gateway refusing to start', () => {
  /** Runs the gateway with `env` and answers its exit code and what it printed. */
  async function run(env: Record<string, string>): Promise<{ code: number | null; output: string }> {
    const child = spawn(process.execPath, [distEntry('strangler-proxy/main.js')], {
      env: { PATH: process.env.PATH ?? '', PROXY_HOST: '127.0.0.1', PROXY_PORT: String(await freePort()), PROXY_ADMIN_PORT: String(await freePort()), PROXY_STATE_FILE: path.join(os.tmpdir(), `proxy-state-${process.pid}.json`), ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout!.setEncoding('utf8').on('data', (c: string) => (output += c));
    child.stderr!.setEncoding('utf8').on('data', (c: string) => (output += c));
    const code = await new Promise<number | null>((resolve) => child.once('close', resolve));
    return { code, output };
  }

  const routesFile = (content: string) => {
    const file = path.join(mkdtempSync(path.join(os.tmpdir(), 'gateway-bad-')), 'routes.json');
    writeFileSync(file, content);
    return file;
  };

  it('should exit with code 2 naming each problem of a bad routes file', async () => {
    const { code, output } = await run({ STRANGLER_ROUTES: routesFile(JSON.stringify({ monolith: { instances: ['http://127.0.0.1:1'] }, routes: [{ name: 'Payments!', prefixes: ['x'], target: { instances: [] }, weight: 101 }] })) });
    expect(code).toBe(2);
    for (const field of ['routes.0.name', 'routes.0.prefixes.0', 'routes.0.target.instances', 'routes.0.weight']) expect(output).toContain(field);
  });

  it('should exit with code 2 on a missing routes file, bad settings, or workers without Redis', async () => {
    expect((await run({ STRANGLER_ROUTES: '/nonexistent/routes.json' })).code).toBe(2);
    const file = routesFile(JSON.stringify({ monolith: { instances: ['http://127.0.0.1:1'] } }));
    const badPort = await run({ STRANGLER_ROUTES: file, PROXY_PORT: 'eighty' });
    expect(badPort.code).toBe(2);
    expect(badPort.output).toContain('PROXY_PORT');
    const workers = await run({ STRANGLER_ROUTES: file, PROXY_WORKERS: '2' });
    expect(workers.code).toBe(2);
    expect(workers.output).toMatch(/PROXY_WORKERS.*REDIS_URL/);
    const token = await run({ STRANGLER_ROUTES: file, PROXY_ADMIN_TOKEN: 'short' });
    expect(token.code).toBe(2);
    expect(token.output).toContain('PROXY_ADMIN_TOKEN');
  });
});
