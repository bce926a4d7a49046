import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { inject } from 'vitest';
import { freePort } from './free-port.js';
import { ADMIN } from './test-app.js';
import { TEST_MODULE_DB_SECRET } from './test-env.js';
import { runLogFile } from './run-log.js';
import { waitFor } from './wait-for.js';

const root = fileURLToPath(new URL('../../', import.meta.url));

/** `dist/main.js` (the monolith), or `dist/extracted/<module>/main.js` (one module's service). */
export function distEntry(relative: string): string {
  return path.join(root, 'dist', relative);
}

export type Exit = { code: number | null; signal: NodeJS.Signals | null };

export interface ShopProcess {
  child: ChildProcess;
  url: string;
  output: () => string;
  exited: Promise<Exit>;
}

/** Where a test run keeps what its processes need to know: the run's log folder and module role prefix. */
export interface RunContext {
  runLogDir: string;
  moduleRolePrefix: string;
}

/** The run's context as a test file sees it (the root global setup provides it). */
export function runContextOfTestFile(): RunContext {
  return { runLogDir: inject('runLogDir'), moduleRolePrefix: inject('moduleRolePrefix') };
}

/**
 * The environment every shop process of the tests starts from: loopback, a fresh data
 * folder (the caller removes it), the run's module roles, the bootstrap admin, and
 * brute-force throttles high enough for a file's many customers (every test signs in
 * from 127.0.0.1; their own spec sets them low).
 */
export function baseProcessEnv(run: RunContext): Record<string, string> {
  return {
    PATH: process.env.PATH ?? '',
    HOST: '127.0.0.1',
    DATA_DIR: mkdtempSync(path.join(os.tmpdir(), 'shop-proc-')),
    MODULE_DB_SECRET: TEST_MODULE_DB_SECRET,
    MODULE_ROLE_PREFIX: run.moduleRolePrefix,
    THROTTLE_REGISTRATIONS_PER_ADDRESS: '100000',
    THROTTLE_LOGIN_FAILURES_PER_ADDRESS: '100000',
    BOOTSTRAP_ADMIN_EMAIL: ADMIN.email,
    BOOTSTRAP_ADMIN_PASSWORD: ADMIN.password,
  };
}

export interface SpawnedProcess extends ShopProcess {
  /** True until the process has exited. */
  running(): boolean;
  /** Polls `/health/ready` until it answers 200; fails at once, with the output, if the process exits first. */
  ready(timeoutMs?: number): Promise<void>;
  /** Sends `signal` and waits for the exit; SIGKILL after `deadlineMs` if it is still there. */
  stop(signal?: NodeJS.Signals, deadlineMs?: number): Promise<Exit>;
}

export interface SpawnOptions {
  /** Path of the entry point, from distEntry(). */
  entry: string;
  port: number;
  /** The whole environment (nothing of the test runner's is inherited). */
  env: Record<string, string>;
  /** Every chunk of output goes to this writer of the run's log folder too (its end searches it for secrets). */
  toRunLog: (text: string) => void;
  /** Shown in failures. */
  label?: string;
  /** What `ready()` polls for a 200 (default `/health/ready` on the process's port). */
  readyUrl?: string;
}

/** Every shop process this process started that has not exited yet. */
const live = new Set<ChildProcess>();
let reaping = false;

/**
 * A test runner that goes away without stopping its shops (a crash, `process.exit`)
 * would leave them running with nobody to stop them: they are killed on the way out.
 */
function reapOnExit(): void {
  if (reaping) return;
  reaping = true;
  process.once('exit', () => {
    for (const child of live) child.kill('SIGKILL');
  });
}

/**
 * Starts one shop process (`node <entry>` on `port`), capturing its stdout and stderr in
 * memory and in the run's log. Readiness is awaited separately (`ready()`), so that
 * several processes can boot at once.
 */
export function spawnShopProcess(options: SpawnOptions): SpawnedProcess {
  const label = options.label ?? path.relative(root, options.entry);
  if (!existsSync(options.entry)) {
    throw new Error(`${options.entry} is missing: run \`npm run build\` (npm test does), or the entry point of ${label} does not exist yet`);
  }
  let output = '';
  const child = spawn(process.execPath, [options.entry], {
    cwd: root,
    env: { ...options.env, PORT: String(options.port) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  reapOnExit();
  live.add(child);
  const capture = (text: string) => {
    output += text;
    options.toRunLog(text);
  };
  // Decoded as a stream, so a character split across two chunks stays whole.
  child.stdout!.setEncoding('utf8').on('data', capture);
  child.stderr!.setEncoding('utf8').on('data', capture);
  let exit: Exit | undefined;
  const exited = new Promise<Exit>((resolve) => {
    child.once('close', (code, signal) => resolve((exit = { code, signal })));
    child.once('error', (error) => {
      output += `\n${error.message}`;
      resolve((exit = { code: null, signal: null }));
    });
  });
  void exited.then(() => live.delete(child));
  const url = `http://127.0.0.1:${options.port}`;
  return {
    child,
    url,
    exited,
    output: () => output,
    running: () => exit === undefined,
    async ready(timeoutMs = 30_000) {
      let state: 'ready' | 'exited';
      try {
        state = await waitFor(
          async () => {
            if (exit) return 'exited' as const;
            const answer = await fetch(options.readyUrl ?? `${url}/health/ready`, { signal: AbortSignal.timeout(2_000) });
            return answer.ok ? ('ready' as const) : undefined;
          },
          { what: `${label} on ${url} to be ready`, timeoutMs, intervalMs: 50 },
        );
      } catch (error) {
        throw new Error(`${(error as Error).message}\n${label} printed:\n${tail(output)}`);
      }
      if (state === 'exited') {
        throw new Error(`${label} exited (code ${exit!.code}, signal ${exit!.signal}) before it was ready:\n${tail(output)}`);
      }
    },
    async stop(signal = 'SIGTERM', deadlineMs = 15_000) {
      if (exit) return exit;
      child.kill(signal);
      const deadline = setTimeout(() => child.kill('SIGKILL'), deadlineMs);
      const result = await exited;
      clearTimeout(deadline);
      return result;
    },
  };
}

/** The end of a process's output, enough to see why it stopped. */
function tail(output: string, lines = 40): string {
  return output.split('\n').slice(-lines).join('\n');
}

/**
 * The real shop as its own OS process (`node dist/main.js`, built by `npm test`),
 * for scenarios that need a real kill or a real signal.
 */
export async function startShopProcess(env: Record<string, string>): Promise<ShopProcess> {
  const run = runContextOfTestFile();
  const base = baseProcessEnv(run);
  const spawned = spawnShopProcess({
    entry: distEntry('main.js'),
    port: await freePort(),
    env: { ...base, ...env },
    toRunLog: runLogFile(run.runLogDir, 'process'),
    label: 'the shop process',
  });
  // The data folder made for it is nobody else's: it goes with the process.
  void spawned.exited.then(() => rmSync(base.DATA_DIR!, { recursive: true, force: true }));
  await spawned.ready();
  return spawned;
}
