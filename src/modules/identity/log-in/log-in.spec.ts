import { decodeJwt, decodeProtectedHeader } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN, startTestApp, type TestApp } from '../../../../test/support/test-app.js';

describe('LogIn', () => {
  let shop: TestApp;
  beforeAll(async () => {
    shop = await startTestApp();
    await shop.http.post('/api/v1/identity/register', {
      body: { email: 'lin@example.com', password: 'lin-password-1', name: 'Lin' },
    });
  });
  afterAll(async () => {
    await shop.close();
  });

  it('should issue an EdDSA access token with subject, roles, issuer, audience and expiry', async () => {
    const answer = await shop.http.post('/api/v1/identity/login', {
      body: { email: 'LIN@example.com', password: 'lin-password-1' },
    });
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({ tokenType: 'Bearer', expiresIn: 900 });
    const header = decodeProtectedHeader(answer.body.accessToken);
    expect(header).toMatchObject({ alg: 'EdDSA', typ: 'at+jwt' });
    const claims = decodeJwt(answer.body.accessToken);
    expect(claims).toMatchObject({ iss: 'urn:shop:identity', aud: 'urn:shop:api', roles: ['customer'] });
    expect(claims.exp! - claims.iat!).toBe(900);
    expect(claims.nbf).toBeDefined();
  });

  it('should answer 401 with the same message for a wrong password and an unknown email', async () => {
    const wrong = await shop.http.post('/api/v1/identity/login', { body: { email: 'lin@example.com', password: 'nope-nope-1' } });
    const unknown = await shop.http.post('/api/v1/identity/login', { body: { email: 'who@example.com', password: 'nope-nope-1' } });
    expect(wrong.status).toBe(401);
    expect(unknown.status).toBe(401);
    expect(wrong.body.code).toBe('IDENTITY.INVALID_CREDENTIALS');
    expect(unknown.body.detail).toBe(wrong.body.detail);
  });

  it('should publish the verifying key at /.well-known/jwks.json', async () => {
    const login = await shop.http.post('/api/v1/identity/login', { body: ADMIN });
    const jwks = await shop.http.get('/.well-known/jwks.json');
    expect(jwks.status).toBe(200);
    expect(jwks.body.keys).toHaveLength(1);
    const [key] = jwks.body.keys;
    expect(key).toMatchObject({ kty: 'OKP', crv: 'Ed25519', alg: 'EdDSA', use: 'sig' });
    expect(key).not.toHaveProperty('d');
    expect(key.kid).toBe(decodeProtectedHeader(login.body.accessToken).kid);
  });

  it('should make the configured bootstrap admin an admin', async () => {
    const login = await shop.http.post('/api/v1/identity/login', { body: ADMIN });
    expect(decodeJwt(login.body.accessToken).roles).toEqual(['admin']);
  });
});
