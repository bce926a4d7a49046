import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { orderBody, type Sellable } from '../support/checkout-fixture.js';
import { FakeNotificationSender } from '../support/fake-notification-sender.js';
import type { RequestOptions } from '../support/http-client.js';
import { startPrismProxy, type CheckedAnswer, type PrismProxy, type Violation } from '../support/prism-proxy.js';
import { ADMIN, startTestApp, type TestApp } from '../support/test-app.js';
import { waitFor } from '../support/wait-for.js';

type Document = { paths: Record<string, Record<string, { operationId: string; responses: Record<string, unknown> }>> };

/**
 * The server's real answers against its own OpenAPI document, judged by an established
 * validator: every call of the main flows goes through Stoplight Prism in proxy mode,
 * which validates the request and the server's response (status, headers, media type,
 * body) against the document, and the spec asserts Prism found nothing wrong.
 *
 * Prism gets the document without its `default` responses: a status the document does
 * not list explicitly would otherwise pass as "default", and the point is that every
 * answer a caller can meet here is listed. Calls that are wrong on purpose (a bad
 * field, no token, a text body) are expected to show exactly that request violation,
 * and still none in the response.
 */
describe('the server against its OpenAPI document (Prism proxy)', () => {
  const sender = new FakeNotificationSender();
  let shop: TestApp;
  let prism: PrismProxy;
  let dir: string;
  let operations: { id: string; method: string; pattern: RegExp; params: number }[];
  const called = new Set<string>();

  let admin: string;
  let customer: { token: string; id: string; email: string; password: string };
  let product: string;
  let item: Sellable;
  let order: { id: string; shipment: { id: string } | null; status: string };

  beforeAll(async () => {
    // The login throttle is lowered so the 429 needs few (slow, scrypt) attempts.
    shop = await startTestApp({ edges: { notificationSender: sender }, env: { THROTTLE_LOGIN_FAILURES_PER_ACCOUNT: '3' } });
    const document = (await shop.http.get<Document>('/docs/openapi.json')).body;
    operations = Object.entries(document.paths).flatMap(([template, pathItem]) =>
      Object.entries(pathItem).map(([method, operation]) => {
        delete operation.responses.default;
        return {
          id: operation.operationId,
          method: method.toUpperCase(),
          pattern: new RegExp(`^${template.replace(/\{[^}]+\}/g, '[^/]+').replace(/\./g, '\\.')}$`),
          params: (template.match(/\{/g) ?? []).length,
        };
      }),
    );
    dir = mkdtempSync(path.join(os.tmpdir(), 'openapi-contract-'));
    const file = path.join(dir, 'openapi.json');
    writeFileSync(file, JSON.stringify(document));
    prism = await startPrismProxy(file, shop.url);
  });
  afterAll(async () => {
    await prism?.close();
    await shop?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  /** One call through Prism, remembered by the operation it reached. */
  async function call(method: string, route: string, options?: RequestOptions): Promise<CheckedAnswer> {
    const answer = await prism.request(method, route, options);
    const pathOnly = route.split('?')[0]!;
    const operation = operations
      .filter((o) => o.method === method && o.pattern.test(pathOnly))
      .sort((a, b) => a.params - b.params)[0];
    if (operation) called.add(operation.id);
    return answer;
  }

  const show = (answer: CheckedAnswer) => ({ status: answer.status, violations: answer.violations, body: answer.text.slice(0, 1000) });

  /** The call was right, and so was the answer: the status expected and no violation at all. */
  function expectValid(answer: CheckedAnswer, status: number): void {
    expect(show(answer), `Prism's output:\n${prism.output().slice(-3000)}`).toEqual({
      status,
      violations: [],
      body: answer.text.slice(0, 1000),
    });
  }

  /** A call wrong on purpose: its answer must match the document; the request shows only what was broken. */
  function expectRefused(answer: CheckedAnswer, status: number, brokenRequest?: (v: Violation) => boolean): void {
    const broken = (v: Violation) => v.location.startsWith('request') && !!brokenRequest?.(v);
    // Prism saw what was broken on purpose: proof that it validates at all.
    if (brokenRequest) expect(answer.violations.filter(broken), 'the request violation expected').not.toEqual([]);
    const unexpected = answer.violations.filter((v) => !broken(v));
    expect({ ...show(answer), violations: unexpected }, `Prism's output:\n${prism.output().slice(-3000)}`).toEqual({
      status,
      violations: [],
      body: answer.text.slice(0, 1000),
    });
    expect(answer.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  }

  /**
   * Repeats a read through Prism until `done` holds, and checks every answer on the
   * way: the first that is not a clean 200 ends the wait and fails the spec.
   */
  async function pollUntil(route: string, token: string, done: (answer: CheckedAnswer) => boolean, what: string) {
    const answer = await waitFor(
      async () => {
        const polled = await call('GET', route, { token });
        return polled.status !== 200 || polled.violations.length > 0 || done(polled) ? polled : undefined;
      },
      { what, timeoutMs: 20_000 },
    );
    expectValid(answer, 200);
    return answer;
  }

  const bearer = (token: string) => ({ token });

  /** The flows build on each other: a step whose input an earlier one failed to make fails at once, not at a deadline. */
  function needs(...values: unknown[]): void {
    if (values.some((v) => v === undefined)) throw new Error('an earlier step of the flow failed; see its error');
  }

  it('should describe the probes and the token keys', async () => {
    expectValid(await call('GET', '/health/live'), 200);
    expectValid(await call('GET', '/health/ready'), 200);
    expectValid(await call('GET', '/.well-known/jwks.json'), 200);
  });

  it('should describe registering, logging in and the profile', async () => {
    const email = `contract-${randomUUID().slice(0, 8)}@test.local`;
    const password = 'customer-password-1';
    const registered = await call('POST', '/api/v1/identity/register', { body: { email, password, name: 'Ada' } });
    expectValid(registered, 201);
    const login = await call('POST', '/api/v1/identity/login', { body: { email, password } });
    expectValid(login, 200);
    customer = { token: login.body.accessToken, id: registered.body.id, email, password };
    expectValid(await call('GET', '/api/v1/identity/me', bearer(customer.token)), 200);
    expectValid(await call('PATCH', '/api/v1/identity/me', { ...bearer(customer.token), body: { name: 'Ada L.' } }), 200);
    const adminLogin = await call('POST', '/api/v1/identity/login', { body: ADMIN });
    expectValid(adminLogin, 200);
    admin = adminLogin.body.accessToken;
  });

  it('should describe the catalog', async () => {
    needs(admin);
    const created = await call('POST', '/api/v1/catalog/products', {
      ...bearer(admin),
      body: { name: 'Contract kettle', category: 'kitchen', price: { amount: 1500, currency: 'EUR' }, tags: ['tea'] },
    });
    expectValid(created, 201);
    const productId = created.body.id as string;
    expectValid(await call('GET', `/api/v1/catalog/products/${productId}`), 200);
    expectValid(await call('GET', '/api/v1/catalog/products?q=kettle&category=kitchen&page=1&pageSize=5'), 200);
    expectValid(await call('PATCH', `/api/v1/catalog/products/${productId}`, { ...bearer(admin), body: { description: 'Boils' } }), 200);
    product = productId;
  });

  it('should describe create-or-replace: 201 when new, then 200', async () => {
    needs(admin, product);
    const sku = `SKU-${randomUUID().slice(0, 8)}`;
    const stock = { productId: product, quantity: 10, location: 'A-1' };
    expectValid(await call('PUT', `/api/v1/inventory/${sku}`, { ...bearer(admin), body: stock }), 201);
    expectValid(await call('PUT', `/api/v1/inventory/${sku}`, { ...bearer(admin), body: { ...stock, quantity: 12 } }), 200);
    expectValid(await call('GET', `/api/v1/inventory/${sku}`, bearer(admin)), 200);

    const shipping = { weightGrams: 800, lengthMm: 200, widthMm: 150, heightMm: 250, hazardous: false };
    expectValid(await call('PUT', `/api/v1/shipping/items/${product}`, { ...bearer(admin), body: shipping }), 201);
    expectValid(await call('PUT', `/api/v1/shipping/items/${product}`, { ...bearer(admin), body: { ...shipping, weightGrams: 900 } }), 200);
    expectValid(await call('GET', `/api/v1/shipping/items/${product}`, bearer(admin)), 200);
    item = { productId: product, sku, price: 1500 };
  });

  it('should describe placing an order, its Location, and following it to CONFIRMED', async () => {
    needs(customer, item);
    const key = randomUUID();
    const body = orderBody([{ item, quantity: 2 }]);
    const placed = await call('POST', '/api/v1/orders', { ...bearer(customer.token), body, headers: { 'idempotency-key': key } });
    expectValid(placed, 202);
    const location = placed.headers.get('location')!;
    expect(location).toBe(`/api/v1/orders/${placed.body.id}`);
    const repeated = await call('POST', '/api/v1/orders', { ...bearer(customer.token), body, headers: { 'idempotency-key': key } });
    expectValid(repeated, 202);
    expect(repeated.body.id).toBe(placed.body.id);

    const settled = ['CONFIRMED', 'CANCELLED'];
    const followed = await pollUntil(location, customer.token, (a) => settled.includes(a.body.status), 'the order to settle');
    expect(followed.body).toMatchObject({ status: 'CONFIRMED', userName: 'Ada L.', degraded: [] });
    order = followed.body;
    expectValid(await call('GET', '/api/v1/orders?page=1&pageSize=10', bearer(customer.token)), 200);
  });

  it('should describe the confirmed order seen from shipping, payments and notifications', async () => {
    needs(customer, admin, order);
    expectValid(await call('GET', `/api/v1/shipping/shipments/${order.shipment!.id}`, bearer(customer.token)), 200);
    expectValid(await call('GET', `/api/v1/payments/orders/${order.id}`, bearer(admin)), 200);
    await pollUntil(
      '/api/v1/notifications?pageSize=50',
      customer.token,
      (a) => (a.body.items as { template: string }[]).some((n) => n.template === 'order_confirmed'),
      'the order confirmation to be sent',
    );
  });

  it('should describe the 409 of cancelling a confirmed order', async () => {
    needs(customer, order);
    const cancel = await call('POST', `/api/v1/orders/${order.id}/cancel`, bearer(customer.token));
    expectRefused(cancel, 409);
    expect(cancel.body.code).toBe('ORDERING.ORDER_NOT_CANCELLABLE');
  });

  it('should describe the checkouts, reports and their rebuild', async () => {
    needs(admin, order);
    expectValid(await call('GET', '/api/v1/orders/checkouts?state=CONFIRMED&pageSize=10', bearer(admin)), 200);
    expectRefused(await call('POST', `/api/v1/orders/checkouts/${randomUUID()}/retry`, bearer(admin)), 409);
    await pollUntil(
      '/api/v1/reporting/orders?status=CONFIRMED&pageSize=100',
      admin,
      (a) => (a.body.items as { orderId: string }[]).some((row) => row.orderId === order.id),
      'the order in the reporting summaries',
    );
    const today = new Date().toISOString().slice(0, 10);
    expectValid(await call('GET', `/api/v1/reporting/sales?from=${today}&to=${today}`, bearer(admin)), 200);
    expectValid(await call('POST', '/api/v1/reporting/rebuild', bearer(admin)), 202);
  });

  it('should describe dead letters, their re-drive and a replay', async () => {
    needs(admin);
    const since = new Date(Date.now() - 60_000).toISOString();
    const email = `unreachable-${randomUUID().slice(0, 8)}@test.local`;
    sender.unreachable.add(email);
    expectValid(await call('POST', '/api/v1/identity/register', { body: { email, password: 'customer-password-1', name: 'Bo' } }), 201);
    await pollUntil(
      '/ops/events/dead-letters?consumer=notifications',
      admin,
      (a) => (a.body.items as { envelope: { payload: { email?: string } } }[]).some((l) => l.envelope.payload.email === email),
      'the welcome to be dead-lettered',
    );
    sender.heal();
    const redrive = await call('POST', '/ops/events/dead-letters/redrive', { ...bearer(admin), body: { consumer: 'notifications' } });
    expectValid(redrive, 202);
    expect(redrive.body.redriven).toBe(1);
    expectValid(await call('GET', '/ops/events/dead-letters?consumer=notifications&includeRedriven=true&limit=10', bearer(admin)), 200);
    const replay = await call('POST', '/ops/events/replay', {
      ...bearer(admin),
      body: { publisher: 'identity', subscriber: 'notifications', types: ['identity.UserRegistered'], since },
    });
    expectValid(replay, 202);
  });

  describe('error answers', () => {
    const inBody = (v: Violation) => v.location.startsWith('request.body');
    beforeAll(() => needs(admin, customer));

    it('should describe a 400 naming the bad fields of a body and of a query', async () => {
      const body = await call('POST', '/api/v1/identity/register', { body: { email: 'not-an-email', password: 'short', name: '' } });
      expectRefused(body, 400, inBody);
      expect(body.body.code).toBe('VALIDATION_FAILED');
      const query = await call('GET', '/api/v1/catalog/products?pageSize=0');
      expectRefused(query, 400, (v) => v.location.startsWith('request.query'));
    });

    it('should describe the 400 of a NUL character in a string', async () => {
      const answer = await call('POST', '/api/v1/catalog/products', {
        ...bearer(admin),
        body: { name: 'Ket\u0000tle', category: 'kitchen', price: { amount: 1500, currency: 'EUR' } },
      });
      expectRefused(answer, 400);
      expect(answer.body.errors).toEqual([expect.objectContaining({ field: 'name' })]);
    });

    it('should describe the 401 of a missing token, and its WWW-Authenticate', async () => {
      const answer = await call('GET', '/api/v1/identity/me');
      expectRefused(answer, 401, (v) => v.code === 401);
      expect(answer.headers.get('www-authenticate')).toBe('Bearer');
    });

    it('should describe the 403 of a customer on an admin route', async () => {
      const answer = await call('POST', '/api/v1/catalog/products', {
        ...bearer(customer.token),
        body: { name: 'Not mine to sell', category: 'kitchen', price: { amount: 100, currency: 'EUR' } },
      });
      expectRefused(answer, 403);
    });

    it('should describe the 404 of an id that names nothing', async () => {
      expectRefused(await call('GET', `/api/v1/catalog/products/${randomUUID()}`), 404);
      expectRefused(await call('GET', `/api/v1/orders/${randomUUID()}`, bearer(customer.token)), 404);
    });

    it('should describe the 409 of an email already registered', async () => {
      const answer = await call('POST', '/api/v1/identity/register', {
        body: { email: customer.email, password: customer.password, name: 'Again' },
      });
      expectRefused(answer, 409);
      expect(answer.body.code).toBe('IDENTITY.EMAIL_TAKEN');
    });

    it('should describe the 415 of a body that is not JSON', async () => {
      const answer = await call('POST', '/api/v1/identity/login', {
        rawBody: `email=${customer.email}`,
        headers: { 'content-type': 'text/plain' },
      });
      expectRefused(answer, 415, (v) => v.code === 415);
      expect(answer.body.code).toBe('UNSUPPORTED_MEDIA_TYPE');
    });

    it('should describe the 413 of a body over the limit', async () => {
      const answer = await call('POST', '/api/v1/identity/login', {
        rawBody: JSON.stringify({ email: customer.email, password: 'x'.repeat(1_100_000) }),
      });
      expectRefused(answer, 413, inBody);
    });
  });

  it('should have driven every operation of the document', () => {
    expect(operations.map((o) => o.id).filter((id) => !called.has(id))).toEqual([]);
  });

  // Last: once refused, this caller may not log in for a while.
  it('should describe the 429 of repeated failed log-ins, and its Retry-After', async () => {
    // Each failure is checked too: the first answer that is not a clean 401 ends the wait.
    const refused = await waitFor(
      async () => {
        const answer = await call('POST', '/api/v1/identity/login', { body: { email: customer.email, password: 'wrong-password' } });
        return answer.status === 401 && answer.violations.length === 0 ? undefined : answer;
      },
      { what: 'the log-in throttle to refuse', timeoutMs: 20_000, intervalMs: 0 },
    );
    expectRefused(refused, 429);
    expect(refused.headers.get('retry-after')).toMatch(/^[0-9]+$/);
  });
});
