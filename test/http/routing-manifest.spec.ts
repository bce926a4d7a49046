import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MONOLITH_MODULES } from '../../src/app.module.js';
import { createApp } from '../../src/create-app.js';
import { loadConfig } from '../../src/platform/config/app-config.js';
import { loadPlacement } from '../../src/platform/config/placement.js';
import { createLogger } from '../../src/platform/logging/logger.js';
import { httpClient } from '../support/http-client.js';
import { startTestApp, type TestApp } from '../support/test-app.js';
import { createTestDatabase, testRolePrefix, type TestDatabase } from '../support/test-database.js';
import { TEST_MODULE_DB_SECRET, testRedisUrl } from '../support/test-env.js';

interface Manifest {
  modules: Record<string, string[]>;
  monolithOnly: string[];
}

/** What the gateway is told: the special cases of routing-manifest.ts, settled. */
const EXPECTED: Manifest = {
  modules: {
    identity: ['/.well-known/jwks.json', '/api/v1/identity'],
    catalog: ['/api/v1/catalog'],
    inventory: ['/api/v1/inventory'],
    payments: ['/api/v1/payments'],
    shipping: ['/api/v1/shipping'],
    ordering: ['/api/v1/orders'],
    notifications: ['/api/v1/notifications'],
    reporting: ['/api/v1/reporting'],
  },
  monolithOnly: ['/.well-known', '/ops', '/docs', '/health'],
};

const isUnder = (p: string, prefix: string) => p === prefix || p.startsWith(`${prefix}/`);

/** Who serves a path by the manifest: the module of the longest prefix, or `monolith`; undefined when no prefix covers it. */
function ownerOf(manifest: Manifest, routePath: string): string | undefined {
  const candidates = [
    ...Object.entries(manifest.modules).flatMap(([module, prefixes]) => prefixes.map((prefix) => ({ prefix, owner: module }))),
    ...manifest.monolithOnly.map((prefix) => ({ prefix, owner: 'monolith' })),
  ].filter((c) => isUnder(routePath.toLowerCase(), c.prefix));
  candidates.sort((a, b) => b.prefix.length - a.prefix.length);
  return candidates[0]?.owner;
}

describe('GET /.well-known/routing-manifest in the monolith', () => {
  let shop: TestApp;
  beforeAll(async () => {
    shop = await startTestApp();
  });
  afterAll(async () => {
    await shop.close();
  });

  it("should list every module's prefixes and the monolith's own, without a token", async () => {
    const answer = await shop.http.get<Manifest>('/.well-known/routing-manifest');
    expect(answer.status).toBe(200);
    expect(answer.headers.get('cache-control')).toBe('no-cache');
    expect(answer.body).toEqual(EXPECTED);
  });

  it('should give each prefix to one module only', async () => {
    const { modules } = (await shop.http.get<Manifest>('/.well-known/routing-manifest')).body;
    const owned = Object.entries(modules).flatMap(([module, prefixes]) => prefixes.map((prefix) => ({ module, prefix })));
    for (const a of owned) {
      for (const b of owned) {
        if (a !== b) expect(isUnder(a.prefix, b.prefix), `${a.prefix} (${a.module}) under ${b.prefix} (${b.module})`).toBe(false);
      }
    }
  });

  it('should cover every public route mounted, each by the module that serves it', async () => {
    const manifest = (await shop.http.get<Manifest>('/.well-known/routing-manifest')).body;
    const document = (await shop.http.get<{ paths: Record<string, Record<string, { tags?: string[] }>> }>('/docs/openapi.json')).body;
    const modules = new Set<string>(MONOLITH_MODULES);
    const seen = new Set<string>();
    const wrong: string[] = [];
    for (const [routePath, operations] of Object.entries(document.paths)) {
      for (const [method, operation] of Object.entries(operations)) {
        // Each operation is tagged with its module (or a platform area: health, ops).
        const tag = operation.tags?.[0] ?? '(untagged)';
        const expected = modules.has(tag) ? tag : 'monolith';
        seen.add(expected);
        const owner = ownerOf(manifest, routePath);
        if (owner !== expected) wrong.push(`${method.toUpperCase()} ${routePath}: ${owner ?? 'no prefix'}, served by ${expected}`);
      }
    }
    expect(wrong).toEqual([]);
    // The document did list every module's routes and the platform's.
    expect([...seen].sort()).toEqual([...MONOLITH_MODULES, 'monolith'].sort());
    // The special cases, by the same rule the gateway uses.
    expect(ownerOf(manifest, '/api/v1/orders/checkouts')).toBe('ordering');
    expect(ownerOf(manifest, '/.well-known/jwks.json')).toBe('identity');
    expect(ownerOf(manifest, '/.well-known/routing-manifest')).toBe('monolith');
  });
});

describe('GET /.well-known/routing-manifest in the monolith with payments extracted', () => {
  let app: NestFastifyApplication | undefined;
  let database: TestDatabase | undefined;
  let dataDir: string | undefined;
  const queuePrefix = `manifest-${randomBytes(4).toString('hex')}`;

  afterAll(async () => {
    await app?.close();
    await database?.drop();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
    // This file's queues and counters only (its own prefix), never anyone else's.
    const redis = new Redis(testRedisUrl());
    try {
      let cursor = '0';
      do {
        const [next, keys] = await redis.scan(cursor, 'MATCH', `${queuePrefix}:*`, 'COUNT', 500);
        if (keys.length) await redis.del(...keys);
        cursor = next;
      } while (cursor !== '0');
    } finally {
      redis.disconnect();
    }
  });

  it("should still say which prefixes are payments', though it mounts none of them", async () => {
    database = await createTestDatabase();
    dataDir = mkdtempSync(path.join(os.tmpdir(), 'shop-manifest-'));
    const keys = generateKeyPairSync('ed25519');
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
      EVENTS_QUEUE_PREFIX: queuePrefix,
      EXTRACTED_MODULES: 'payments',
      // Nothing calls payments here; the address only has to be well-formed.
      SERVICE_URL_PAYMENTS: 'http://127.0.0.1:9',
      SERVICE_TOKEN_SECRET: `manifest-${randomBytes(16).toString('hex')}`,
      JWT_PRIVATE_KEY: keys.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
      JWT_PUBLIC_KEY: keys.publicKey.export({ type: 'spki', format: 'pem' }).toString(),
    };
    const config = loadConfig(env);
    const placement = loadPlacement(env, MONOLITH_MODULES, 'monolith', config);
    expect(placement.hosted).not.toContain('payments');
    app = await createApp(config, createLogger('silent'), {}, placement);
    await app.listen({ port: 0, host: '127.0.0.1' });
    const http = httpClient(`http://127.0.0.1:${(app.getHttpServer().address() as { port: number }).port}`);

    expect((await http.get('/.well-known/routing-manifest')).body).toEqual(EXPECTED);
    const document = await http.get<{ paths: Record<string, unknown> }>('/docs/openapi.json');
    expect(Object.keys(document.body.paths).filter((p) => p.startsWith('/api/v1/payments'))).toEqual([]);
  }, 60_000);
});
