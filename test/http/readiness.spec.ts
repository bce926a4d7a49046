import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../support/test-app.js';

describe('readiness', () => {
  let shop: TestApp;
  beforeAll(async () => {
    shop = await startTestApp();
  });
  afterAll(async () => {
    await shop.close();
  });

  it('should answer 503 on /health/ready when the database is gone, while /health/live stays 200', async () => {
    expect((await shop.http.get('/health/ready')).status).toBe(200);
    // A real outage: the database is dropped from under the running app.
    await shop.database!.drop();
    const ready = await shop.http.get('/health/ready');
    expect(ready.status).toBe(503);
    expect(ready.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect((await shop.http.get('/health/live')).status).toBe(200);
  });
});
