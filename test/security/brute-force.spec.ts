import type { ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../support/free-port.js';
import { startRedis, stopRedis } from '../support/private-redis.js';
import { startTestApp, type TestApp } from '../support/test-app.js';
import { testRedisUrl } from '../support/test-env.js';

const LIMITS = {
  THROTTLE_LOGIN_FAILURES_PER_ACCOUNT: '4',
  THROTTLE_LOGIN_FAILURES_PER_ADDRESS: '8',
  THROTTLE_REGISTRATIONS_PER_ADDRESS: '3',
};

/**
 * Password guessing and mass registration are throttled per client address (and per
 * account from one address), with counters in memory, or in Redis shared by every
 * instance. Clients come from different loopback addresses (127.0.0.x), as the server
 * sees them, without any header being trusted.
 */
describe.each([
  { store: 'memory', env: (): Record<string, string> => ({}) },
  { store: 'Redis', env: (): Record<string, string> => ({ REDIS_URL: testRedisUrl(), EVENTS_QUEUE_PREFIX: `b${randomUUID().slice(0, 8)}` }) },
])('brute-force throttling, counters in $store', ({ store, env }) => {
  let shop: TestApp;
  let environment: Record<string, string>;
  let address = 10;
  /** A client address no earlier test of this app used. */
  const freshAddress = () => `127.0.0.${address++}`;

  beforeAll(async () => {
    environment = { ...env(), ...LIMITS };
    shop = await startTestApp({ env: environment });
  });
  afterAll(async () => {
    await shop.close();
  });

  const account = async () => {
    const email = `victim-${randomUUID().slice(0, 8)}@test.local`;
    const password = 'the-right-password';
    const answer = await shop.http.post('/api/v1/identity/register', { body: { email, password, name: 'Victim' }, from: freshAddress() });
    expect(answer.status).toBe(201);
    return { email, password };
  };
  const logIn = (from: string, email: string, password: string, on = shop) =>
    on.http.post('/api/v1/identity/login', { body: { email, password }, from });

  it('should refuse an account from an address after its failures there, with 429 and Retry-After', async () => {
    const { email, password } = await account();
    const attacker = freshAddress();
    for (let guess = 1; guess <= 4; guess++) expect((await logIn(attacker, email, `wrong-guess-${guess}`)).status).toBe(401);
    const refused = await logIn(attacker, email, 'wrong-guess-5');
    expect(refused.status).toBe(429);
    expect(refused.body).toMatchObject({ code: 'IDENTITY.TOO_MANY_LOGIN_ATTEMPTS', status: 429 });
    const retryAfter = Number(refused.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThan(0);
    expect(retryAfter).toBeLessThanOrEqual(900);
    // Even the right password, from there, while the block lasts.
    expect((await logIn(attacker, email, password)).status).toBe(429);
  });

  it('should not let an attacker lock the owner out: the right password from another address signs in', async () => {
    const { email, password } = await account();
    const attacker = freshAddress();
    for (let guess = 1; guess <= 6; guess++) await logIn(attacker, email, `wrong-guess-${guess}`);
    expect((await logIn(attacker, email, 'wrong-guess-7')).status).toBe(429);
    const owner = await logIn(freshAddress(), email, password);
    expect(owner.status).toBe(200);
    expect(owner.body.accessToken).toEqual(expect.any(String));
  });

  it('should forget the failures of an account once its owner signs in', async () => {
    const { email, password } = await account();
    const owner = freshAddress();
    for (let guess = 1; guess <= 3; guess++) expect((await logIn(owner, email, `typo-${guess}`)).status).toBe(401);
    expect((await logIn(owner, email, password)).status).toBe(200);
    for (let guess = 1; guess <= 3; guess++) expect((await logIn(owner, email, `typo-again-${guess}`)).status).toBe(401);
  });

  it('should refuse an address that fails against many accounts (credential stuffing)', async () => {
    const stuffer = freshAddress();
    const answers: number[] = [];
    for (let i = 1; i <= 9; i++) answers.push((await logIn(stuffer, `nobody-${i}-${randomUUID()}@test.local`, 'leaked-password')).status);
    expect(answers).toEqual([401, 401, 401, 401, 401, 401, 401, 401, 429]);
    // Another address is not affected.
    expect((await logIn(freshAddress(), `nobody-${randomUUID()}@test.local`, 'leaked-password')).status).toBe(401);
  });

  it("should answer refused guesses without hashing them, so others' sign-ins are not held up", async () => {
    const { email, password } = await account();
    const attacker = freshAddress();
    for (let guess = 1; guess <= 5; guess++) await logIn(attacker, email, `wrong-guess-${guess}`);
    // Far more than the hashing slots hold (2 running, 64 waiting): had these reached
    // the hasher, some would be 401 and the overflow 503 IDENTITY.BUSY.
    const flood = Array.from({ length: 120 }, (_, i) => logIn(attacker, email, `flood-${i}`));
    const owner = logIn(freshAddress(), email, password);
    const statuses = (await Promise.all(flood)).map((answer) => answer.status);
    expect(new Set(statuses)).toEqual(new Set([429]));
    expect((await owner).status).toBe(200);
  });

  it('should throttle registrations per address', async () => {
    const from = freshAddress();
    const register = (i: number) =>
      shop.http.post('/api/v1/identity/register', {
        body: { email: `mass-${i}-${randomUUID().slice(0, 8)}@test.local`, password: 'a-long-password', name: 'Mass' },
        from,
      });
    const statuses = [];
    for (let i = 1; i <= 4; i++) statuses.push((await register(i)).status);
    expect(statuses).toEqual([201, 201, 201, 429]);
    const refused = await register(5);
    expect(refused.body.code).toBe('IDENTITY.TOO_MANY_REGISTRATIONS');
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
    expect((await register.call(null, 6)).status).toBe(429);
  });

  if (store === 'Redis') {
    it('should share the counters between instances of the shop', async () => {
      const other = await startTestApp({ database: shop.database!, env: environment });
      try {
        const { email } = await account();
        const attacker = freshAddress();
        // Guesses spread over both instances count together.
        for (let guess = 1; guess <= 4; guess++) await logIn(attacker, email, `wrong-guess-${guess}`, guess % 2 ? shop : other);
        expect((await logIn(attacker, email, 'wrong-guess-5', other)).status).toBe(429);
        expect((await logIn(attacker, email, 'wrong-guess-6', shop)).status).toBe(429);
      } finally {
        await other.close({ keepData: true });
      }
    });
  }
});

/**
 * Behind a load balancer every connection comes from the balancer: the client's address
 * is the one it appends to X-Forwarded-For, and only there is it trusted (TRUST_PROXY).
 */
describe('brute-force throttling behind a proxy', () => {
  let shop: TestApp;

  beforeAll(async () => {
    // The test plays the proxy, on loopback.
    shop = await startTestApp({ env: { ...LIMITS, TRUST_PROXY: '127.0.0.1,::1' } });
  });
  afterAll(async () => {
    await shop.close();
  });

  const logIn = (forwardedFor: string, email: string, password: string) =>
    shop.http.post('/api/v1/identity/login', { body: { email, password }, headers: { 'x-forwarded-for': forwardedFor } });

  it("should count the address the proxy saw, not what a client wrote before it", async () => {
    const email = `proxied-${randomUUID().slice(0, 8)}@test.local`;
    await shop.http.post('/api/v1/identity/register', { body: { email, password: 'the-right-password', name: 'Proxied' } });
    // The attacker forges a fresh address at the front of each request; the proxy appends the real one.
    for (let guess = 1; guess <= 4; guess++) await logIn(`198.51.100.${guess}, 203.0.113.9`, email, `wrong-${guess}`);
    expect((await logIn('198.51.100.99, 203.0.113.9', email, 'wrong-5')).status).toBe(429);
    // The owner, elsewhere, is let in.
    expect((await logIn('203.0.113.50', email, 'the-right-password')).status).toBe(200);
  });

  it('should count every address of one IPv6 /64 as one client', async () => {
    const stuffer = (i: number) => `2001:db8:7:7::${(i + 1).toString(16)}`;
    const answers: number[] = [];
    for (let i = 1; i <= 9; i++) answers.push((await logIn(stuffer(i), `nobody-${randomUUID()}@test.local`, 'leaked-password')).status);
    expect(answers.at(-1)).toBe(429);
    expect((await logIn('2001:db8:7:8::1', `nobody-${randomUUID()}@test.local`, 'leaked-password')).status).toBe(401);
  });
});

/** A Redis that is connected but does not answer (stopped with SIGSTOP) must not hold sign-ins up. */
describe('brute-force throttling while Redis hangs', () => {
  let shop: TestApp;
  let redis: ChildProcess;

  beforeAll(async () => {
    const port = await freePort();
    redis = await startRedis(port);
    shop = await startTestApp({ env: { ...LIMITS, REDIS_URL: `redis://127.0.0.1:${port}`, EVENTS_QUEUE_PREFIX: 'hung' } });
  });
  afterAll(async () => {
    redis.kill('SIGCONT');
    await shop.close();
    await stopRedis(redis);
  });

  it('should answer sign-ins and keep counting them in memory until Redis is back', async () => {
    const email = `hung-${randomUUID().slice(0, 8)}@test.local`;
    await shop.http.post('/api/v1/identity/register', { body: { email, password: 'the-right-password', name: 'Hung' } });
    redis.kill('SIGSTOP');
    try {
      const statuses: number[] = [];
      for (let guess = 1; guess <= 5; guess++) {
        statuses.push((await shop.http.post('/api/v1/identity/login', { body: { email, password: `wrong-${guess}` }, from: '127.0.0.60' })).status);
      }
      expect(statuses).toEqual([401, 401, 401, 401, 429]);
      expect((await shop.http.post('/api/v1/identity/login', { body: { email, password: 'the-right-password' }, from: '127.0.0.61' })).status).toBe(200);
    } finally {
      redis.kill('SIGCONT');
    }
  });
});
