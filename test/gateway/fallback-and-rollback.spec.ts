import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Pool } from 'undici';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { freePort } from '../support/free-port.js';
import { standInUpstream, startGateway, upstreamOf, type RunningGateway, type StandInUpstream } from '../support/gateway.js';
import { waitFor } from '../support/wait-for.js';

const STAND_IN = fileURLToPath(new URL('../support/stand-in-upstream-process.mjs', import.meta.url));

/** The extracted service as a process of its own, so that it can be killed for real. */
async function extractedProcess(): Promise<{ url: string; child: ChildProcess }> {
  const port = await freePort();
  const child = spawn(process.execPath, [STAND_IN], { env: { PATH: process.env.PATH ?? '', PORT: String(port), NAME: 'extracted' }, stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise<void>((resolve, reject) => {
    child.stdout!.once('data', () => resolve());
    child.once('exit', (code) => reject(new Error(`the stand-in exited (${code}) before listening`)));
  });
  return { url: `http://127.0.0.1:${port}`, child };
}

function tokenOf(sub: string): string {
  const part = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
  return `${part({ alg: 'EdDSA' })}.${part({ sub })}.c2ln`;
}

describe('the gateway when the extracted side fails', () => {
  let monolith: StandInUpstream;
  let gateway: RunningGateway | undefined;
  let extracted: { url: string; child: ChildProcess } | undefined;
  let failing: StandInUpstream | undefined;

  afterEach(async () => {
    await gateway?.stop();
    gateway = undefined;
    extracted?.child.kill('SIGKILL');
    extracted = undefined;
    await failing?.close();
    failing = undefined;
  });
  afterAll(async () => {
    await monolith?.close();
  });

  const routeState = async () => {
    const answer = await gateway!.admin.get('/routes', { token: gateway!.adminToken });
    return answer.body.routes[0] as { weight: { weight: number; source: string; reason?: string }; window?: { requests: number } };
  };

  it('should answer every idempotent request through the monolith when the extracted service is killed mid-load, roll back within the window, and leave no request hanging', async () => {
    monolith ??= await standInUpstream('monolith');
    extracted = await extractedProcess();
    const windowSeconds = 5;
    gateway = await startGateway({
      routes: {
        monolith: upstreamOf(monolith),
        rateLimits: { perClientAddress: null, perUser: null },
        timeouts: { upstreamMs: 2_000, clientHeadersMs: 5_000, clientIdleMs: 30_000 },
        routes: [
          {
            name: 'payments',
            prefixes: ['/api/v1/payments'],
            target: upstreamOf(extracted),
            weight: 100,
            fallback: true,
            rollback: { windowSeconds, minRequests: 20, maxErrorRate: 0.2, maxP99Ms: 5_000 },
          },
        ],
      },
    });
    const pool = new Pool(gateway.url, { connections: 16 });
    const outcomes: { status: number; servedBy: string; ms: number; method: string }[] = [];
    let killedAt = 0;
    let stop = false;
    let n = 0;
    const lanes = Array.from({ length: 12 }, async (_, lane) => {
      while (!stop) {
        const i = n++;
        const write = i % 4 === 0;
        const started = performance.now();
        const answer = await pool.request({
          method: write ? 'POST' : 'GET',
          path: `/api/v1/payments/orders/${lane}-${i}`,
          headers: { authorization: `Bearer ${tokenOf(`user-${i % 200}`)}`, ...(write ? { 'idempotency-key': `key-${i}`, 'content-type': 'application/json' } : {}) },
          body: write ? JSON.stringify({ amount: i }) : undefined,
          headersTimeout: 10_000,
          bodyTimeout: 10_000,
        });
        const body = (await answer.body.json()) as { servedBy?: string };
        outcomes.push({ status: answer.statusCode, servedBy: body.servedBy ?? '?', ms: performance.now() - started, method: write ? 'POST' : 'GET' });
      }
    });
    await waitFor(() => outcomes.filter((o) => o.servedBy === 'extracted').length >= 200, { what: 'load on the extracted side' });
    extracted.child.kill('SIGKILL');
    killedAt = Date.now();
    const rolledBack = await waitFor(async () => {
      const state = await routeState();
      return state.weight.source === 'rollback' ? { state, at: Date.now() } : undefined;
    }, { what: 'the rollback', timeoutMs: 20_000 });
    const afterRollback = outcomes.length;
    await waitFor(() => outcomes.length >= afterRollback + 200, { what: 'load after the rollback' });
    stop = true;
    await Promise.all(lanes);
    await pool.close();

    // Every request got an answer, and a good one: the monolith's when the extracted side could not give it.
    expect(outcomes.filter((o) => o.status !== 200)).toEqual([]);
    expect(outcomes.filter((o) => o.ms > 5_000)).toEqual([]);
    expect(outcomes.slice(afterRollback).every((o) => o.servedBy === 'monolith')).toBe(true);
    expect(rolledBack.at - killedAt).toBeLessThanOrEqual(windowSeconds * 1_000 + 2_000);
    expect(rolledBack.state.weight).toMatchObject({ weight: 0, source: 'rollback' });
    expect(rolledBack.state.weight.reason).toMatch(/\d/);
    // The rollback is logged with its figures, and shows in the metrics.
    expect(gateway.logs().some((line) => line.level === 50 && /roll/i.test(String(line.msg)))).toBe(true);
    const metrics = (await gateway.admin.get('/metrics', { token: gateway.adminToken })).text;
    expect(metrics).toMatch(/rollback[a-z_]*\{[^}]*route="payments"[^}]*\} 1/);
    expect(metrics).toMatch(/fallback[a-z_]*\{[^}]*route="payments"[^}]*\} [1-9]/);
    // It stays at 0 until an operator raises it again.
    expect((await routeState()).weight.weight).toBe(0);
  }, 90_000);

  it('should not roll back on errors below the minimum sample, and roll back once past it', async () => {
    monolith ??= await standInUpstream('monolith');
    failing = await standInUpstream('extracted', (_, res) => {
      res.writeHead(500, { 'content-type': 'application/json' });
      res.end('{"servedBy":"extracted","error":"boom"}');
    });
    gateway = await startGateway({
      routes: {
        monolith: upstreamOf(monolith),
        rateLimits: { perClientAddress: null, perUser: null },
        routes: [{ name: 'payments', prefixes: ['/api/v1/payments'], target: upstreamOf(failing), weight: 100, rollback: { windowSeconds: 60, minRequests: 30, maxErrorRate: 0.1, maxP99Ms: 5_000 } }],
      },
    });
    for (let i = 0; i < 25; i++) expect((await gateway.http.get(`/api/v1/payments/x${i}`)).status).toBe(500);
    // Verdicts are taken about once a second: give one the time to be taken, on a window too small to judge.
    await waitFor(async () => ((await routeState()).window?.requests ?? 0) >= 25, { what: 'the window to hold the 25 requests' });
    const judged = Date.now();
    await waitFor(() => Date.now() - judged > 1_200, { what: 'a verdict period to pass', intervalMs: 100 });
    await gateway.http.get('/api/v1/payments/one-more');
    expect((await routeState()).weight).toMatchObject({ weight: 100, source: 'file' });
    for (let i = 0; i < 10; i++) await gateway.http.get(`/api/v1/payments/y${i}`);
    const state = await waitFor(async () => {
      await gateway!.http.get('/api/v1/payments/z');
      const current = await routeState();
      return current.weight.source === 'rollback' ? current : undefined;
    }, { what: 'the rollback once the sample is large enough' });
    expect(state.weight.weight).toBe(0);
  }, 60_000);
});
