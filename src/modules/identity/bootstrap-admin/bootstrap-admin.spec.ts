import { decodeJwt } from 'jose';
import { afterAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../../../../test/support/test-app.js';
import type { TestDatabase } from '../../../../test/support/test-database.js';

describe('BootstrapAdmin', () => {
  let shop: TestApp | undefined;
  let database: TestDatabase | undefined;
  afterAll(async () => {
    await shop?.close();
  });

  async function restartWithAdmin(email: string, password: string): Promise<TestApp> {
    await shop!.close({ keepData: true });
    shop = await startTestApp({ database, env: { BOOTSTRAP_ADMIN_EMAIL: email, BOOTSTRAP_ADMIN_PASSWORD: password } });
    return shop;
  }

  const rolesAfterLogin = async (email: string, password: string) => {
    const login = await shop!.http.post('/api/v1/identity/login', { body: { email, password } });
    return decodeJwt(login.body.accessToken).roles;
  };

  it('should not promote an account someone registered first under the configured admin email', async () => {
    shop = await startTestApp();
    database = shop.database!;
    const squatter = { email: 'boss@test.local', password: 'squatter-password', name: 'Not the boss' };
    expect((await shop.http.post('/api/v1/identity/register', { body: squatter })).status).toBe(201);

    await restartWithAdmin('boss@test.local', 'the-real-admin-password');
    expect(await rolesAfterLogin(squatter.email, squatter.password)).toEqual(['customer']);
    expect(shop.logs).toContainEqual(expect.objectContaining({ level: 'error', email: 'boss@test.local' }));
  });

  it('should promote an existing account when the configured password is its own', async () => {
    const owner = { email: 'owner@test.local', password: 'owner-password-1', name: 'Owner' };
    expect((await shop!.http.post('/api/v1/identity/register', { body: owner })).status).toBe(201);
    await restartWithAdmin(owner.email, owner.password);
    expect(await rolesAfterLogin(owner.email, owner.password)).toEqual(['customer', 'admin'].sort());
  });
});
