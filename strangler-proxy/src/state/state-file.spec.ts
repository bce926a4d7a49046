import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { RouteWeights } from './route-weights.js';

function capturedLogger() {
  const lines: Array<{ level: number; msg: string } & Record<string, unknown>> = [];
  const logger = pino({ level: 'debug' }, { write: (line: string) => void lines.push(JSON.parse(line)) });
  const warnings = () => lines.filter((line) => line.level === 40);
  const errors = () => lines.filter((line) => line.level === 50);
  return { logger, lines, warnings, errors };
}

const ROUTES = {
  payments: { weight: 10, mode: 'split' as const },
  catalog: { weight: 0, mode: 'split' as const },
  search: { weight: 20, mode: 'shadow' as const },
};

const folders: string[] = [];
const opened: RouteWeights[] = [];

afterEach(async () => {
  await Promise.all(opened.splice(0).map((weights) => weights.close()));
  await Promise.all(folders.splice(0).map((folder) => rm(folder, { recursive: true, force: true })));
});

async function freshFolder(): Promise<string> {
  const folder = await mkdtemp(path.join(tmpdir(), 'route-state-'));
  folders.push(folder);
  return folder;
}

/** A gateway's RouteWeights without Redis, on `stateFile`, with the routes file loaded. */
async function gateway(stateFile: string, routes: Parameters<RouteWeights['setFileRoutes']>[0] = ROUTES) {
  const log = capturedLogger();
  const weights = await RouteWeights.open({ namespace: 'unused', logger: log.logger, stateFile });
  opened.push(weights);
  weights.setFileRoutes(routes);
  return { weights, ...log };
}

