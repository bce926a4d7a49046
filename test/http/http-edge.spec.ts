import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../support/test-app.js';

describe('HTTP edge', () => {
  let shop: TestApp;

  beforeAll(async () => {
    shop = await startTestApp();
  });
  afterAll(async () => {
    await shop.close();
  });

  describe('problem details', () => {
    it('should answer a validation failure with 400 naming every bad field', async () => {
      const answer = await shop.http.post('/api/v1/identity/register', {
        body: { email: 'not-an-email', password: 'short', name: '', surprise: true },
      });
      expect(answer.status).toBe(400);
      expect(answer.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      expect(answer.body).toMatchObject({ status: 400, code: 'VALIDATION_FAILED', instance: '/api/v1/identity/register' });
      const fields = (answer.body.errors as { field: string }[]).map((e) => e.field).sort();
      expect(fields).toEqual(['email', 'name', 'password', 'surprise']);
    });

    it('should answer a missing body with a problem naming the body', async () => {
      const answer = await shop.http.post('/api/v1/identity/login');
      expect(answer.status).toBe(400);
      expect(answer.body.errors).toEqual([expect.objectContaining({ field: '(body)' })]);
    });

    it('should answer malformed JSON with 400 MALFORMED_JSON', async () => {
      const answer = await shop.http.post('/api/v1/identity/login', { rawBody: '{"email": ' });
      expect(answer.status).toBe(400);
      expect(answer.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      expect(answer.body.code).toBe('MALFORMED_JSON');
    });

    it('should answer a body over the limit with 413', async () => {
      const answer = await shop.http.post('/api/v1/identity/login', {
        rawBody: JSON.stringify({ email: 'a@b.c', password: 'x'.repeat(1_100_000) }),
      });
      expect(answer.status).toBe(413);
      expect(answer.body.code).toBe('PAYLOAD_TOO_LARGE');
    });

    it('should answer an unsupported media type with 415', async () => {
      const answer = await shop.http.post('/api/v1/identity/login', {
        rawBody: '<login/>',
        headers: { 'content-type': 'application/xml' },
      });
      expect(answer.status).toBe(415);
      expect(answer.body.code).toBe('UNSUPPORTED_MEDIA_TYPE');
    });

    it('should answer an unknown route with a 404 problem', async () => {
      const answer = await shop.http.get('/api/v1/nowhere');
      expect(answer.status).toBe(404);
      expect(answer.body).toMatchObject({ code: 'NOT_FOUND', type: 'urn:shop:problem:not_found' });
    });
  });

  describe('request ids', () => {
    it('should echo a caller-supplied X-Request-Id and put it in the problem and the logs', async () => {
      const answer = await shop.http.get('/api/v1/nowhere', { headers: { 'x-request-id': 'trace-me-42' } });
      expect(answer.headers.get('x-request-id')).toBe('trace-me-42');
      expect(answer.body.requestId).toBe('trace-me-42');
      const lines = shop.logs.filter((l) => l.requestId === 'trace-me-42');
      expect(lines).toContainEqual(expect.objectContaining({ msg: 'request completed', statusCode: 404 }));
    });

    it('should generate an id when none (or an unsafe one) is given', async () => {
      const plain = await shop.http.get('/health/live');
      expect(plain.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
      const unsafe = await shop.http.get('/health/live', { headers: { 'x-request-id': `bad id ${'x'.repeat(200)}` } });
      expect(unsafe.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    });
  });

  describe('health', () => {
    it('should say live and ready when the database answers', async () => {
      expect((await shop.http.get('/health/live')).status).toBe(200);
      const ready = await shop.http.get('/health/ready');
      expect(ready.status).toBe(200);
      expect(ready.body).toEqual({ status: 'ok', database: 'postgres', services: {} });
    });
  });

  describe('OpenAPI', () => {
    it('should publish a document listing every module route with its input schema', async () => {
      const answer = await shop.http.get('/docs/openapi.json');
      expect(answer.status).toBe(200);
      const doc = answer.body;
      expect(doc.openapi).toBe('3.1.0');
      expect(Object.keys(doc.paths)).toEqual(
        expect.arrayContaining([
          '/api/v1/identity/register',
          '/api/v1/identity/login',
          '/api/v1/identity/me',
          '/api/v1/catalog/products',
          '/api/v1/catalog/products/{id}',
          '/api/v1/inventory/{sku}',
        ]),
      );
      const create = doc.paths['/api/v1/catalog/products'].post;
      expect(create.requestBody.content['application/json'].schema.properties).toHaveProperty('price');
      expect(create.security).toEqual([{ bearerAuth: [] }]);
      expect(doc.paths['/api/v1/catalog/products/{id}'].get.security).toEqual([]);
      for (const path of Object.keys(doc.paths).filter((p) => p.startsWith('/api/'))) {
        expect(path).toMatch(/^\/api\/v1\/(identity|catalog|inventory|payments|shipping|orders|notifications|reporting)(\/|$)/);
      }
    });

    it('should serve the Swagger UI page and its assets', async () => {
      const page = await shop.http.get('/docs');
      expect(page.status).toBe(200);
      // Its start-up script is a file of its own (the policy allows no inline script), pointing at the document.
      expect(page.text).toContain('/docs/assets/swagger-init.js');
      expect((await shop.http.get('/docs/assets/swagger-init.js')).text).toContain('/docs/openapi.json');
      const asset = await shop.http.get('/docs/assets/swagger-ui-bundle.js');
      expect(asset.status).toBe(200);
      expect(asset.headers.get('content-type')).toMatch(/javascript/);
    });
  });
});
