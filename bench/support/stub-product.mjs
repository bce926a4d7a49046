/** The product the contract-call scenario's handler answers from memory (stub-product-lookup.mjs). */

/** A valid UUID no real product has (the catalog generates v4 ids, this one is all zeros but version and variant). */
export const STUB_PRODUCT_ID = '00000000-0000-4000-8000-0000000000b1';

/** The same shape and about the same size as a real product's view. */
export const STUB_PRODUCT = Object.freeze({
  id: STUB_PRODUCT_ID,
  name: 'Bench kettle (answered from memory)',
  description: 'A product the contract-call bench answers without the database.',
  images: ['https://example.com/kettle.jpg'],
  category: 'kitchen',
  tags: ['bench', 'kettle'],
  price: Object.freeze({ amount: 1999, currency: 'EUR' }),
  createdAt: '2026-01-01T00:00:00.000Z',
  updatedAt: '2026-01-01T00:00:00.000Z',
});
