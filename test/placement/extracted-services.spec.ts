import { randomUUID } from 'node:crypto';
import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ServiceTokenSigner } from '../../src/platform/auth/service-credentials.js';
import { orderBody, placeOrder, sellable } from '../support/checkout-fixture.js';
import { httpClient, type HttpClient } from '../support/http-client.js';
import { startPlacement, type Placement } from '../support/placement.js';
import { waitFor } from '../support/wait-for.js';

const SERVICE_TOKEN_SECRET = `extracted-services-${randomUUID()}`;

/**
 * Every module but ordering in its own service: who may call the internal RPC
 * endpoint, and events whose consumer's process is down.
 */
describe('extracted services', () => {
  let shop: Placement;
  let payments: HttpClient;
  let admin: string;

  beforeAll(async () => {
    // notifications' service has never run when the shop starts taking orders.
    shop = await startPlacement('all-but-ordering', { env: { SERVICE_TOKEN_SECRET }, notStarted: ['notifications'] });
    payments = httpClient(shop.info.processes.find((p) => p.name === 'payments')!.url);
    admin = await shop.adminToken();
  }, 120_000);
  afterAll(async () => {
    await shop?.stop();
  });

  describe('events for a consumer that has never started', () => {
    it('should keep an event for a consumer whose service has never run, and deliver it once when it first starts', async () => {
      const kettle = await sellable(shop.http, admin, { stock: 10 });
      const customer = await shop.customer('First');
      const placed = await placeOrder(shop.http, customer.token, orderBody([{ item: kettle, quantity: 1 }]));
      await waitFor(
        async () => (await shop.sql("SELECT 1 FROM ordering.outbox WHERE type = 'ordering.OrderConfirmed' AND published_at IS NOT NULL AND payload->>'orderId' = $1", [placed.body.id])).length === 1,
        { what: "ordering's relay to hand OrderConfirmed to notifications' queue" },
      );
      const sent = async () =>
        (await shop.sql<{ template: string }>('SELECT template FROM notifications.notifications WHERE recipient_user_id = $1 ORDER BY template', [customer.id])).map((r) => r.template);
      expect(await sent()).toEqual([]);
      await shop.restart('notifications'); // its first start
      await waitFor(async () => (await sent()).includes('order_confirmed'), { what: 'the confirmation, once notifications runs' });
      // The welcome (identity's UserRegistered) and the shipment's tracking number waited too; each once.
      await waitFor(async () => (await sent()).length === 3, { what: 'every waiting notification' });
      expect(await sent()).toEqual(['order_confirmed', 'shipment_created', 'welcome']);
    }, 90_000);
  });

  describe('the internal RPC endpoint', () => {
    const call = (headers: Record<string, string> = {}, token?: string) =>
      payments.post('/internal/rpc/payments.GetPayment', { token, headers, body: { orderId: randomUUID() } });

    it('should answer a call that carries a service credential', async () => {
      const token = await new ServiceTokenSigner(SERVICE_TOKEN_SECRET, 'ordering').tokenFor(undefined);
      const answer = await call({}, token);
      expect(answer.status).toBe(200);
      expect(answer.body).toEqual({ result: null });
    });

    it('should answer 401 to a call without a service credential', async () => {
      const answer = await call();
      expect(answer.status).toBe(401);
      expect(answer.body.error).toMatchObject({ code: 'PLATFORM.SERVICE_CREDENTIAL_REQUIRED', kind: 'unauthorized' });
    });

    it("should answer 401 to a user's valid access token, even an admin's", async () => {
      const customer = await shop.customer();
      for (const token of [customer.token, admin]) {
        const answer = await call({}, token);
        expect(answer.status).toBe(401);
        expect(answer.body.error.code).toBe('PLATFORM.SERVICE_CREDENTIAL_INVALID');
      }
    });

    it('should answer 401 to a forged end-user identity: signed with another key, or altered after signing', async () => {
      const admin = { id: randomUUID(), email: 'root@shop.test', roles: ['admin'] };
      const otherKey = await new SignJWT({ user: admin })
        .setProtectedHeader({ alg: 'HS256' })
        .setIssuer('urn:shop:services')
        .setAudience('internal')
        .setSubject('ordering')
        .setIssuedAt()
        .setExpirationTime('1m')
        .sign(new TextEncoder().encode(`not-the-secret-${randomUUID()}`));
      expect((await call({}, otherKey)).status).toBe(401);

      const genuine = await new ServiceTokenSigner(SERVICE_TOKEN_SECRET, 'ordering').tokenFor({ userId: randomUUID(), email: 'c@shop.test', roles: ['customer'] });
      const [header, payload, signature] = genuine.split('.') as [string, string, string];
      const claims = JSON.parse(Buffer.from(payload, 'base64url').toString());
      const altered = `${header}.${Buffer.from(JSON.stringify({ ...claims, user: admin })).toString('base64url')}.${signature}`;
      const answer = await call({}, altered);
      expect(answer.status).toBe(401);
      expect(answer.body.error.code).toBe('PLATFORM.SERVICE_CREDENTIAL_INVALID');

      // A header claiming to be someone is not an identity at all: only the signed credential is read.
      expect((await call({ 'x-end-user': JSON.stringify(admin) })).status).toBe(401);
    });

    describe('a batch of calls', () => {
      const service = (user?: { userId: string; email: string; roles: string[] }) => new ServiceTokenSigner(SERVICE_TOKEN_SECRET, 'ordering').tokenFor(user);
      const batch = (body: unknown, token?: string) => payments.post('/internal/rpc/payments.GetPayment/batch', { token, body });
      const lookup = async (extra: Record<string, unknown> = {}) => ({ credential: await service(), deadlineMs: 2_000, message: { orderId: randomUUID() }, ...extra });

      it('should answer each call of a batch on its own, in order: a good one, a forged credential, one past its deadline', async () => {
        const forged = `${(await service()).slice(0, -4)}AAAA`;
        const answer = await batch({ calls: [await lookup(), await lookup({ credential: forged }), await lookup({ deadlineMs: 0 }), await lookup()] }, await service());
        expect(answer.status).toBe(200);
        expect(answer.body.answers).toHaveLength(4);
        expect(answer.body.answers[0]).toEqual({ result: null });
        expect(answer.body.answers[1].error).toMatchObject({ code: 'PLATFORM.SERVICE_CREDENTIAL_INVALID', kind: 'unauthorized' });
        expect(answer.body.answers[2].error).toMatchObject({ code: 'PLATFORM.CONTRACT_CALL_TIMEOUT', kind: 'unavailable' });
        expect(answer.body.answers[3]).toEqual({ result: null });
        // The access log counts the calls the request carried.
        await waitFor(
          async () => (await shop.logsNow('payments')).some((line) => line.url === '/internal/rpc/payments.GetPayment/batch' && line.calls === 4),
          { what: "payments' access-log line of the batch" },
        );
      });

      it("should refuse a batch without a sender's service credential, or with a user's token, before reading it", async () => {
        const customer = await shop.customer();
        for (const token of [undefined, customer.token, admin]) {
          const answer = await batch({ calls: [await lookup()] }, token);
          expect(answer.status).toBe(401);
          expect(answer.body.error.kind).toBe('unauthorized');
        }
      });

      it('should answer 400 naming the field to a batch that is not one, and 404 to a contract not hosted here', async () => {
        const token = await service();
        for (const body of [{}, { calls: [] }, { calls: [{ deadlineMs: 'soon', message: {} }] }, { calls: Array.from({ length: 257 }, () => ({})) }, [1, 2]]) {
          const answer = await batch(body, token);
          expect(answer.status, JSON.stringify(body).slice(0, 80)).toBe(400);
          expect(answer.body.error).toMatchObject({ code: 'PLATFORM.MALFORMED_MESSAGE', kind: 'invalid' });
        }
        const misnamed = await batch({ calls: [{ deadlineMs: 'soon', message: {} }] }, token);
        expect(misnamed.body.error.message).toMatch(/calls\.0\.credential/);
        expect(misnamed.body.error.message).toMatch(/calls\.0\.deadlineMs/);
        const elsewhere = await payments.post('/internal/rpc/inventory.GetStockItems/batch', { token, body: { calls: [await lookup()] } });
        expect(elsewhere.status).toBe(404);
        expect(elsewhere.body.error.code).toBe('PLATFORM.UNKNOWN_CONTRACT');
      });
    });

    it('should not be reachable under the public API, and not be documented there', async () => {
      const token = await new ServiceTokenSigner(SERVICE_TOKEN_SECRET, 'ordering').tokenFor(undefined);
      expect((await payments.post('/api/v1/internal/rpc/payments.GetPayment', { token, body: { orderId: randomUUID() } })).status).toBe(404);
      const document = await payments.get('/docs/openapi.json');
      expect(Object.keys(document.body.paths).filter((p) => p.includes('internal'))).toEqual([]);
    });
  });

  describe('the same callers, another placement', () => {
    it("should carry the checkout saga's unchanged calls to each module's own service over internal RPC", async () => {
      const kettle = await sellable(shop.http, admin, { stock: 5 });
      const customer = await shop.customer();
      const placed = await placeOrder(shop.http, customer.token, orderBody([{ item: kettle, quantity: 1 }]));
      await waitFor(
        async () => (await shop.sql("SELECT 1 FROM ordering.orders WHERE id = $1 AND status = 'CONFIRMED'", [placed.body.id])).length === 1,
        { what: 'the order to confirm' },
      );
      const served = async (process: string) =>
        new Set(
          (await shop.logsNow(process))
            .filter((line) => line.msg === 'request completed' && line.statusCode === 200 && String(line.url).startsWith('/internal/rpc/'))
            .map((line) => String(line.url).slice('/internal/rpc/'.length).replace(/\/batch$/, '')),
        );
      // The saga in the monolith calls ContractBus exactly as in one process; the placement sent each call to its module's service.
      // (A service writes its access line as the answer leaves, so the last one may trail the order's confirmation.)
      const expected: [string, string][] = [
        ['inventory', 'inventory.ReserveStock'],
        ['inventory', 'inventory.CommitStock'],
        ['payments', 'payments.ProcessPayment'],
        ['shipping', 'shipping.CreateShipment'],
        ['catalog', 'catalog.GetProducts'],
      ];
      for (const [process, wireName] of expected) {
        await waitFor(async () => (await served(process)).has(wireName), { what: `${process}'s access-log line of ${wireName}` });
      }
      // And no service answered another module's contract.
      for (const process of shop.info.processes.filter((p) => p.name !== 'monolith')) {
        expect([...(await served(process.name))].every((wireName) => wireName.startsWith(`${process.name}.`)), process.name).toBe(true);
      }
    });
  });

  describe('events whose consumer is down', () => {
    it("should deliver an event published while its consumer's service is stopped, once, after it starts", async () => {
      const kettle = await sellable(shop.http, admin, { stock: 10 });
      const customer = await shop.customer('Patience');
      const confirmations = async () =>
        (await shop.sql<{ n: number }>("SELECT count(*)::int AS n FROM notifications.notifications WHERE template = 'order_confirmed' AND recipient_user_id = $1", [customer.id]))[0]!.n;
      await shop.kill('notifications', 'SIGKILL');
      let orderId: string;
      try {
        // Checkout needs no notification: the order confirms while notifications is away.
        const placed = await placeOrder(shop.http, customer.token, orderBody([{ item: kettle, quantity: 1 }]));
        orderId = placed.body.id;
        await waitFor(
          async () => (await shop.sql("SELECT 1 FROM ordering.orders WHERE id = $1 AND status = 'CONFIRMED'", [orderId])).length === 1,
          { what: 'the order to confirm' },
        );
        // ordering's relay has handed OrderConfirmed over, to notifications' queue.
        await waitFor(
          async () => (await shop.sql("SELECT 1 FROM ordering.outbox WHERE type = 'ordering.OrderConfirmed' AND published_at IS NOT NULL AND payload->>'orderId' = $1", [orderId])).length === 1,
          { what: "ordering's relay to hand the event over" },
        );
        expect(await confirmations()).toBe(0);
      } finally {
        await shop.restart('notifications');
      }
      await waitFor(async () => (await confirmations()) > 0, { what: 'the confirmation after notifications starts' });
      // Once: the inbox absorbs any redelivery; give a redelivery every chance to show up first.
      await waitFor(async () => (await shop.sql("SELECT 1 FROM notifications.inbox WHERE subscription = 'notifications.ConfirmOrderToCustomer'")).length > 0, { what: 'the inbox entry' });
      expect(await confirmations()).toBe(1);
    }, 90_000);
  });
});
