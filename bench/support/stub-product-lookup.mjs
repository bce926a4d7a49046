/**
 * A preload (`node --import ./bench/support/stub-product-lookup.mjs …`) for the
 * contract-call scenario: catalog's `ProductsRepository.findById` answers one product id,
 * STUB_PRODUCT_ID, from memory instead of PostgreSQL, and every other id as usual. A
 * `catalog.GetProduct` for that id then runs the whole real code path (ContractBus,
 * transport, RPC endpoint, Nest's QueryBus, the handler) with no I/O in the handler, so
 * its latency is the transport's own. Loaded the same way into the bench's client
 * process and into the extracted catalog service, so every placement answers the same
 * object. It imports the same dist/ module files the entry point does (same URLs, same
 * module instances), so the patch is the one the app's handler calls.
 */
import 'reflect-metadata';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { STUB_PRODUCT, STUB_PRODUCT_ID } from './stub-product.mjs';

export { STUB_PRODUCT, STUB_PRODUCT_ID };

const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

const { ProductsRepository } = await import(pathToFileURL(path.join(REPO_ROOT, 'dist/modules/catalog/db/products.repository.js')).href);
const findById = ProductsRepository.prototype.findById;
if (typeof findById !== 'function') throw new Error('ProductsRepository.prototype.findById is gone: update bench/support/stub-product-lookup.mjs');
ProductsRepository.prototype.findById = function findByIdOrStub(id) {
  // The real method builds a new view per call (toView); so does the stub, cheaply.
  return id === STUB_PRODUCT_ID ? Promise.resolve({ ...STUB_PRODUCT, price: { ...STUB_PRODUCT.price } }) : findById.call(this, id);
};