describe('RouteWeights kept in a state file (no Redis)', () => {
  it("keeps an operator's weight and mode and a rollback with its reason across a restart, until reset", async () => {
    // A folder that does not exist yet: the first change creates it.
    const stateFile = path.join(await freshFolder(), 'nested', 'state.json');
    const first = await gateway(stateFile);
    await first.weights.setByOperator('payments', 45);
    await first.weights.setModeByOperator('payments', 'shadow');
    await first.weights.setModeByOperator('search', 'split');
    expect(await first.weights.rollBack('catalog', 'p99 3000 ms over 30 s (80 requests) > 2000 ms')).toBe(true);
    await first.weights.close();

    const restarted = await gateway(stateFile);
    expect(restarted.weights.stateOf('payments')).toMatchObject({ weight: 45, source: 'operator', mode: 'shadow', modeSource: 'operator' });
    expect(restarted.weights.modeOf('search')).toBe('split');
    expect(restarted.weights.stateOf('catalog')).toMatchObject({ weight: 0, source: 'rollback', reason: 'p99 3000 ms over 30 s (80 requests) > 2000 ms' });
    // Still rolled back: a second rollback changes nothing.
    expect(await restarted.weights.rollBack('catalog', 'again')).toBe(false);
    expect(restarted.warnings()).toHaveLength(0);

    await restarted.weights.reset('payments');
    await restarted.weights.close();
    const again = await gateway(stateFile);
    expect(again.weights.stateOf('payments')).toEqual({ weight: 10, source: 'file', mode: 'split', modeSource: 'file' });
    expect(again.weights.modeOf('search')).toBe('split');
  });

  it('starts from the routes file when the state file is missing', async () => {
    const { weights, warnings } = await gateway(path.join(await freshFolder(), 'state.json'));
    expect(weights.stateOf('search')).toEqual({ weight: 20, source: 'file', mode: 'shadow', modeSource: 'file' });
    expect(warnings()).toHaveLength(0);
  });

  it('ignores a corrupt state file with a warning naming it, and replaces it at the next change', async () => {
    const stateFile = path.join(await freshFolder(), 'state.json');
    await writeFile(stateFile, '{"format":1,"weights":{"payments":{"weight":4');
    const { weights, warnings } = await gateway(stateFile);
    expect(weights.stateOf('payments')).toEqual({ weight: 10, source: 'file', mode: 'split', modeSource: 'file' });
    expect(warnings()).toHaveLength(1);
    expect(warnings()[0]!.msg).toContain(stateFile);

    await weights.setByOperator('payments', 30);
    expect(JSON.parse(await readFile(stateFile, 'utf8'))).toMatchObject({ weights: { payments: { weight: 30, source: 'operator' } } });
  });

  it('ignores a state file that is JSON but not an object', async () => {
    const stateFile = path.join(await freshFolder(), 'state.json');
    await writeFile(stateFile, '[1, 2, 3]');
    const { weights, warnings } = await gateway(stateFile);
    expect(weights.weightOf('payments')).toBe(10);
    expect(warnings().map((line) => line.msg)).toEqual([expect.stringContaining(`${stateFile}: it is not a JSON object`)]);
  });

  it('ignores each bad entry with a warning and keeps the good ones', async () => {
    const stateFile = path.join(await freshFolder(), 'state.json');
    await writeFile(
      stateFile,
      JSON.stringify({
        format: 1,
        weights: {
          payments: { weight: 500, source: 'operator' },
          catalog: { weight: 15, source: 'operator', at: '2025-01-01T00:00:00.000Z' },
          search: { weight: 5, source: 'someone' },
        },
        modes: { payments: { mode: 'canary' }, catalog: { mode: 'shadow' }, search: 'split' },
      }),
    );
    const { weights, warnings } = await gateway(stateFile);
    expect(weights.stateOf('payments')).toEqual({ weight: 10, source: 'file', mode: 'split', modeSource: 'file' });
    expect(weights.stateOf('catalog')).toEqual({ weight: 15, source: 'operator', at: '2025-01-01T00:00:00.000Z', mode: 'shadow', modeSource: 'operator' });
    expect(weights.stateOf('search')).toEqual({ weight: 20, source: 'file', mode: 'shadow', modeSource: 'file' });
    expect(warnings().map((line) => [line.route, line.key])).toEqual([
      ['payments', 'weights'],
      ['search', 'weights'],
      ['payments', 'modes'],
      ['search', 'modes'],
    ]);
    expect(warnings().every((line) => line.msg.includes(stateFile))).toBe(true);
  });

  it('forgets, in the file too, the overrides of a route the routes file no longer has', async () => {
    const stateFile = path.join(await freshFolder(), 'state.json');
    const first = await gateway(stateFile);
    await first.weights.setByOperator('search', 70);
    await first.weights.setByOperator('payments', 40);
    await first.weights.close();

    const { payments, catalog } = ROUTES;
    const withoutSearch = await gateway(stateFile, { payments, catalog });
    expect(withoutSearch.weights.weightOf('payments')).toBe(40);
    await withoutSearch.weights.close();

    const searchBack = await gateway(stateFile);
    expect(searchBack.weights.stateOf('search')).toMatchObject({ weight: 20, source: 'file' });
    expect(searchBack.weights.weightOf('payments')).toBe(40);
  });

  it('never lets a reader see a partly written file, however many changes are saved', async () => {
    const folder = await freshFolder();
    const stateFile = path.join(folder, 'state.json');
    const routes = Object.fromEntries(Array.from({ length: 40 }, (_, i) => [`route-${i}`, { weight: 0, mode: 'split' as const }]));
    const { weights } = await gateway(stateFile, routes);
    // Long reasons make the file some hundreds of kilobytes: a write in place would be caught half done.
    const reason = (i: number) => `5xx rate 0.${i} over 30 s (${i} of 200 requests) > 0.05 `.repeat(200);

    let writing = true;
    const reads = { parsed: 0, failures: [] as string[] };
    const reader = (async () => {
      while (writing) {
        try {
          JSON.parse(await readFile(stateFile, 'utf8'));
          reads.parsed += 1;
        } catch (error) {
          // Before the first save there is no file yet; after it there must always be a whole one.
          if ((error as NodeJS.ErrnoException).code !== 'ENOENT' || reads.parsed > 0) reads.failures.push((error as Error).message);
        }
      }
    })();

    let last = 0;
    for (let round = 0; round < 15; round++) {
      // One at a time (one save each), then a burst at once (saves that share writes).
      for (let i = 0; i < 40; i += 4) {
        await weights.rollBack(`route-${i}`, reason(round));
        await weights.setByOperator(`route-${i}`, (last = (round * 7 + i) % 101));
      }
      await Promise.all(Array.from({ length: 40 }, (_, i) => weights.setModeByOperator(`route-${i}`, (round + i) % 2 ? 'shadow' : 'split')));
    }
    writing = false;
    await reader;

    expect(reads.failures).toEqual([]);
    expect(reads.parsed).toBeGreaterThan(10);
    // No temporary file left behind.
    expect(await readdir(folder)).toEqual(['state.json']);
    await weights.close();
    const restarted = await gateway(stateFile, routes);
    expect(restarted.weights.stateOf('route-36')).toMatchObject({ weight: last, source: 'operator', mode: (14 + 36) % 2 ? 'shadow' : 'split', modeSource: 'operator' });
  });

  it('refuses an operator change it could not save, but keeps a rollback in effect and logs why', async () => {
    const folder = await freshFolder();
    // The state file's folder is a file: no write can succeed.
    await writeFile(path.join(folder, 'blocker'), '');
    const stateFile = path.join(folder, 'blocker', 'state.json');
    const { weights, errors } = await gateway(stateFile);

    await expect(weights.setByOperator('payments', 60)).rejects.toThrow(/route payments's change is in effect in this process but was not saved.*could not save the route state to .*blocker\/state\.json/);
    expect(weights.weightOf('payments')).toBe(60);

    expect(await weights.rollBack('catalog', '5xx rate 1 over 30 s (200 of 200 requests) > 0.05')).toBe(true);
    expect(weights.stateOf('catalog')).toMatchObject({ weight: 0, source: 'rollback' });
    expect(errors().map((line) => [line.route, line.msg])).toEqual([['catalog', expect.stringContaining('not saved')]]);
  });
});
