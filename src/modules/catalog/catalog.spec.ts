import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ContractBus } from '../../platform/dispatch/contract-bus.js';
import { startTestApp, type TestApp } from '../../../test/support/test-app.js';
import { GetProduct, GetProducts } from './contract.js';

const lamp = {
  name: 'Brass desk lamp',
  description: 'A warm reading light with a heavy brass base',
  images: ['https://img.example.com/lamp.jpg'],
  category: 'lighting',
  tags: ['brass', 'desk'],
  price: { amount: 4999, currency: 'EUR' },
};

describe('catalog', () => {
  let shop: TestApp;
  let admin: string;
  beforeAll(async () => {
    shop = await startTestApp();
    admin = await shop.adminToken();
  });
  afterAll(async () => {
    await shop.close();
  });

  const create = (body: object) => shop.http.post('/api/v1/catalog/products', { token: admin, body });

  describe('CreateProduct', () => {
    it('should let an admin create a product that anyone can then read', async () => {
      const created = await create(lamp);
      expect(created.status).toBe(201);
      expect(created.body).toMatchObject({ ...lamp, id: expect.any(String) });
      const read = await shop.http.get(`/api/v1/catalog/products/${created.body.id}`);
      expect(read.status).toBe(200);
      expect(read.body).toEqual(created.body);
    });

    it('should reject bad input with every bad field named and store nothing', async () => {
      const before = await shop.database!.sql<{ n: string }>('SELECT count(*) AS n FROM catalog.products');
      const answer = await create({ ...lamp, name: '', price: { amount: 12.5, currency: 'euro' }, images: ['nope'] });
      expect(answer.status).toBe(400);
      const fields = (answer.body.errors as { field: string }[]).map((e) => e.field).sort();
      expect(fields).toEqual(['images.0', 'name', 'price.amount', 'price.currency']);
      const after = await shop.database!.sql<{ n: string }>('SELECT count(*) AS n FROM catalog.products');
      expect(after[0]!.n).toBe(before[0]!.n);
    });
  });

  describe('UpdateProduct', () => {
    it('should change only the given fields', async () => {
      const { body: product } = await create(lamp);
      const answer = await shop.http.patch(`/api/v1/catalog/products/${product.id}`, {
        token: admin,
        body: { price: { amount: 3999, currency: 'EUR' } },
      });
      expect(answer.status).toBe(200);
      expect(answer.body).toMatchObject({ name: lamp.name, price: { amount: 3999, currency: 'EUR' } });
      expect(Date.parse(answer.body.updatedAt)).toBeGreaterThanOrEqual(Date.parse(product.updatedAt));
    });

    it('should answer 404 for an unknown product and 400 for an empty change', async () => {
      const missing = await shop.http.patch('/api/v1/catalog/products/00000000-0000-4000-8000-000000000000', {
        token: admin,
        body: { name: 'x' },
      });
      expect(missing.status).toBe(404);
      expect(missing.body.code).toBe('CATALOG.PRODUCT_NOT_FOUND');
      const { body: product } = await create(lamp);
      const empty = await shop.http.patch(`/api/v1/catalog/products/${product.id}`, { token: admin, body: {} });
      expect(empty.status).toBe(400);
    });
  });

  describe('GetProduct', () => {
    it('should answer 404 for an unknown id and 400 for an id that is not a UUID', async () => {
      expect((await shop.http.get('/api/v1/catalog/products/00000000-0000-4000-8000-000000000000')).status).toBe(404);
      const bad = await shop.http.get('/api/v1/catalog/products/42');
      expect(bad.status).toBe(400);
      expect(bad.body.errors).toEqual([{ field: 'id', message: 'must be a UUID' }]);
    });
  });

  describe('SearchProducts', () => {
    it('should page through products and find them by full-text search, category and tag', async () => {
      const tag = `t${Date.now()}`;
      await create({ ...lamp, name: 'Oak bookcase', description: 'Solid oak, five shelves', category: 'furniture', tags: [tag] });
      await create({ ...lamp, name: 'Pine bookcases', description: 'Three shelves of pine', category: 'furniture', tags: [tag] });
      await create({ ...lamp, name: 'Walnut table', description: 'Dining table', category: 'furniture', tags: [tag] });

      const search = await shop.http.get('/api/v1/catalog/products?q=bookcase');
      expect(search.status).toBe(200);
      // English stemming: "bookcase" and "bookcases" both match; the table does not.
      expect((search.body.items as { name: string }[]).map((p) => p.name).sort()).toEqual([
        'Oak bookcase',
        'Pine bookcases',
      ]);

      const page1 = await shop.http.get(`/api/v1/catalog/products?tag=${tag}&pageSize=2&page=1`);
      const page2 = await shop.http.get(`/api/v1/catalog/products?tag=${tag}&pageSize=2&page=2`);
      expect(page1.body).toMatchObject({ page: 1, pageSize: 2, total: 3 });
      expect(page1.body.items).toHaveLength(2);
      expect(page2.body.items).toHaveLength(1);
      const ids = [...page1.body.items, ...page2.body.items].map((p: { id: string }) => p.id);
      expect(new Set(ids).size).toBe(3);

      const byCategory = await shop.http.get('/api/v1/catalog/products?category=furniture&q=oak');
      expect(byCategory.body.items.map((p: { name: string }) => p.name)).toEqual(['Oak bookcase']);
    });

    it('should reject bad paging parameters', async () => {
      const answer = await shop.http.get('/api/v1/catalog/products?page=0&pageSize=1000&sort=name');
      expect(answer.status).toBe(400);
      expect((answer.body.errors as { field: string }[]).map((e) => e.field).sort()).toEqual(['page', 'pageSize', 'sort']);
    });
  });

  describe('contract', () => {
    it('should answer GetProduct and a batched GetProducts through the contract bus', async () => {
      const a = (await create({ ...lamp, name: 'A' })).body;
      const b = (await create({ ...lamp, name: 'B' })).body;
      const bus = shop.app.get(ContractBus);
      expect(await bus.query(new GetProduct(a.id))).toEqual(a);
      expect(await bus.query(new GetProduct('00000000-0000-4000-8000-000000000000'))).toBeNull();
      const batch = await bus.query(new GetProducts([a.id, b.id, a.id, '00000000-0000-4000-8000-000000000000']));
      expect(batch.map((p) => p.name).sort()).toEqual(['A', 'B']);
    });
  });
});
