import { readFileSync } from 'node:fs';
import path from 'node:path';
import { createHmac } from 'node:crypto';
import { generateKeyPair, importJWK, SignJWT, type JWK } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../support/test-app.js';

const b64 = (value: object | string) =>
  Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url');

describe('Access tokens at the edge', () => {
  let shop: TestApp;
  let signingJwk: JWK;
  let customerId: string;

  /** A token signed with the shop's real key, with claims the test controls. */
  async function forge(
    claims: Record<string, unknown>,
    options: { exp?: number; nbf?: number; iss?: string; aud?: string; typ?: string; key?: 'real' | 'other' } = {},
  ) {
    const now = Math.floor(Date.now() / 1000);
    const key =
      options.key === 'other'
        ? (await generateKeyPair('EdDSA', { crv: 'Ed25519' })).privateKey
        : await importJWK(signingJwk, 'EdDSA');
    return new SignJWT({ email: 'x@test.local', roles: ['customer'], ...claims })
      .setProtectedHeader({ alg: 'EdDSA', typ: options.typ ?? 'at+jwt', kid: signingJwk.kid })
      .setSubject(customerId)
      .setIssuer(options.iss ?? 'urn:shop:identity')
      .setAudience(options.aud ?? 'urn:shop:api')
      .setIssuedAt(now)
      .setNotBefore(options.nbf ?? now)
      .setExpirationTime(options.exp ?? now + 600)
      .sign(key);
  }

  beforeAll(async () => {
    shop = await startTestApp();
    customerId = (await shop.customer()).id;
    signingJwk = JSON.parse(readFileSync(path.join(shop.dataDir, 'keys', 'jwt-signing-key.json'), 'utf8')) as JWK;
    signingJwk.kid = (await shop.http.get('/.well-known/jwks.json')).body.keys[0].kid;
  });
  afterAll(async () => {
    await shop.close();
  });

  const me = (token?: string) => shop.http.get('/api/v1/identity/me', token ? { token } : {});

  it('should accept a well-formed token signed with the real key', async () => {
    expect((await me(await forge({}))).status).toBe(200);
  });

  it.each([
    ['no token', async () => undefined],
    ['a token that is not a JWT', async () => 'not-a-token'],
    ['an expired token', async () => forge({}, { exp: Math.floor(Date.now() / 1000) - 60 })],
    ['a token not valid yet (nbf in the future)', async () => forge({}, { nbf: Math.floor(Date.now() / 1000) + 600 })],
    ['a token from another issuer', async () => forge({}, { iss: 'urn:evil' })],
    ['a token for another audience', async () => forge({}, { aud: 'urn:other-api' })],
    ['a token signed by another key with the same kid', async () => forge({}, { key: 'other' })],
    ['a token of another type', async () => forge({}, { typ: 'JWT' })],
  ])('should answer 401 for %s', async (_, make) => {
    const answer = await me(await make());
    expect(answer.status).toBe(401);
    expect(answer.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(answer.body.code).toBe('AUTH.UNAUTHENTICATED');
  });

  it('should answer 401 for a tampered payload (roles raised to admin)', async () => {
    const [header, payload, signature] = (await forge({})).split('.');
    const claims = JSON.parse(Buffer.from(payload!, 'base64url').toString());
    const tampered = [header, b64({ ...claims, roles: ['admin'] }), signature].join('.');
    expect((await me(tampered)).status).toBe(401);
    const create = await shop.http.post('/api/v1/catalog/products', { token: tampered, body: {} });
    expect(create.status).toBe(401);
  });

  it('should answer 401 for alg "none"', async () => {
    const now = Math.floor(Date.now() / 1000);
    const unsigned = `${b64({ alg: 'none', typ: 'at+jwt' })}.${b64({
      sub: customerId, email: 'x@test.local', roles: ['admin'], iss: 'urn:shop:identity', aud: 'urn:shop:api',
      iat: now, nbf: now, exp: now + 600,
    })}.`;
    expect((await me(unsigned)).status).toBe(401);
  });

  it('should answer 401 for HS256 keyed with the public key (algorithm confusion)', async () => {
    const now = Math.floor(Date.now() / 1000);
    const head = b64({ alg: 'HS256', typ: 'at+jwt', kid: signingJwk.kid });
    const body = b64({
      sub: customerId, email: 'x@test.local', roles: ['admin'], iss: 'urn:shop:identity', aud: 'urn:shop:api',
      iat: now, nbf: now, exp: now + 600,
    });
    const mac = createHmac('sha256', Buffer.from(signingJwk.x!, 'base64url')).update(`${head}.${body}`).digest('base64url');
    expect((await me(`${head}.${body}.${mac}`)).status).toBe(401);
  });

  it('should answer 403 when a valid token lacks the required role, and let an admin through', async () => {
    const product = { name: 'Lamp', category: 'home', price: { amount: 1000, currency: 'EUR' } };
    const asCustomer = await shop.http.post('/api/v1/catalog/products', { token: await forge({}), body: product });
    expect(asCustomer.status).toBe(403);
    expect(asCustomer.body.code).toBe('AUTH.FORBIDDEN');
    const asAdmin = await shop.http.post('/api/v1/catalog/products', { token: await shop.adminToken(), body: product });
    expect(asAdmin.status).toBe(201);
  });

  it('should keep public routes public', async () => {
    expect((await shop.http.get('/api/v1/catalog/products')).status).toBe(200);
    expect((await shop.http.get('/health/ready')).status).toBe(200);
  });
});
