import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { createApp } from '../../src/create-app.js';
import type { OutsideEdges } from '../../src/app.module.js';
import { loadConfig } from '../../src/platform/config/app-config.js';
import { createLogger } from '../../src/platform/logging/logger.js';
import { httpClient, type HttpClient } from './http-client.js';
import { createTestDatabase, testRolePrefix, type TestDatabase } from './test-database.js';
import { TEST_MODULE_DB_SECRET } from './test-env.js';
import { runLogFile } from './run-log.js';
import { inject } from 'vitest';

export const ADMIN = { email: 'admin@test.local', password: 'admin-password-123' };

export interface TestApp {
  app: NestFastifyApplication;
  url: string;
  http: HttpClient;
  /** Null when the app runs on embedded PGlite. */
  database: TestDatabase | null;
  dataDir: string;
  /** Every JSON line the app logged. */
  logs: Record<string, unknown>[];
  /** Everything the app logged, as written. */
  logText(): string;
  adminToken(): Promise<string>;
  /** Registers a customer and returns its token and id. */
  customer(name?: string): Promise<{ token: string; id: string; email: string }>;
  /** Stops the app; keeps the database and data folder when `keepData` is set. */
  close(options?: { keepData?: boolean }): Promise<void>;
}

export interface TestAppOptions {
  env?: Record<string, string>;
  /** Run on embedded PGlite instead of a cloned PostgreSQL database. */
  embedded?: boolean;
  /** Reuse a database or data folder of an earlier app (restart scenarios). */
  database?: TestDatabase;
  dataDir?: string;
  edges?: OutsideEdges;
}

let counter = 0;

/** Boots the whole monolith on a fresh database, listening on a free loopback port. */
export async function startTestApp(options: TestAppOptions = {}): Promise<TestApp> {
  const database = options.embedded ? null : (options.database ?? (await createTestDatabase()));
  const dataDir = options.dataDir ?? mkdtempSync(path.join(os.tmpdir(), 'shop-test-'));
  const config = loadConfig({
    PORT: '0',
    HOST: '127.0.0.1',
    DATA_DIR: dataDir,
    DB_POOL_SIZE: '4',
    LOG_LEVEL: 'info',
    BOOTSTRAP_ADMIN_EMAIL: ADMIN.email,
    BOOTSTRAP_ADMIN_PASSWORD: ADMIN.password,
    MODULE_DB_SECRET: TEST_MODULE_DB_SECRET,
    MODULE_ROLE_PREFIX: testRolePrefix(),
    // Every test signs in from 127.0.0.1: the brute-force throttles stay on, high enough
    // for a file's many customers (their own spec sets them low).
    THROTTLE_REGISTRATIONS_PER_ADDRESS: '100000',
    THROTTLE_LOGIN_FAILURES_PER_ADDRESS: '100000',
    // Fast retries and polling, so delivery tests settle quickly.
    EVENTS_BACKOFF_MS: '20',
    EVENTS_MAX_ATTEMPTS: '3',
    EVENTS_POLL_MS: '200',
    // A loaded CI machine runs many apps at once: a contract call that is merely slow
    // must not turn into a timeout a test then sees. Specs of timeouts set their own.
    CONTRACT_CALL_TIMEOUT_MS: '10000',
    ...(database ? { DATABASE_URL: database.url } : {}),
    ...options.env,
  });
  const logs: Record<string, unknown>[] = [];
  const written: string[] = [];
  const toRunLog = runLogFile(inject('runLogDir'), 'app');
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      const text = chunk.toString('utf8');
      written.push(text);
      toRunLog(text);
      for (const line of text.split('\n')) if (line) logs.push(JSON.parse(line));
      done();
    },
  });
  const app = await createApp(config, createLogger(config.logLevel, {}, sink), options.edges);
  await app.listen({ port: 0, host: '127.0.0.1' });
  const address = app.getHttpServer().address() as { port: number };
  const url = `http://127.0.0.1:${address.port}`;
  const http = httpClient(url);
  let adminToken: string | undefined;

  return {
    app,
    url,
    http,
    database,
    dataDir,
    logs,
    logText: () => written.join(''),
    async adminToken() {
      if (!adminToken) {
        const answer = await http.post('/api/v1/identity/login', { body: ADMIN });
        if (answer.status !== 200) throw new Error(`admin login failed: ${answer.text}`);
        adminToken = answer.body.accessToken as string;
      }
      return adminToken;
    },
    async customer(name = 'Customer') {
      const email = `customer-${process.pid}-${++counter}-${Date.now()}@test.local`;
      const password = 'customer-password-1';
      const registered = await http.post('/api/v1/identity/register', { body: { email, password, name } });
      if (registered.status !== 201) throw new Error(`register failed: ${registered.text}`);
      const login = await http.post('/api/v1/identity/login', { body: { email, password } });
      return { token: login.body.accessToken as string, id: registered.body.id as string, email };
    },
    async close(closeOptions = {}) {
      await app.close();
      if (!closeOptions.keepData) {
        await database?.drop();
        rmSync(dataDir, { recursive: true, force: true });
      }
    },
  };
}
