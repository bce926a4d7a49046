import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { draining } from '../../src/platform/bootstrap/draining.js';
import { startTestApp, type TestApp } from '../support/test-app.js';

describe('readiness', () => {
  let shop: TestApp;
  beforeAll(async () => {
    shop = await startTestApp();
  });
  afterAll(async () => {
    await shop.close();
  });

  it('should turn new requests away with 503 and Connection: close once shutdown has begun', async () => {
    draining.active = true;
    try {
      const answer = await shop.http.get('/api/v1/catalog/products');
      expect(answer.status).toBe(503);
      expect(answer.headers.get('connection')).toBe('close');
      expect(answer.body).toMatchObject({ code: 'SHUTTING_DOWN' });
    } finally {
      draining.active = false;
    }
    expect((await shop.http.get('/api/v1/catalog/products')).status).toBe(200);
  });

  it('should answer 503 on /health/ready when the database is gone, while /health/live stays 200', async () => {
    expect((await shop.http.get('/health/ready')).status).toBe(200);
    // A real outage: the database is dropped from under the running app.
    await shop.database!.drop();
    const ready = await shop.http.get('/health/ready');
    expect(ready.status).toBe(503);
    expect(ready.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(ready.headers.get('retry-after')).toMatch(/^\d+$/);
    expect((await shop.http.get('/health/live')).status).toBe(200);
    // An expected answer, not a bug: no error line, no stack trace for it; its cause
    // is told once, as a warning, however often the probe asks.
    expect((await shop.http.get('/health/ready')).status).toBe(503);
    const errors = shop.logs.filter((line) => line.level === 'error' || line.level === 'fatal');
    expect(errors).toEqual([]);
    const told = shop.logs.filter((line) => line.msg === 'not ready: the database is not answering');
    expect(told).toHaveLength(1);
    expect(told[0]).toMatchObject({ level: 'warn', err: expect.any(String) });
  });
});
