import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ContractBus } from '../../platform/dispatch/contract-bus.js';
import { startTestApp, type TestApp } from '../../../test/support/test-app.js';
import { CreateShipment, GetShipment, type ShipmentLine, type ShippingAddress } from './contract.js';

const BERLIN: ShippingAddress = { name: 'Ada L.', line1: 'Hauptstr. 1', city: 'Berlin', postalCode: '10115', country: 'DE' };
const PARIS: ShippingAddress = { name: 'Ada L.', line1: '1 rue de Rivoli', city: 'Paris', postalCode: '75001', country: 'FR' };
const TOKYO: ShippingAddress = { name: 'Ada L.', line1: '1-1 Chiyoda', city: 'Tokyo', postalCode: '100-0001', country: 'JP' };
const MUG = { weightGrams: 350, lengthMm: 120, widthMm: 90, heightMm: 100, hazardous: false };
const LIGHTER_FLUID = { weightGrams: 200, lengthMm: 60, widthMm: 40, heightMm: 150, hazardous: true };

describe('shipping', () => {
  let shop: TestApp;
  let admin: string;
  let bus: ContractBus;
  let customer: { token: string; id: string };

  beforeAll(async () => {
    shop = await startTestApp();
    admin = await shop.adminToken();
    bus = shop.app.get(ContractBus);
    customer = await shop.customer('Ada');
  });
  afterAll(async () => {
    await shop.close();
  });

  const newProduct = async (name: string): Promise<string> => {
    const answer = await shop.http.post('/api/v1/catalog/products', {
      token: admin,
      body: { name, category: 'kitchen', price: { amount: 1200, currency: 'EUR' } },
    });
    expect(answer.status).toBe(201);
    return answer.body.id as string;
  };
  const setItem = (productId: string, body: object, token = admin) =>
    shop.http.put(`/api/v1/shipping/items/${productId}`, { token, body });
  const shippable = async (name: string, data: object): Promise<string> => {
    const productId = await newProduct(name);
    expect((await setItem(productId, data)).status).toBe(201);
    return productId;
  };
  const createShipment = (orderId: string, address: ShippingAddress, lines: ShipmentLine[], userId = customer.id) =>
    bus.execute(new CreateShipment(orderId, userId, address, lines));
  const stored = async (orderId: string) => ({
    shipments: await shop.database!.sql('SELECT * FROM shipping.shipments WHERE order_id = $1', [orderId]),
    events: await shop.database!.sql(
      "SELECT payload FROM shipping.outbox WHERE type = 'shipping.ShipmentCreated' AND payload->>'orderId' = $1",
      [orderId],
    ),
  });

  describe('shippable items', () => {
    it('should record a product (201), replace it (200) and read it back', async () => {
      const productId = await newProduct('Teapot');
      const created = await setItem(productId, MUG);
      expect(created.status).toBe(201);
      expect(created.body).toMatchObject({ productId, ...MUG });
      const updated = await setItem(productId, { ...MUG, weightGrams: 900, hazardous: true });
      expect(updated.status).toBe(200);
      const read = await shop.http.get(`/api/v1/shipping/items/${productId}`, { token: admin });
      expect(read.status).toBe(200);
      expect(read.body).toMatchObject({ productId, weightGrams: 900, hazardous: true });
    });

    it('should name every bad field', async () => {
      const answer = await setItem('not-a-uuid', { weightGrams: 0, lengthMm: 1.5, widthMm: -3, hazardous: 'no', colour: 'red' });
      expect(answer.status).toBe(400);
      expect((answer.body.errors as { field: string }[]).map((e) => e.field).sort()).toEqual([
        'colour',
        'hazardous',
        'heightMm',
        'lengthMm',
        'productId',
        'weightGrams',
        'widthMm',
      ]);
    });

    it('should refuse a product the catalog does not know (400), storing nothing', async () => {
      const ghost = randomUUID();
      const answer = await setItem(ghost, MUG);
      expect(answer.status).toBe(400);
      expect(answer.body).toMatchObject({ code: 'SHIPPING.UNKNOWN_PRODUCT', errors: [{ field: 'productId' }] });
      expect(await shop.database!.sql('SELECT 1 FROM shipping.shippable_items WHERE product_id = $1', [ghost])).toHaveLength(0);
      expect((await shop.http.get(`/api/v1/shipping/items/${ghost}`, { token: admin })).status).toBe(404);
    });

    it('should answer 503 when catalog cannot confirm the product', async () => {
      const productId = await newProduct('Saucer');
      await shop.database!.sql('ALTER TABLE catalog.products RENAME TO products_gone');
      try {
        const answer = await setItem(productId, MUG);
        expect(answer.status).toBe(503);
        expect(answer.body.code).toBe('SHIPPING.CATALOG_UNAVAILABLE');
      } finally {
        await shop.database!.sql('ALTER TABLE catalog.products_gone RENAME TO products');
      }
    });

    it('should be for admins only', async () => {
      const productId = await newProduct('Bowl');
      expect((await setItem(productId, MUG, customer.token)).status).toBe(403);
      expect((await shop.http.get(`/api/v1/shipping/items/${productId}`, { token: customer.token })).status).toBe(403);
    });
  });

  describe('CreateShipment', () => {
    it('should create one shipment with a tracking number, and one ShipmentCreated, however often it is called', async () => {
      const mug = await shippable('Mug', MUG);
      const orderId = randomUUID();
      const lines = [{ productId: mug, sku: 'MUG-1', quantity: 3 }];
      const first = await createShipment(orderId, PARIS, lines);
      expect(first).toMatchObject({
        orderId,
        userId: customer.id,
        status: 'CREATED',
        carrier: 'UPS',
        totalWeightGrams: 1050,
        hazardous: false,
        address: PARIS,
        lines,
      });
      expect(first.trackingNumber).toMatch(/^SHP-[A-Z2-7]{12}$/);
      expect(await createShipment(orderId, PARIS, lines)).toEqual(first);
      expect(await bus.query(new GetShipment(first.id))).toEqual(first);
      const { shipments, events } = await stored(orderId);
      expect(shipments).toHaveLength(1);
      expect(events.map((e) => e.payload)).toEqual([
        { shipmentId: first.id, orderId, userId: customer.id, trackingNumber: first.trackingNumber, carrier: 'UPS' },
      ]);
    });

    it('should create exactly one shipment when called 10 times at once', async () => {
      const mug = await shippable('Concurrent mug', MUG);
      const orderId = randomUUID();
      const answers = await Promise.all(
        Array.from({ length: 10 }, () => createShipment(orderId, BERLIN, [{ productId: mug, sku: 'MUG-C', quantity: 1 }])),
      );
      expect(new Set(answers.map((a) => a.id)).size).toBe(1);
      expect(new Set(answers.map((a) => a.trackingNumber)).size).toBe(1);
      const { shipments, events } = await stored(orderId);
      expect(shipments).toHaveLength(1);
      expect(events).toHaveLength(1);
    });

    it('should give different orders different tracking numbers', async () => {
      const mug = await shippable('Another mug', MUG);
      const line = [{ productId: mug, sku: 'MUG-2', quantity: 1 }];
      const a = await createShipment(randomUUID(), BERLIN, line);
      const b = await createShipment(randomUUID(), BERLIN, line);
      expect(a.trackingNumber).not.toBe(b.trackingNumber);
      expect(a.carrier).toBe('DHL');
    });

    it('should refuse lines without shipping data, naming each line, and store nothing', async () => {
      const mug = await shippable('Known mug', MUG);
      const unknown = await newProduct('Mystery box');
      const orderId = randomUUID();
      const lines = [
        { productId: mug, sku: 'MUG-3', quantity: 1 },
        { productId: unknown, sku: 'BOX-1', quantity: 1 },
      ];
      await expect(createShipment(orderId, BERLIN, lines)).rejects.toMatchObject({
        code: 'SHIPPING.NOT_SHIPPABLE',
        kind: 'unprocessable',
        fields: [expect.objectContaining({ field: 'lines.1.productId' })],
      });
      expect(await stored(orderId)).toEqual({ shipments: [], events: [] });
    });

    it('should refuse a destination it does not serve, and store nothing', async () => {
      const mug = await shippable('Travel mug', MUG);
      const orderId = randomUUID();
      await expect(createShipment(orderId, TOKYO, [{ productId: mug, sku: 'MUG-4', quantity: 1 }])).rejects.toMatchObject({
        code: 'SHIPPING.NOT_SHIPPABLE',
        fields: [expect.objectContaining({ field: 'address.country' })],
      });
      expect(await stored(orderId)).toEqual({ shipments: [], events: [] });
    });

    it('should ship hazardous goods within the home country only', async () => {
      const mug = await shippable('Plain mug', MUG);
      const fluid = await shippable('Lighter fluid', LIGHTER_FLUID);
      const lines = [
        { productId: mug, sku: 'MUG-5', quantity: 2 },
        { productId: fluid, sku: 'FLUID-1', quantity: 2 },
      ];
      const abroad = randomUUID();
      await expect(createShipment(abroad, PARIS, lines)).rejects.toMatchObject({
        code: 'SHIPPING.NOT_SHIPPABLE',
        fields: [expect.objectContaining({ field: 'lines.1.productId' })],
      });
      expect(await stored(abroad)).toEqual({ shipments: [], events: [] });

      const home = randomUUID();
      const shipment = await createShipment(home, BERLIN, lines);
      expect(shipment).toMatchObject({ hazardous: true, carrier: 'DHL', totalWeightGrams: 2 * 350 + 2 * 200 });
      expect((await stored(home)).events).toHaveLength(1);
    });

    it('should reject a malformed command, naming the fields', async () => {
      await expect(
        createShipment('nope', { ...BERLIN, country: 'de' }, [{ productId: randomUUID(), sku: 'X', quantity: 0 }]),
      ).rejects.toMatchObject({
        code: 'SHIPPING.INVALID_SHIPMENT_REQUEST',
        fields: [
          expect.objectContaining({ field: 'orderId' }),
          expect.objectContaining({ field: 'address.country' }),
          expect.objectContaining({ field: 'lines.0.quantity' }),
        ],
      });
    });
  });

  describe('tracking', () => {
    let shipmentId: string;
    beforeAll(async () => {
      const mug = await shippable('Tracked mug', MUG);
      shipmentId = (await createShipment(randomUUID(), BERLIN, [{ productId: mug, sku: 'MUG-T', quantity: 1 }])).id;
    });
    const track = (id: string, token: string) => shop.http.get(`/api/v1/shipping/shipments/${id}`, { token });

    it("should show the shipment to its own customer and to admins", async () => {
      const own = await track(shipmentId, customer.token);
      expect(own.status).toBe(200);
      expect(own.body).toMatchObject({ id: shipmentId, userId: customer.id, trackingNumber: expect.stringMatching(/^SHP-/) });
      expect((await track(shipmentId, admin)).status).toBe(200);
    });

    it("should answer 404 to another customer, exactly as for a shipment that does not exist", async () => {
      const other = await shop.customer('Eve');
      const foreign = await track(shipmentId, other.token);
      const missing = await track(randomUUID(), other.token);
      expect(foreign.status).toBe(404);
      expect(missing.status).toBe(404);
      expect(foreign.body.code).toBe(missing.body.code);
    });

    it('should answer 400 for a malformed id and 401 without a token', async () => {
      const answer = await track('12345', customer.token);
      expect(answer.status).toBe(400);
      expect(answer.body.errors).toEqual([expect.objectContaining({ field: 'id' })]);
      expect((await shop.http.get(`/api/v1/shipping/shipments/${shipmentId}`)).status).toBe(401);
    });
  });
});
