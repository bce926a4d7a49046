/**
 * The baseline for the product-read scenario: the least code that answers
 * GET /api/v1/catalog/products/:id like the monolith does. Plain node:http and a pg
 * Pool, the same SQL as the monolith's drizzle query, run as the same module role,
 * the same JSON. No framework, no validation library, no logging.
 *
 * Env: DATABASE_URL (required), PORT (default 0), HOST (default 127.0.0.1),
 * DB_POOL_SIZE (default 10), DB_ROLE (default shop_catalog).
 */
import http from 'node:http';
import pg from 'pg';

const databaseUrl = process.env.DATABASE_URL;
if (!databaseUrl) {
  console.error('DATABASE_URL is required');
  process.exit(2);
}
const port = Number(process.env.PORT ?? 0);
const host = process.env.HOST ?? '127.0.0.1';
const role = process.env.DB_ROLE ?? 'shop_catalog';

const pool = new pg.Pool({
  connectionString: databaseUrl,
  max: Number(process.env.DB_POOL_SIZE ?? 10),
  options: `-c role=${role}`,
});
pool.on('error', () => undefined);

// Exactly the text drizzle sends for ProductsRepository.findById.
const SELECT_PRODUCT =
  'select "id", "name", "description", "images", "category", "tags", "price_amount", "currency", "created_at", "updated_at" ' +
  'from "catalog"."products" where "products"."id" = $1 limit $2';

const PREFIX = '/api/v1/catalog/products/';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function send(res, status, body) {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': status < 400 ? 'application/json; charset=utf-8' : 'application/problem+json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
  });
  res.end(text);
}

function problem(res, status, title, detail) {
  send(res, status, { type: 'about:blank', title, status, detail });
}

async function getProduct(res, id) {
  // A named prepared statement, as the monolith's catalog uses for this read: like for like.
  const { rows } = await pool.query({ name: 'catalog_product_by_id', text: SELECT_PRODUCT, values: [id, 1] });
  const row = rows[0];
  if (!row) return problem(res, 404, 'Not Found', `Product ${id} does not exist.`);
  send(res, 200, {
    id: row.id,
    name: row.name,
    description: row.description,
    images: row.images,
    category: row.category,
    tags: row.tags,
    price: { amount: row.price_amount, currency: row.currency },
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
  });
}

const server = http.createServer((req, res) => {
  const url = req.url ?? '/';
  const work =
    req.method === 'GET' && url.startsWith(PREFIX)
      ? (() => {
          const id = decodeURIComponent(url.slice(PREFIX.length).split('?')[0]);
          if (!UUID.test(id)) return problem(res, 400, 'Bad Request', 'id must be a UUID');
          return getProduct(res, id);
        })()
      : req.method === 'GET' && url === '/health/ready'
        ? pool.query('SELECT 1').then(() => send(res, 200, { status: 'ok', database: 'postgres' }))
        : problem(res, 404, 'Not Found', `No route for ${req.method} ${url}`);
  Promise.resolve(work).catch((error) => {
    if (!res.headersSent) problem(res, 500, 'Internal Server Error', String(error?.message ?? error));
    else res.destroy();
  });
});
server.keepAliveTimeout = 65_000;

server.listen(port, host, () => {
  const address = server.address();
  console.log(JSON.stringify({ msg: 'bare product server listening', url: `http://${host}:${address.port}` }));
});

function shutdown() {
  server.close();
  server.closeAllConnections?.();
  pool.end().finally(() => process.exit(0));
}
process.once('SIGTERM', shutdown);
process.once('SIGINT', shutdown);
