/**
 * The upstream of the gateway scenario: plain node:http answering every request with
 * the same small JSON (about 200 bytes, built once), except the routing manifest. It
 * does as little as a server can, so the rows through a proxy measure the proxy, and
 * every row (direct, nginx, our proxy) reaches this same process on the same port.
 *
 * Env: PORT (default 0), HOST (default 127.0.0.1).
 */
import http from 'node:http';

const port = Number(process.env.PORT ?? 0);
const host = process.env.HOST ?? '127.0.0.1';

// The shape of a small catalog read; built once, so each answer is one write of a Buffer.
const BODY = Buffer.from(
  JSON.stringify({
    id: '00000000-0000-4000-8000-0000000000b2',
    name: 'Bench kettle (bare upstream)',
    category: 'kitchen',
    tags: ['bench', 'kettle'],
    price: { amount: 1999, currency: 'EUR' },
    inStock: true,
    updatedAt: '2026-01-01T00:00:00.000Z',
  }),
);
const HEADERS = { 'content-type': 'application/json; charset=utf-8', 'content-length': BODY.length };

// The gateway reads (and polls) the monolith's routing manifest at startup; answer it as
// the monolith does (src/platform/http/routing-manifest.ts), for the catalog prefix the
// bench's path is under, so the gateway starts as it would in front of the shop.
const MANIFEST_PATH = '/.well-known/routing-manifest';
const MANIFEST = Buffer.from(
  JSON.stringify({ modules: { catalog: ['/api/v1/catalog'] }, monolithOnly: ['/.well-known', '/ops', '/docs', '/health'] }),
);
const MANIFEST_HEADERS = { 'content-type': 'application/json; charset=utf-8', 'content-length': MANIFEST.length, 'cache-control': 'no-cache' };

const server = http.createServer((req, res) => {
  // A request body (none in the bench) is drained so the connection stays reusable.
  req.resume();
  if (req.url === MANIFEST_PATH) {
    res.writeHead(200, MANIFEST_HEADERS);
    res.end(MANIFEST);
    return;
  }
  res.writeHead(200, HEADERS);
  res.end(BODY);
});
// Never close an idle keep-alive connection from this side: between rounds the proxies'
// pooled sockets sit idle for as long as the other targets' rounds last, and a close
// racing a proxy's reuse of the socket would show up as a proxy error that is not one.
server.keepAliveTimeout = 0;

server.listen(port, host, () => {
  const address = server.address();
  console.log(JSON.stringify({ msg: 'bare upstream listening', url: `http://${host}:${address.port}`, bodyBytes: BODY.length }));
});

function shutdown() {
  server.close();
  server.closeAllConnections?.();
  process.exit(0);
}
process.once('SIGTERM', shutdown);
process.once('SIGINT', shutdown);
