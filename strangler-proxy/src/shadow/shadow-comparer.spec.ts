import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { gzipSync } from 'node:zlib';
import { pino } from 'pino';
import { request as undiciRequest } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import { shadowSchema } from '../config/route-config.js';
import { type MirroredRequest, type PrimaryAnswer, ShadowComparer, type ShadowOutcome } from './shadow-comparer.js';

// Stand-in monolith and extracted services on loopback; the test plays the gateway core:
// it reads the monolith's answer itself and hands it to the comparer, as the core does.

interface StandIn {
  url: string;
  /** Requests received, in order. */
  hits: Array<{ method: string; url: string; headers: IncomingMessage['headers'] }>;
  server: Server;
}

const opened: Server[] = [];
const comparers: ShadowComparer[] = [];

afterEach(async () => {
  await Promise.all(comparers.splice(0).map((comparer) => comparer.close()));
  await Promise.all(
    opened.splice(0).map(
      (server) =>
        new Promise<void>((resolve) => {
          server.closeAllConnections();
          server.close(() => resolve());
        }),
    ),
  );
});

async function standIn(handler: (request: IncomingMessage, response: ServerResponse) => void): Promise<StandIn> {
  const hits: StandIn['hits'] = [];
  const server = createServer((request, response) => {
    hits.push({ method: request.method ?? '', url: request.url ?? '', headers: request.headers });
    handler(request, response);
  });
  opened.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, hits, server };
}

/** A product service whose answers carry fields that change on every call, as real ones do. */
function productService(options: { price?: number; status?: number; gzip?: boolean } = {}) {
  return standIn((request, response) => {
    const body = JSON.stringify({
      id: request.url?.split('?')[0],
      name: 'Lamp',
      price: options.price ?? 100,
      generatedAt: new Date().toISOString() + randomUUID(),
      requestId: randomUUID(),
      items: [
        { sku: 'a', updatedAt: randomUUID() },
        { sku: 'b', updatedAt: randomUUID() },
        { sku: 'c', updatedAt: randomUUID() },
      ],
    });
    const headers: Record<string, string> = { 'content-type': 'application/json; charset=utf-8' };
    if (options.gzip) headers['content-encoding'] = 'gzip';
    response.writeHead(options.status ?? 200, headers);
    response.end(request.method === 'HEAD' ? undefined : options.gzip ? gzipSync(body) : body);
  });
}

/** What the core hands over: the monolith's answer, read in full. */
async function primaryFrom(monolith: StandIn, request: MirroredRequest): Promise<PrimaryAnswer> {
  const response = await undiciRequest(monolith.url + request.url, { method: request.method, headers: request.headers });
  return { status: response.statusCode, headers: response.headers, body: Buffer.from(await response.body.arrayBuffer()) };
}

const TOKEN = 'Bearer eyJ-secret-token';

function read(url = '/products/1', method: 'GET' | 'HEAD' = 'GET'): MirroredRequest {
  return { method, url, headers: { authorization: TOKEN, cookie: 'session=s3cr3t-cookie', 'x-request-id': randomUUID() } };
}

function capturedLogger() {
  const lines: string[] = [];
  const logger = pino({ level: 'debug' }, { write: (line: string) => void lines.push(line) });
  return { logger, lines };
}

function comparerFor(
  monolith: StandIn | undefined,
  extracted: StandIn | string | undefined,
  shadow: Partial<ReturnType<typeof shadowSchema.parse>> = {},
  options: { maxInFlight?: number; timeoutMs?: number; onOutcome?: (outcome: ShadowOutcome) => void } = {},
) {
  const { logger, lines } = capturedLogger();
  const extractedUrl = typeof extracted === 'string' ? extracted : extracted?.url;
  const comparer = new ShadowComparer('catalog', shadowSchema.parse(shadow), { extracted: () => extractedUrl, monolith: () => monolith?.url }, logger, options);
  comparers.push(comparer);
  return { comparer, lines };
}

/** Plays one shadowed read through, as the core would, and waits for its comparison. */
async function shadowed(comparer: ShadowComparer, monolith: StandIn, request = read()): Promise<void> {
  comparer.compare(request, primaryFrom(monolith, request));
  await comparer.idle();
}

async function until(condition: () => boolean, what: string, deadlineMs = 5_000): Promise<void> {
  const deadline = Date.now() + deadlineMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

async function closedPort(): Promise<string> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return `http://127.0.0.1:${port}`;
}

