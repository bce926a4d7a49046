// A stand-in upstream as its own OS process, for tests that kill it: answers every
// request with { servedBy, method, url } (and 200 on /health/live), on PORT.
import { createServer } from 'node:http';

const name = process.env.NAME ?? 'stand-in';
const server = createServer((req, res) => {
  req.resume();
  req.on('end', () => {
    const body = JSON.stringify({ servedBy: name, method: req.method, url: req.url });
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(body);
  });
});
server.keepAliveTimeout = 30_000;
server.listen(Number(process.env.PORT), '127.0.0.1', () => process.stdout.write(`listening on ${process.env.PORT}\n`));
