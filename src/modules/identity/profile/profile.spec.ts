import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../../../../test/support/test-app.js';

describe('Profile (/api/v1/identity/me)', () => {
  let shop: TestApp;
  beforeAll(async () => {
    shop = await startTestApp();
  });
  afterAll(async () => {
    await shop.close();
  });

  it("should read and rename the caller's own profile only", async () => {
    const alice = await shop.customer('Alice');
    const bob = await shop.customer('Bob');
    const me = await shop.http.get('/api/v1/identity/me', { token: alice.token });
    expect(me.status).toBe(200);
    expect(me.body).toMatchObject({ id: alice.id, name: 'Alice', roles: ['customer'] });

    const renamed = await shop.http.patch('/api/v1/identity/me', { token: alice.token, body: { name: 'Alice L.' } });
    expect(renamed.status).toBe(200);
    expect(renamed.body.name).toBe('Alice L.');
    expect((await shop.http.get('/api/v1/identity/me', { token: alice.token })).body.name).toBe('Alice L.');
    expect((await shop.http.get('/api/v1/identity/me', { token: bob.token })).body.name).toBe('Bob');
  });

  it('should reject an empty name and unknown fields with 400, changing nothing', async () => {
    const carol = await shop.customer('Carol');
    const answer = await shop.http.patch('/api/v1/identity/me', {
      token: carol.token,
      body: { name: '  ', email: 'x@y.z' },
    });
    expect(answer.status).toBe(400);
    expect((answer.body.errors as { field: string }[]).map((e) => e.field).sort()).toEqual(['email', 'name']);
    expect((await shop.http.get('/api/v1/identity/me', { token: carol.token })).body.name).toBe('Carol');
  });

  it('should require a token', async () => {
    const answer = await shop.http.get('/api/v1/identity/me');
    expect(answer.status).toBe(401);
    expect(answer.headers.get('www-authenticate')).toBe('Bearer');
  });
});
