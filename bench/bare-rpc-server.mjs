/**
 * The floor of a remote call on this machine, for the contract-call scenario: plain
 * `node:http` that answers `POST /internal/rpc/<anything>` by reading the JSON body and
 * answering `{ "result": <the stub product> }` — no framework, no credential check, no
 * bus, no access log. The client calls it with an undici Pool on a keep-alive
 * connection, as RemoteTransport does. What (d) costs beyond this is the shop's own
 * machinery (Fastify, the service credential, cockatiel, Nest's QueryBus, logging).
 *
 *   node bench/bare-rpc-server.mjs <port>
 */
import http from 'node:http';
import { STUB_PRODUCT } from './support/stub-product.mjs';

const port = Number(process.argv[2]);
const server = http.createServer((req, res) => {
  if (req.method === 'GET' && req.url === '/health/ready') {
    res.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"ok"}');
    return;
  }
  const chunks = [];
  req.on('data', (chunk) => chunks.push(chunk));
  req.on('end', () => {
    const message = JSON.parse(Buffer.concat(chunks).toString('utf8'));
    const body = JSON.stringify({ result: { ...STUB_PRODUCT, id: message.productId } });
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) }).end(body);
  });
});
server.keepAliveTimeout = 30_000;
server.listen(port, '127.0.0.1');
for (const signal of ['SIGTERM', 'SIGINT']) process.on(signal, () => server.close(() => process.exit(0)));
