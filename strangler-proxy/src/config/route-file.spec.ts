import { mkdtempSync, rmSync } from 'node:fs';
import { mkdir, rename, symlink, unlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { waitFor } from '../../../test/support/wait-for.js';
import type { GatewayConfig } from './route-config.js';
import { RouteFile, RouteFileError } from './route-file.js';

const target = { instances: ['http://127.0.0.1:3101'] };
const routesWith = (weight: number, extra: Record<string, unknown> = {}) =>
  JSON.stringify({ monolith: { instances: ['http://127.0.0.1:3000'] }, routes: [{ name: 'payments', module: 'payments', target, weight, ...extra }] }, null, 2);

interface LogLine {
  level: number;
  msg: string;
  problems?: string[];
  changes?: string[];
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
  return { logger, lines };
}

describe('RouteFile', () => {
  let dir: string;
  let file: string;
  let routes: RouteFile | undefined;
  const { logger, lines } = capturingLogger();

  /** The next config the file hands its listeners, within the deadline. */
  const nextChange = (source: RouteFile) =>
    new Promise<GatewayConfig>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('no reload within 10 s')), 10_000);
      source.onChange((config) => {
        clearTimeout(timer);
        resolve(config);
      });
    });

  beforeEach(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'gateway-routes-'));
    file = path.join(dir, 'routes.json');
    await writeFile(file, routesWith(10));
    lines.length = 0;
  });
  afterEach(() => {
    routes?.close();
    routes = undefined;
    rmSync(dir, { recursive: true, force: true });
  });

  it('should load a good file', async () => {
    routes = await RouteFile.open(file, logger, { debounceMs: 20 });
    expect(routes.current.routes[0]).toMatchObject({ name: 'payments', module: 'payments', weight: 10, mode: 'split' });
    expect(routes.current.monolith!.instances).toEqual(['http://127.0.0.1:3000']);
  });

  it('should reload a file written in place, and log what changed', async () => {
    routes = await RouteFile.open(file, logger, { debounceMs: 20 });
    const changed = nextChange(routes);
    await writeFile(file, routesWith(30, { mode: 'shadow' }));
    expect((await changed).routes[0]).toMatchObject({ weight: 30, mode: 'shadow' });
    expect(routes.current.routes[0]?.weight).toBe(30);
    const reload = lines.find((line) => line.msg.startsWith('routes file reloaded'));
    expect(reload?.changes).toEqual(['routes.payments.weight: 10 → 30', 'routes.payments.mode: "split" → "shadow"']);
    expect(reload?.level).toBe(30);
  });

  it('should reload a file replaced by a rename (as editors and mv do), and a route added and removed', async () => {
    routes = await RouteFile.open(file, logger, { debounceMs: 20 });
    const changed = nextChange(routes);
    const next = path.join(dir, 'routes.json.tmp');
    await writeFile(
      next,
      JSON.stringify({ monolith: { instances: ['http://127.0.0.1:3000'] }, routes: [{ name: 'catalog', module: 'catalog', target }] }),
    );
    await rename(next, file);
    expect((await changed).routes.map((route) => route.name)).toEqual(['catalog']);
    expect(lines.find((line) => line.msg.startsWith('routes file reloaded'))?.changes).toEqual(['route catalog added', 'route payments removed']);

    // Replaced again: the watch follows the new file, not the one it first saw.
    const again = nextChange(routes);
    await writeFile(next, routesWith(60));
    await rename(next, file);
    expect((await again).routes[0]).toMatchObject({ name: 'payments', weight: 60 });
  });

  it('should reload a file mounted from a Kubernetes ConfigMap when the kubelet swaps its ..data link', async () => {
    // The kubelet's atomic writer: a timestamped folder, `..data` linking to it, and
    // routes.json linking through `..data`; an update writes a new folder and renames a
    // new `..data` over the old one. routes.json itself never changes.
    await unlink(file);
    await mkdir(path.join(dir, '..2026_12_02_01'));
    await writeFile(path.join(dir, '..2026_12_02_01', 'routes.json'), routesWith(10));
    await symlink('..2026_12_02_01', path.join(dir, '..data'));
    await symlink('..data/routes.json', file);
    routes = await RouteFile.open(file, logger, { debounceMs: 20 });
    expect(routes.current.routes[0]!.weight).toBe(10);
    const changed = nextChange(routes);
    await mkdir(path.join(dir, '..2026_12_02_02'));
    await writeFile(path.join(dir, '..2026_12_02_02', 'routes.json'), routesWith(35));
    await symlink('..2026_12_02_02', path.join(dir, '..data_tmp'));
    await rename(path.join(dir, '..data_tmp'), path.join(dir, '..data'));
    expect((await changed).routes[0]!.weight).toBe(35);
  });

  it('should tolerate the file missing for a moment mid-write', async () => {
    routes = await RouteFile.open(file, logger, { debounceMs: 20 });
    const changed = nextChange(routes);
    await unlink(file);
    await writeFile(file, routesWith(40));
    expect((await changed).routes[0]?.weight).toBe(40);
  });

  it('should keep the last good config when the file turns bad, and log every problem by its field', async () => {
    routes = await RouteFile.open(file, logger, { debounceMs: 20 });
    await writeFile(file, routesWith(120, { wieght: 30, stickiness: 'session' }));
    const warning = await waitFor(() => lines.find((line) => line.level === 40), { what: 'the warning about the bad file', timeoutMs: 10_000 });
    expect(warning.msg).toMatch(/is not valid; keeping the last good config/);
    expect(warning.problems?.map((problem) => problem.slice(0, problem.indexOf(':'))).sort()).toEqual(['routes.0.stickiness', 'routes.0.weight', 'routes.0.wieght']);
    expect(warning.msg).toContain('routes.0.weight: ');
    expect(routes.current.routes[0]?.weight).toBe(10);

    // Not JSON at all: the same.
    const warned = lines.filter((line) => line.level === 40).length;
    await writeFile(file, '{"monolith": ');
    const notJson = await waitFor(() => lines.filter((line) => line.level === 40)[warned], { what: 'the warning about bad JSON', timeoutMs: 10_000 });
    expect(notJson.problems).toEqual([expect.stringMatching(/^\(file\): not JSON/)]);
    expect(routes.current.routes[0]?.weight).toBe(10);

    // Fixed: the new config applies.
    const changed = nextChange(routes);
    await writeFile(file, routesWith(20));
    expect((await changed).routes[0]?.weight).toBe(20);
  });

  it('should refuse a bad first read with every problem, and a missing file', async () => {
    await writeFile(file, routesWith(-1, { mode: 'mirror' }));
    const error = await RouteFile.open(file, logger).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RouteFileError);
    expect((error as RouteFileError).problems.map((problem) => problem.slice(0, problem.indexOf(':'))).sort()).toEqual(['routes.0.mode', 'routes.0.weight']);
    expect((error as RouteFileError).message).toContain('routes.0.weight');

    const missing = await RouteFile.open(path.join(dir, 'absent.json'), logger).catch((e: unknown) => e);
    expect(missing).toBeInstanceOf(RouteFileError);
    expect((missing as RouteFileError).problems).toEqual([expect.stringMatching(/^\(file\): cannot be read: ENOENT/)]);
  });
});
