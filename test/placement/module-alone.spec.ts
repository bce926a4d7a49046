import { generateKeyPairSync, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { afterAll, describe, expect, it } from 'vitest';
import { MONOLITH_MODULES } from '../../src/app.module.js';
import { createApp } from '../../src/create-app.js';
import { ServiceTokenSigner } from '../../src/platform/auth/service-credentials.js';
import { loadConfig } from '../../src/platform/config/app-config.js';
import { loadPlacement } from '../../src/platform/config/placement.js';
import { declaredContractTypes, contractInfoOfType } from '../../src/platform/contracts/contract-type.js';
import { EventRoutes } from '../../src/platform/events/event-routes.js';
import { createLogger } from '../../src/platform/logging/logger.js';
import { httpClient } from '../support/http-client.js';
import { createTestDatabase, testRolePrefix, type TestDatabase } from '../support/test-database.js';
import { TEST_MODULE_DB_SECRET, testRedisUrl } from '../support/test-env.js';

/** The public routes each module answers (plus the platform's own: health, docs, ops). */
const PUBLIC_PATHS: Record<string, RegExp> = {
  identity: /^\/(api\/v1\/identity|\.well-known)\//,
  catalog: /^\/api\/v1\/catalog\//,
  inventory: /^\/api\/v1\/inventory\//,
  payments: /^\/api\/v1\/payments\//,
  shipping: /^\/api\/v1\/shipping\//,
  ordering: /^\/api\/v1\/orders/,
  notifications: /^\/api\/v1\/notifications/,
  reporting: /^\/api\/v1\/reporting\//,
};
const PLATFORM_PATHS = /^\/(health|docs|ops)\//;

const SERVICE_TOKEN_SECRET = `module-alone-${randomUUID()}`;
const keys = generateKeyPairSync('ed25519');

/**
 * Each module's composition root boots that module by itself, as its extracted service
 * does, on an empty database: its migrations, its routes, its handlers, its consumers
 * and publishers, and nothing of any other module.
 */
describe.each(MONOLITH_MODULES.map((module) => ({ module })))('$module booted alone', ({ module }) => {
  let app: NestFastifyApplication | undefined;
  let database: TestDatabase | undefined;
  let dataDir: string | undefined;
  afterAll(async () => {
    await app?.close();
    await database?.drop();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  it('should migrate, mount, handle, consume and publish only its own', async () => {
    database = await createTestDatabase({ template: 'template0' });
    dataDir = mkdtempSync(path.join(os.tmpdir(), 'shop-alone-'));
    const env = {
      PORT: '0',
      HOST: '127.0.0.1',
      DATABASE_URL: database.url,
      DATA_DIR: dataDir,
      DB_POOL_SIZE: '2',
      LOG_LEVEL: 'silent',
      MODULE_DB_SECRET: TEST_MODULE_DB_SECRET,
      MODULE_ROLE_PREFIX: testRolePrefix(),
      REDIS_URL: testRedisUrl(),
      EVENTS_QUEUE_PREFIX: `alone-${randomUUID().slice(0, 8)}`,
      EXTRACTED_MODULES: module,
      // Nothing is called in this test; the addresses only have to be well-formed.
      MONOLITH_URL: 'http://127.0.0.1:9',
      SERVICE_TOKEN_SECRET,
      JWT_PRIVATE_KEY: keys.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
      JWT_PUBLIC_KEY: keys.publicKey.export({ type: 'spki', format: 'pem' }).toString(),
    };
    const config = loadConfig(env);
    const placement = loadPlacement(env, MONOLITH_MODULES, module, config);
    expect(placement.hosted).toEqual([module]);
    app = await createApp(config, createLogger('silent'), {}, placement);
    await app.listen({ port: 0, host: '127.0.0.1' });
    const http = httpClient(`http://127.0.0.1:${(app.getHttpServer().address() as { port: number }).port}`);

    // Migrations: its schema, no other.
    const schemas = await database.sql<{ nspname: string }>('SELECT nspname FROM pg_namespace WHERE nspname = ANY($1)', [[...MONOLITH_MODULES]]);
    expect(schemas.map((s) => s.nspname)).toEqual([module]);

    // Routes: its public routes and the platform's, nothing else.
    const document = await http.get('/docs/openapi.json');
    const paths = Object.keys(document.body.paths as Record<string, unknown>);
    expect(paths.filter((p) => PUBLIC_PATHS[module]!.test(p)).length).toBeGreaterThan(0);
    expect(paths.filter((p) => !PUBLIC_PATHS[module]!.test(p) && !PLATFORM_PATHS.test(p))).toEqual([]);

    // Handlers: its commands and queries answer on the internal RPC endpoint; another module's do not exist here.
    const token = await new ServiceTokenSigner(SERVICE_TOKEN_SECRET, 'monolith').tokenFor(undefined);
    for (const type of declaredContractTypes()) {
      const info = contractInfoOfType(type)!;
      if (!(MONOLITH_MODULES as readonly string[]).includes(info.module)) continue;
      const answer = await http.post(`/internal/rpc/${info.wireName}`, { token, body: {} });
      if (info.module === module) expect(answer.body?.error?.code, info.wireName).not.toBe('PLATFORM.UNKNOWN_CONTRACT');
      else expect(answer.body?.error?.code, info.wireName).toBe('PLATFORM.UNKNOWN_CONTRACT');
    }

    // Events: it relays only its own outbox and consumes only its own queue.
    const routes = app.get(EventRoutes);
    expect(routes.publishers().every((m) => m === module)).toBe(true);
    expect(routes.consumers().every((m) => m === module)).toBe(true);
  }, 60_000);
});
