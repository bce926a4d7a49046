import { randomUUID } from 'node:crypto';
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADDRESS, orderBody, placeOrder, sellable, type Sellable } from '../support/checkout-fixture.js';
import { startTestApp, type TestApp } from '../support/test-app.js';

const NUL = '\u0000';

/**
 * Input PostgreSQL cannot store (a NUL character in any string) and bodies the API
 * does not speak (anything but JSON) are refused at the edge with a problem that says
 * so, on every route, and nothing of the request is kept.
 */
describe('hostile input', () => {
  let shop: TestApp;
  let admin: string;
  let kettle: Sellable;

  beforeAll(async () => {
    shop = await startTestApp();
    admin = await shop.adminToken();
    kettle = await sellable(shop.http, admin, { stock: 5 });
  });
  afterAll(async () => {
    await shop.close();
  });

  const sql = <R extends Record<string, unknown>>(text: string, params: unknown[] = []) => shop.database!.sql<R>(text, params);
  const fieldsOf = (body: { errors?: { field: string; message: string }[] }) => (body.errors ?? []).map((e) => e.field);
  const expectNulRefused = (answer: { status: number; body: any }, fields: string[]) => {
    expect(answer.status).toBe(400);
    expect(answer.body.code).toBe('VALIDATION_FAILED');
    for (const field of fields) {
      expect(answer.body.errors).toContainEqual({ field, message: expect.stringMatching(/NUL character/) });
    }
  };

  describe('a NUL character in any string', () => {
    it('should refuse it in a registration, naming the field, and create no account', async () => {
      const email = `nul-${randomUUID()}@test.local`;
      const answer = await shop.http.post('/api/v1/identity/register', {
        body: { email, password: 'long-enough-password', name: `Ada${NUL}Lovelace` },
      });
      expectNulRefused(answer, ['name']);
      expect(await sql('SELECT 1 FROM identity.users WHERE email = $1', [email])).toEqual([]);
      expect(await sql("SELECT 1 FROM identity.outbox WHERE payload->>'email' = $1", [email])).toEqual([]);
    });

    it('should refuse it in a password, which is hashed and never stored, all the same', async () => {
      const answer = await shop.http.post('/api/v1/identity/login', { body: { email: 'a@test.local', password: `x${NUL}` } });
      expectNulRefused(answer, ['password']);
    });

    it('should refuse it in a search query string', async () => {
      const answer = await shop.http.get(`/api/v1/catalog/products?q=${encodeURIComponent(`tea${NUL}pot`)}`);
      expectNulRefused(answer, ['q']);
    });

    it('should refuse it in a path parameter', async () => {
      const answer = await shop.http.get(`/api/v1/inventory/SKU${encodeURIComponent(NUL)}1`, { token: admin });
      expectNulRefused(answer, ['sku']);
    });

    it("should refuse it in an order's shipping address and payment token, and place no order", async () => {
      const customer = await shop.customer();
      const key = randomUUID();
      const answer = await placeOrder(
        shop.http,
        customer.token,
        orderBody([{ item: kettle, quantity: 1 }], {
          shippingAddress: { ...ADDRESS, line1: `1 Main St${NUL}` },
          paymentToken: `tok_visa${NUL}`,
        }),
        key,
      );
      expectNulRefused(answer, ['shippingAddress.line1', 'paymentToken']);
      expect(await sql('SELECT 1 FROM ordering.orders WHERE user_id = $1', [customer.id])).toEqual([]);
    });

    it('should refuse it in an admin creating a product, in nested fields and in key names alike', async () => {
      const name = `Teapot ${randomUUID()}`;
      const answer = await shop.http.post('/api/v1/catalog/products', {
        token: admin,
        body: { name, category: 'kitchen', tags: ['ok', `bad${NUL}tag`], price: { amount: 100, currency: 'EUR' }, [`x${NUL}`]: 1 },
      });
      expectNulRefused(answer, ['tags.1', 'x\\u0000']);
      expect(await sql('SELECT 1 FROM catalog.products WHERE name = $1', [name])).toEqual([]);
    });

    it('should still name every other bad field in the same answer', async () => {
      const answer = await shop.http.post('/api/v1/identity/register', {
        body: { email: 'not-an-email', password: 'long-enough-password', name: `A${NUL}` },
      });
      expect(answer.status).toBe(400);
      expect(fieldsOf(answer.body).sort()).toEqual(['email', 'name']);
    });

    it('should not be fooled by a body nested too deep to walk recursively', async () => {
      // An escaped NUL (\u0000) at the bottom of 100,000 nested arrays.
      const deep = `${'['.repeat(100_000)}"\\u0000"${']'.repeat(100_000)}`;
      const answer = await shop.http.post('/api/v1/identity/login', { rawBody: JSON.stringify({ email: 'a@b.cd', password: 'x' }).replace('"x"', deep) });
      expect(answer.status).toBe(400);
      expect(answer.body.code).toBe('VALIDATION_FAILED');
    });
  });

  describe('a lone surrogate in any string', () => {
    // JSON can carry "\ud800" on its own; jsonb refuses it, so an order would fail as a 500.
    it("should refuse it in an order's address, naming the field, and place no order", async () => {
      const customer = await shop.customer();
      const body = JSON.stringify(orderBody([{ item: kettle, quantity: 1 }], { shippingAddress: { ...ADDRESS, name: 'LONE' } })).replace(
        'LONE',
        'Ada \\ud800',
      );
      const answer = await shop.http.post('/api/v1/orders', { token: customer.token, rawBody: body, headers: { 'idempotency-key': randomUUID() } });
      expect(answer.status).toBe(400);
      expect(answer.body.errors).toContainEqual({ field: 'shippingAddress.name', message: expect.stringMatching(/lone surrogate/) });
      expect(await sql('SELECT 1 FROM ordering.orders WHERE user_id = $1', [customer.id])).toEqual([]);
    });

    it('should take a well-formed pair (an emoji) as it is', async () => {
      const answer = await shop.http.post('/api/v1/catalog/products', {
        token: admin,
        body: { name: `Teapot \u{1F375} ${randomUUID().slice(0, 6)}`, category: 'kitchen', price: { amount: 100, currency: 'EUR' } },
      });
      expect(answer.status).toBe(201);
    });
  });

  describe('bodies that are not JSON', () => {
    const notJson: [string, string][] = [
      ['text/plain', '{"email":"a@b.cd","password":"x"}'],
      ['application/x-www-form-urlencoded', 'email=a%40b.cd&password=x'],
      ['multipart/form-data; boundary=x', '--x\r\nContent-Disposition: form-data; name="email"\r\n\r\na@b.cd\r\n--x--\r\n'],
      ['application/xml', '<login/>'],
    ];

    it.each(notJson)('should answer %s with 415, before any validation', async (contentType, rawBody) => {
      const answer = await shop.http.post('/api/v1/identity/login', { rawBody, headers: { 'content-type': contentType } });
      expect(answer.status).toBe(415);
      expect(answer.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      expect(answer.body).toMatchObject({ code: 'UNSUPPORTED_MEDIA_TYPE', status: 415 });
    });

    it('should answer a body without a content type with 415', async () => {
      const answer = await fetch(`${shop.url}/api/v1/identity/login`, {
        method: 'POST',
        body: new Uint8Array(Buffer.from('{"email":"a@b.cd","password":"x"}')),
      });
      expect(answer.status).toBe(415);
    });

    it('should answer a compressed body with 415: nothing decodes it', async () => {
      const answer = await shop.http.post('/api/v1/identity/login', {
        rawBody: JSON.stringify({ email: 'a@b.cd', password: 'x' }),
        headers: { 'content-encoding': 'gzip' },
      });
      expect(answer.status).toBe(415);
      expect(answer.body.code).toBe('UNSUPPORTED_MEDIA_TYPE');
    });

    it('should answer requests the HTTP parser refuses with a problem, not a bare error', async () => {
      const port = Number(new URL(shop.url).port);
      const raw = (request: string) =>
        new Promise<string>((resolve, reject) => {
          const socket = connect(port, '127.0.0.1', () => socket.write(request));
          let answer = '';
          socket.on('data', (chunk) => (answer += chunk.toString()));
          socket.on('error', () => undefined);
          socket.on('close', () => resolve(answer));
          socket.setTimeout(10_000, () => reject(new Error(`no answer; got: ${answer}`)));
        });
      const framing = await raw('POST /api/v1/identity/login HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n');
      expect(framing).toMatch(/^HTTP\/1\.1 400/);
      expect(framing).toMatch(/content-type: application\/problem\+json/i);
      expect(framing).toContain('"code":"MALFORMED_REQUEST"');
      const requestId = /"requestId":"([0-9a-f-]{36})"/.exec(framing)?.[1];
      expect(requestId).toBeDefined();
      // The id can be quoted: the log has a line for it.
      expect(shop.logs).toContainEqual(expect.objectContaining({ requestId, statusCode: 400, code: 'MALFORMED_REQUEST' }));
    });

    it('should take JSON with a charset, and the +json types', async () => {
      for (const contentType of ['application/json; charset=utf-8', 'application/merge-patch+json', 'application/merge-patch+json; charset=utf-8']) {
        const answer = await shop.http.post('/api/v1/identity/login', {
          rawBody: JSON.stringify({ email: 'nobody@test.local', password: 'wrong-password' }),
          headers: { 'content-type': contentType },
        });
        expect(answer.status, contentType).toBe(401);
      }
    });
  });
});