describe('ShadowComparer', () => {
  describe('comparing', () => {
    it('counts a planted difference, with a sample naming body.price and nothing secret', async () => {
      const monolith = await productService();
      const extracted = await productService({ price: 90 });
      const { comparer, lines } = comparerFor(monolith, extracted, { noiseSampleRate: 1 });

      await shadowed(comparer, monolith, read('/products/7?token=query-secret'));

      const stats = comparer.stats();
      expect(stats).toMatchObject({ compared: 1, matched: 0, mismatched: 1, skipped: 0, errors: 0 });
      expect(stats.samples).toEqual([
        { at: expect.any(String), method: 'GET', url: '/products/7', monolith: { status: 200 }, extracted: { status: 200 }, differences: ['body.price'] },
      ]);
      // The mirror carried the client's request as forwarded…
      expect(extracted.hits[0]).toMatchObject({ method: 'GET', url: '/products/7?token=query-secret' });
      expect(extracted.hits[0]!.headers.authorization).toBe(TOKEN);
      // …and nothing of its secrets reached the log.
      const log = lines.join('');
      expect(log).toContain('shadow mismatch');
      for (const secret of ['eyJ-secret-token', 's3cr3t-cookie', 'query-secret']) expect(log).not.toContain(secret);
    });

    it('counts a difference of status alone', async () => {
      const monolith = await productService();
      const extracted = await productService({ status: 404 });
      const { comparer } = comparerFor(monolith, extracted, { noiseSampleRate: 1 });

      await shadowed(comparer, monolith);

      expect(comparer.stats()).toMatchObject({ compared: 1, mismatched: 1 });
      expect(comparer.stats().samples[0]).toMatchObject({ monolith: { status: 200 }, extracted: { status: 404 }, differences: ['status'] });
    });

    it('leaves configured fields out: names at any depth and paths with *', async () => {
      const monolith = await productService();
      const extracted = await productService();
      const { comparer } = comparerFor(monolith, extracted, { noiseSampleRate: 0, ignoreFields: ['generatedAt', 'requestId', 'items.*.updatedAt'] });

      await shadowed(comparer, monolith);
      await shadowed(comparer, monolith);

      expect(comparer.stats()).toMatchObject({ compared: 2, matched: 2, mismatched: 0, noise: [] });
      expect(monolith.hits).toHaveLength(2); // no learning calls at rate 0
    });

    it('compares non-JSON bodies byte for byte', async () => {
      const monolith = await standIn((_, response) => response.writeHead(200, { 'content-type': 'text/plain' }).end('same'));
      const same = await standIn((_, response) => response.writeHead(200, { 'content-type': 'text/plain' }).end('same'));
      const other = await standIn((_, response) => response.writeHead(200, { 'content-type': 'text/plain' }).end('other'));
      const matching = comparerFor(monolith, same, { noiseSampleRate: 1 }).comparer;
      const differing = comparerFor(monolith, other, { noiseSampleRate: 1 }).comparer;

      await shadowed(matching, monolith);
      await shadowed(differing, monolith);

      expect(matching.stats()).toMatchObject({ compared: 1, matched: 1 });
      expect(differing.stats()).toMatchObject({ compared: 1, mismatched: 1 });
      expect(differing.stats().samples[0]!.differences).toEqual(['body']);
    });

    it('compares the JSON inside a compressed answer, not its bytes', async () => {
      const monolith = await productService();
      const extracted = await productService({ gzip: true });
      const { comparer } = comparerFor(monolith, extracted, { noiseSampleRate: 1 });

      await shadowed(comparer, monolith);

      expect(comparer.stats()).toMatchObject({ compared: 1, matched: 1 });
    });

    it('mirrors HEAD requests as HEAD', async () => {
      const monolith = await productService();
      const extracted = await productService();
      const { comparer } = comparerFor(monolith, extracted, { noiseSampleRate: 0 });

      await shadowed(comparer, monolith, read('/products/1', 'HEAD'));

      expect(extracted.hits.map((hit) => hit.method)).toEqual(['HEAD']);
      expect(comparer.stats()).toMatchObject({ compared: 1, matched: 1 });
    });
  });

  describe('learning noise', () => {
    it('does not count fields that change on every call, from the very first request at rate 1', async () => {
      const monolith = await productService();
      const extracted = await productService();
      const { comparer } = comparerFor(monolith, extracted, { noiseSampleRate: 1 });

      await shadowed(comparer, monolith);

      expect(comparer.stats()).toMatchObject({ compared: 1, matched: 1, mismatched: 0 });
      // Learned from the first request; indexes normalised so one pattern covers every item.
      expect(comparer.stats().noise.sort()).toEqual(['body.generatedAt', 'body.items.*.updatedAt', 'body.requestId']);
      expect(monolith.hits).toHaveLength(2); // the primary and the learning call
    });

    it('counts them without learning (rate 0): learning is what keeps them out', async () => {
      const monolith = await productService();
      const extracted = await productService();
      const { comparer } = comparerFor(monolith, extracted, { noiseSampleRate: 0 });

      await shadowed(comparer, monolith);

      expect(comparer.stats()).toMatchObject({ compared: 1, mismatched: 1 });
      expect(comparer.stats().samples[0]!.differences).toEqual(
        expect.arrayContaining(['body.generatedAt', 'body.requestId', 'body.items.0.updatedAt', 'body.items.2.updatedAt']),
      );
    });

    it('at a lower rate, judges the requests not sampled by what was learned, and still counts a real difference', async () => {
      const monolith = await productService();
      const extracted = await productService();
      const { comparer } = comparerFor(monolith, extracted, { noiseSampleRate: 0.25 });

      for (let i = 0; i < 8; i++) await shadowed(comparer, monolith);

      expect(comparer.stats()).toMatchObject({ compared: 8, matched: 8, mismatched: 0 });
      // 8 primaries and 2 learning calls (requests 1 and 5): the other 6 were judged on learned noise.
      expect(monolith.hits).toHaveLength(10);

      const cheaper = await productService({ price: 90 });
      const repriced = comparerFor(monolith, cheaper, { noiseSampleRate: 0.25 }).comparer;
      for (let i = 0; i < 3; i++) await shadowed(repriced, monolith);
      expect(repriced.stats()).toMatchObject({ compared: 3, mismatched: 3 });
      expect(repriced.stats().samples.map((sample) => sample.differences)).toEqual([['body.price'], ['body.price'], ['body.price']]);
    });

    it('never learns the status as noise, but forgives a status the monolith itself changed on that request', async () => {
      let calls = 0;
      const flaky = await standIn((_, response) => {
        calls += 1;
        response.writeHead(calls === 2 ? 503 : 200, { 'content-type': 'application/json' }).end('{"price":100}');
      });
      const unavailable = await standIn((_, response) => response.writeHead(503, { 'content-type': 'application/json' }).end('{"price":100}'));
      const { comparer } = comparerFor(flaky, unavailable, { noiseSampleRate: 1 });

      await shadowed(comparer, flaky); // primary 200, learning call 503, extracted 503
      await shadowed(comparer, flaky); // primary 200, learning call 200, extracted 503

      expect(comparer.stats()).toMatchObject({ compared: 2, matched: 1, mismatched: 1, noise: [] });
      expect(comparer.stats().samples[0]!.differences).toEqual(['status']);
    });

    it('keeps learned noise through a settings update', async () => {
      const monolith = await productService();
      const extracted = await productService();
      const { comparer } = comparerFor(monolith, extracted, { noiseSampleRate: 1 });
      await shadowed(comparer, monolith);

      comparer.updateSettings(shadowSchema.parse({ noiseSampleRate: 0, ignoreFields: ['name'] }));
      await shadowed(comparer, monolith);

      expect(comparer.stats()).toMatchObject({ compared: 2, matched: 2 });
      expect(monolith.hits).toHaveLength(3);
    });
  });

  describe('bounds', () => {
    it('skips an extracted answer larger than maxBodyBytes, dropping its connection instead of reading it', async () => {
      const monolith = await productService();
      let mirrorClosedEarly = false;
      const extracted = await standIn((_, response) => {
        response.writeHead(200, { 'content-type': 'application/json' });
        const chunk = Buffer.alloc(64 * 1024, 'x');
        let sent = 0;
        // 64 MiB, written as the reader takes it: only a reader that stops early ends it.
        const pump = (): void => {
          while (sent < 1024) {
            sent += 1;
            if (!response.write(chunk)) return void response.once('drain', pump);
          }
          response.end();
        };
        response.on('close', () => (mirrorClosedEarly = !response.writableFinished));
        pump();
      });
      const { comparer } = comparerFor(monolith, extracted, { noiseSampleRate: 0, maxBodyBytes: 256 * 1024 });

      await shadowed(comparer, monolith);

      expect(comparer.stats()).toMatchObject({ compared: 0, skipped: 1, errors: 0 });
      await until(() => mirrorClosedEarly, 'the stand-in to see its connection closed');
    });

    it('skips an answer announced larger than maxBodyBytes without reading its body', async () => {
      const monolith = await productService();
      let mirrorClosedEarly = false;
      const extracted = await standIn((_, response) => {
        response.writeHead(200, { 'content-type': 'application/json', 'content-length': String(64 * 1024 * 1024) });
        response.write(Buffer.alloc(1024, 'x')); // and then nothing: only a closed connection ends this
        response.on('close', () => (mirrorClosedEarly = !response.writableFinished));
      });
      const { comparer } = comparerFor(monolith, extracted, { noiseSampleRate: 0, maxBodyBytes: 256 * 1024 });

      await shadowed(comparer, monolith);

      expect(comparer.stats()).toMatchObject({ compared: 0, skipped: 1, errors: 0 });
      await until(() => mirrorClosedEarly, 'the stand-in to see its connection closed');
    });

    it('skips when the monolith answer was too large or could not be read, never throwing', async () => {
      const monolith = await productService();
      const extracted = await productService();
      const { comparer } = comparerFor(monolith, extracted);

      comparer.compare(read(), Promise.resolve({ status: 200, headers: {}, body: undefined }));
      comparer.compare(read(), Promise.reject(new Error('client went away')));
      await comparer.idle();

      expect(comparer.stats()).toMatchObject({ compared: 0, skipped: 2, errors: 0 });
    });

    it('skips when no extracted instance is healthy', async () => {
      const monolith = await productService();
      const { comparer } = comparerFor(monolith, undefined);

      await shadowed(comparer, monolith);

      expect(comparer.stats()).toMatchObject({ compared: 0, skipped: 1 });
    });

    it('holds at most maxInFlight mirrors, counting the rest as skipped at once', async () => {
      const monolith = await productService();
      const held: ServerResponse[] = [];
      const extracted = await standIn((_, response) => void held.push(response));
      const { comparer } = comparerFor(monolith, extracted, { noiseSampleRate: 0 }, { maxInFlight: 2 });

      for (let i = 0; i < 5; i++) comparer.compare(read(), primaryFrom(monolith, read()));
      expect(comparer.stats()).toMatchObject({ skipped: 3 });

      await until(() => held.length === 2, 'two mirrors at the stand-in');
      const body = await primaryFrom(monolith, read());
      for (const response of held) response.writeHead(200, { 'content-type': 'application/json' }).end(body.body);
      await comparer.idle();

      expect(comparer.stats()).toMatchObject({ compared: 2, skipped: 3 });
      expect(extracted.hits).toHaveLength(2);
    });

    it('keeps only the newest maxSamples samples', async () => {
      const monolith = await productService();
      const extracted = await productService({ price: 1 });
      const { comparer } = comparerFor(monolith, extracted, { noiseSampleRate: 1, maxSamples: 3 });

      for (let i = 1; i <= 5; i++) await shadowed(comparer, monolith, read(`/products/${i}?page=${i}`));

      expect(comparer.stats().mismatched).toBe(5);
      expect(comparer.stats().samples.map((sample) => sample.url)).toEqual(['/products/3', '/products/4', '/products/5']);
    });
  });

  describe('never failing the client', () => {
    it('counts errors when the extracted service is down, warning once, never throwing', async () => {
      const monolith = await productService();
      const outcomes: ShadowOutcome[] = [];
      const { comparer, lines } = comparerFor(monolith, await closedPort(), {}, { onOutcome: (outcome) => outcomes.push(outcome) });

      for (let i = 0; i < 3; i++) {
        expect(() => comparer.compare(read(), primaryFrom(monolith, read()))).not.toThrow();
        await comparer.idle();
      }

      expect(comparer.stats()).toMatchObject({ compared: 0, errors: 3, skipped: 0 });
      expect(outcomes).toEqual(['error', 'error', 'error']);
      const warnings = lines.map((line) => JSON.parse(line) as { level: number; msg: string }).filter((line) => line.level === 40);
      expect(warnings.map((line) => line.msg)).toEqual(['shadow mirror failed']);
    });

    it('counts a mirror with no answer within the timeout as an error', async () => {
      const monolith = await productService();
      const extracted = await standIn(() => {}); // accepts, never answers
      const { comparer } = comparerFor(monolith, extracted, { noiseSampleRate: 0 }, { timeoutMs: 100 });

      await shadowed(comparer, monolith);

      expect(comparer.stats()).toMatchObject({ compared: 0, errors: 1 });
    });

    it('stops hung mirrors on close, uncounted', async () => {
      const monolith = await productService();
      const extracted = await standIn(() => {});
      const { comparer } = comparerFor(monolith, extracted, { noiseSampleRate: 0 });
      comparer.compare(read(), primaryFrom(monolith, read()));
      await until(() => extracted.hits.length === 1, 'the mirror to arrive');

      await comparer.close();
      comparer.compare(read(), primaryFrom(monolith, read()));

      expect(comparer.stats()).toMatchObject({ compared: 0, errors: 0, skipped: 1 });
    });

    it('returns from compare at once even when the mirror hangs', async () => {
      const monolith = await productService();
      const extracted = await standIn(() => {});
      const { comparer } = comparerFor(monolith, extracted, { noiseSampleRate: 1 }, { maxInFlight: 200 });
      const answer = await primaryFrom(monolith, read());
      const requests = Array.from({ length: 100 }, () => read());

      const durations = requests.map((request) => {
        const started = performance.now();
        comparer.compare(request, Promise.resolve(answer));
        return performance.now() - started;
      });

      durations.sort((a, b) => a - b);
      expect(durations[50]!).toBeLessThan(0.1); // the median call, in milliseconds
      expect(durations[95]!).toBeLessThan(1);
      await until(() => extracted.hits.length > 0, 'the hung mirror to arrive');
    });
  });
});
