import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../../../../test/support/test-app.js';

describe('RegisterUser', () => {
  let shop: TestApp;
  beforeAll(async () => {
    shop = await startTestApp();
  });
  afterAll(async () => {
    await shop.close();
  });

  it('should create a customer account and never store the password in clear', async () => {
    const answer = await shop.http.post('/api/v1/identity/register', {
      body: { email: 'Ada@Example.com', password: 'correct horse battery', name: 'Ada' },
    });
    expect(answer.status).toBe(201);
    expect(answer.body).toMatchObject({ email: 'ada@example.com', name: 'Ada', roles: ['customer'] });
    expect(answer.body).not.toHaveProperty('passwordHash');
    const [row] = await shop.database!.sql<{ password_hash: string }>(
      'SELECT password_hash FROM identity.users WHERE email = $1',
      ['ada@example.com'],
    );
    expect(row!.password_hash).toMatch(/^scrypt\$131072\$8\$1\$/);
    expect(row!.password_hash).not.toContain('correct horse battery');
  });

  it('should answer 409 when the email is taken, whatever its case', async () => {
    const body = { email: 'grace@example.com', password: 'a long enough password', name: 'Grace' };
    expect((await shop.http.post('/api/v1/identity/register', { body })).status).toBe(201);
    const again = await shop.http.post('/api/v1/identity/register', { body: { ...body, email: 'GRACE@example.com' } });
    expect(again.status).toBe(409);
    expect(again.body.code).toBe('IDENTITY.EMAIL_TAKEN');
  });

  it('should not let a registration claim the admin role', async () => {
    const answer = await shop.http.post('/api/v1/identity/register', {
      body: { email: 'mallory@example.com', password: 'a long enough password', name: 'M', roles: ['admin'] },
    });
    expect(answer.status).toBe(400);
    expect(answer.body.errors).toEqual([{ field: 'roles', message: 'is not a known field' }]);
    const rows = await shop.database!.sql('SELECT 1 FROM identity.users WHERE email = $1', ['mallory@example.com']);
    expect(rows).toHaveLength(0);
  });
});
