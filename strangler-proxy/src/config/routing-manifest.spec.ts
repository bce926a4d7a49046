import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { waitFor } from '../../../test/support/wait-for.js';
import { ManifestSource, type RoutingManifest } from './routing-manifest.js';

const GOOD: RoutingManifest = {
  modules: { identity: ['/.well-known/jwks.json', '/api/v1/identity'], payments: ['/api/v1/payments'], ordering: ['/api/v1/orders'] },
  monolithOnly: ['/.well-known', '/ops', '/docs', '/health'],
};

interface LogLine {
  level: number;
  msg: string;
}

function capturingLogger() {
  const lines: LogLine[] = [];
  const logger = pino(
    { level: 'debug' },
    new Writable({
      write(chunk: Buffer, _encoding, done) {
        for (const line of chunk.toString('utf8').split('\n')) if (line) lines.push(JSON.parse(line));
        done();
      },
    }),
  );
  return { logger, lines, warnings: () => lines.filter((line) => line.level === 40).map((line) => line.msg) };
}

/** A stand-in monolith whose manifest answer the test sets; it counts the requests it gets. */
function standInMonolith() {
  const state = { status: 200, body: JSON.stringify(GOOD) as string, requests: 0 };
  const server = createServer((req, res) => {
    state.requests++;
    if (req.url !== '/.well-known/routing-manifest') {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(state.status, { 'content-type': 'application/json' }).end(state.body);
  });
  return { server, state };
}

function listen(server: Server, port = 0): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve((server.address() as AddressInfo).port));
  });
}

const closeServer = (server: Server) => new Promise<void>((resolve) => (server.listening ? server.close(() => resolve()) : resolve()));

describe('ManifestSource', () => {
  const cleanups: (() => unknown)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  async function started(options: { refreshMs?: number } = {}) {
    const monolith = standInMonolith();
    const port = await listen(monolith.server);
    cleanups.push(() => closeServer(monolith.server));
    const log = capturingLogger();
    const source = new ManifestSource(`http://127.0.0.1:${port}/`, log.logger, { refreshMs: options.refreshMs ?? 60_000, timeoutMs: 2_000 });
    cleanups.push(() => source.close());
    return { monolith, source, log };
  }

  it('should fetch the manifest at start, and hand a changed one to its listeners', async () => {
    const { monolith, source, log } = await started();
    await source.start();
    expect(source.current()).toEqual(GOOD);
    expect(log.lines.map((line) => line.msg)).toContain('routing manifest loaded');

    const seen: RoutingManifest[] = [];
    source.onChange((manifest) => seen.push(manifest));
    await source.refresh();
    expect(seen).toEqual([]); // the same manifest again changes nothing

    monolith.state.body = JSON.stringify({ ...GOOD, modules: { ...GOOD.modules, catalog: ['/API/v1/Catalog'] }, version: 2 });
    await source.refresh();
    // Prefixes lower-cased, and a field this gateway does not know left out.
    expect(seen).toEqual([{ ...GOOD, modules: { ...GOOD.modules, catalog: ['/api/v1/catalog'] } }]);
    expect(source.current()).toEqual(seen[0]);
  });

  it('should keep a bad manifest out, keeping the last good one, and say why once', async () => {
    const { monolith, source, log } = await started();
    await source.start();
    const seen: RoutingManifest[] = [];
    source.onChange((manifest) => seen.push(manifest));

    monolith.state.body = JSON.stringify({ modules: { payments: ['api/v1/payments'], ordering: ['/api/v1/orders', '/api/v1/payments'] }, monolithOnly: ['/health'] });
    await source.refresh();
    await source.refresh();
    expect(source.current()).toEqual(GOOD);
    expect(log.warnings()).toHaveLength(1);
    expect(log.warnings()[0]).toContain('modules.payments.0: must be a path starting with /');

    for (const body of ['not json', JSON.stringify({ modules: GOOD.modules }), JSON.stringify({ modules: { a: ['/x'], b: ['/x'] }, monolithOnly: [] }), '[]']) {
      monolith.state.body = body;
      await source.refresh();
      expect(source.current(), body).toEqual(GOOD);
    }
    monolith.state.status = 500;
    monolith.state.body = '{}';
    await source.refresh();
    expect(source.current()).toEqual(GOOD);
    expect(log.warnings().join('\n')).toMatch(/not JSON[\s\S]*monolithOnly[\s\S]*is also a's[\s\S]*answered 500/);
    expect(seen).toEqual([]);
  });

  it('should start without a reachable monolith, without throwing, and pick the manifest up once it answers', async () => {
    // A port nothing listens on (taken, then freed), where the monolith comes up later.
    const placeholder = standInMonolith();
    const port = await listen(placeholder.server);
    await closeServer(placeholder.server);
    const log = capturingLogger();
    const source = new ManifestSource(`http://127.0.0.1:${port}`, log.logger, { refreshMs: 60_000, timeoutMs: 2_000 });
    cleanups.push(() => source.close());

    await source.start();
    expect(source.current()).toBeUndefined();
    await source.refresh();
    expect(log.warnings()).toHaveLength(1); // once, not at every retry
    expect(log.warnings()[0]).toMatch(/cannot fetch it \(connect ECONNREFUSED 127\.0\.0\.1:\d+\); routes naming a module stay inactive until it arrives/);

    const monolith = standInMonolith();
    await listen(monolith.server, port);
    cleanups.push(() => closeServer(monolith.server));
    const seen: RoutingManifest[] = [];
    source.onChange((manifest) => seen.push(manifest));
    await source.refresh();
    expect(seen).toEqual([GOOD]);
    expect(log.lines.map((line) => line.msg)).toContain('routing manifest: the monolith answers again');
  });

  it('should retry on its own every refreshMs', async () => {
    const { monolith, source } = await started({ refreshMs: 20 });
    monolith.state.status = 503;
    await source.start();
    expect(source.current()).toBeUndefined();
    monolith.state.status = 200;
    await waitFor(() => source.current(), { what: 'the manifest, fetched again by the timer', timeoutMs: 10_000 });
    const requests = monolith.state.requests;
    await waitFor(() => monolith.state.requests > requests + 1, { what: 'more refreshes', timeoutMs: 10_000 });
    source.close();
  });

  it('should give up on a monolith that does not answer within timeoutMs', async () => {
    const silent = createServer(() => undefined); // accepts, never answers
    const port = await listen(silent);
    cleanups.push(() => {
      silent.closeAllConnections();
      return closeServer(silent);
    });
    const log = capturingLogger();
    const source = new ManifestSource(`http://127.0.0.1:${port}`, log.logger, { refreshMs: 60_000, timeoutMs: 100 });
    cleanups.push(() => source.close());
    await source.start();
    expect(source.current()).toBeUndefined();
    expect(log.warnings()[0]).toMatch(/cannot fetch it \(timed out\)/);
  });
});
