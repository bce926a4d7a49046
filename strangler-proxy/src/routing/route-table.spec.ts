import { Writable } from 'node:stream';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { parseGatewayConfig, type GatewayConfig } from '../config/route-config.js';
import type { RoutingManifest } from '../config/routing-manifest.js';
import { canonicalPath, isInternalPath, RouteTable } from './route-table.js';

/** What the shop's monolith answers (test/http/routing-manifest.spec.ts checks it there). */
const MANIFEST: RoutingManifest = {
  modules: {
    identity: ['/.well-known/jwks.json', '/api/v1/identity'],
    catalog: ['/api/v1/catalog'],
    payments: ['/api/v1/payments'],
    ordering: ['/api/v1/orders'],
  },
  monolithOnly: ['/.well-known', '/ops', '/docs', '/health'],
};

const target = { instances: ['http://127.0.0.1:3101'] };
function config(routes: unknown[]): GatewayConfig {
  const parsed = parseGatewayConfig(JSON.stringify({ monolith: { instances: ['http://127.0.0.1:3000'] }, routes }));
  if (!parsed.ok) throw new Error(parsed.problems.join('\n'));
  return parsed.config;
}

function capturingLogger() {
  const lines: { level: number; msg: string }[] = [];
  const logger = pino(
    { level: 'debug' },
    new Writable({
      write(chunk: Buffer, _encoding, done) {
        for (const line of chunk.toString('utf8').split('\n')) if (line) lines.push(JSON.parse(line));
        done();
      },
    }),
  );
  return { logger, warnings: () => lines.filter((line) => line.level === 40).map((line) => line.msg) };
}

/** The route name a raw request URL lands on, or `monolith`. */
const landing = (table: RouteTable, url: string) => table.match(canonicalPath(url))?.name ?? 'monolith';

describe('canonicalPath', () => {
  it('should make case, repeated and trailing slash variants one path, and drop the query', () => {
    for (const url of ['/API/v1//Orders/', '/api/v1/orders', '/api/v1/orders?page=2', '/api/v1/orders/#top', '///api///v1/ORDERS///']) {
      expect(canonicalPath(url), url).toBe('/api/v1/orders');
    }
    expect(canonicalPath('/')).toBe('/');
    expect(canonicalPath('//')).toBe('/');
    expect(canonicalPath('/?x=/internal')).toBe('/');
  });

  it('should decode encoded unreserved characters only, and resolve dot segments', () => {
    expect(canonicalPath('/%61pi/v1/%4Frders')).toBe('/api/v1/orders');
    expect(canonicalPath('/api/v1/orders/a%2Fb%20c')).toBe('/api/v1/orders/a%2fb%20c');
    expect(canonicalPath('/api/v1/catalog/./../orders/1')).toBe('/api/v1/orders/1');
    expect(canonicalPath('/api/v1/x/%2e%2E/orders')).toBe('/api/v1/orders');
    expect(canonicalPath('/../../..')).toBe('/');
  });

  it('should take the path of an absolute-form URL', () => {
    expect(canonicalPath('http://shop.example/API/v1/Orders?x=1')).toBe('/api/v1/orders');
    expect(canonicalPath('https://shop.example')).toBe('/');
    expect(canonicalPath('http://shop.example?x=/y')).toBe('/');
  });

  it('should never throw on hostile input', () => {
    const hostile = ['', '*', '%', '%%', '/%', '/%z', '/%zz/%g0', '/a%', '\u0000', '/\ud800/\udfff', 'garbage', `/${'%41'.repeat(10_000)}`, `/${'../'.repeat(10_000)}`, '/.', '/..%2e'];
    for (const url of hostile) {
      const path = canonicalPath(url);
      expect(path.startsWith('/'), JSON.stringify(url.slice(0, 20))).toBe(true);
      expect(canonicalPath(path)).toBe(path);
    }
  });

  it('should hand back a canonical path as it is', () => {
    const url = '/api/v1/orders/8f2c';
    expect(canonicalPath(url)).toBe(url);
  });
});

describe('isInternalPath', () => {
  it('should catch /internal and everything under it, in every disguise', () => {
    for (const raw of [
      '/internal',
      '/internal/rpc/payments.ProcessPayment',
      '/Internal/rpc',
      '/INTERNAL/RPC/x',
      '/%69nternal/rpc',
      '/%49NTERNAL/rpc',
      '//internal/rpc',
      '/internal/',
      '/./internal/rpc',
      '/api/v1/orders/../../../internal/rpc',
      '/%2e%2e/internal/rpc',
      '/internal;x/rpc',
      '/internal%2frpc',
      'http://shop.example/internal/rpc',
    ]) {
      expect(isInternalPath(canonicalPath(raw)), raw).toBe(true);
      expect(isInternalPath(raw), `${raw} (raw)`).toBe(true);
    }
  });

  it('should let other paths through', () => {
    for (const path of ['/', '/internals', '/intern', '/api/v1/internal', '/api/v1/orders?next=/internal/rpc', '/internalx/rpc']) {
      expect(isInternalPath(canonicalPath(path)), path).toBe(false);
    }
  });
});

describe('RouteTable', () => {
  it("should route a module's prefixes, on whole segments, whatever the path's case and trailing slash", () => {
    const table = RouteTable.build(config([{ name: 'ordering', module: 'ordering', target, weight: 50 }]), MANIFEST);
    expect(table.routes.map((route) => [route.name, route.prefixes])).toEqual([['ordering', ['/api/v1/orders']]]);
    for (const url of ['/api/v1/orders', '/api/v1/orders/', '/API/V1/Orders/42', '/api/v1/orders/checkouts?state=x', '/api//v1/orders']) {
      expect(landing(table, url), url).toBe('ordering');
    }
    for (const url of ['/api/v1/ordersx', '/api/v1/order', '/api/v1', '/api/v1/payments/orders/1']) {
      expect(landing(table, url), url).toBe('monolith');
    }
  });

  it('should let the longest prefix win', () => {
    const table = RouteTable.build(
      config([
        { name: 'catalog', prefixes: ['/api/v1/catalog'], target },
        { name: 'featured', prefixes: ['/API/v1/catalog/products/featured'], target },
        { name: 'everything', prefixes: ['/'], target },
      ]),
      MANIFEST,
    );
    expect(landing(table, '/api/v1/catalog/products')).toBe('catalog');
    expect(landing(table, '/api/v1/catalog/products/featured/1')).toBe('featured');
    expect(landing(table, '/api/v1/catalog/products/featuredx')).toBe('catalog');
    expect(landing(table, '/api/v1/shipping/items/1')).toBe('everything');
    expect(landing(table, '/')).toBe('everything');
  });

  it('should keep the monolith-only prefixes with the monolith, except the longer one a module lists there', () => {
    const { logger, warnings } = capturingLogger();
    const table = RouteTable.build(
      config([
        { name: 'identity', module: 'identity', target },
        { name: 'greedy', prefixes: ['/', '/health', '/ops/events', '/.well-known/routing-manifest', '/internal/rpc'], target },
      ]),
      MANIFEST,
      logger,
    );
    expect(table.routes.find((route) => route.name === 'greedy')?.prefixes).toEqual(['/']);
    expect(landing(table, '/.well-known/jwks.json')).toBe('identity');
    expect(landing(table, '/api/v1/identity/me')).toBe('identity');
    for (const url of ['/.well-known/routing-manifest', '/.well-known', '/health/ready', '/HEALTH/live/', '/ops/events/dead-letters', '/docs', '/docs/openapi.json']) {
      expect(landing(table, url), url).toBe('monolith');
    }
    expect(landing(table, '/healthz')).toBe('greedy');
    expect(warnings()).toEqual([
      'route greedy: /health always stays with the monolith; ignored',
      'route greedy: /ops/events always stays with the monolith; ignored',
      'route greedy: /.well-known/routing-manifest always stays with the monolith; ignored',
      'route greedy: /internal/rpc is never forwarded (internal); ignored',
    ]);
  });

  it('should keep the monolith-only prefixes with the monolith before any manifest has arrived', () => {
    const table = RouteTable.build(config([{ name: 'everything', prefixes: ['/'], target }]), undefined);
    expect(landing(table, '/health/live')).toBe('monolith');
    expect(landing(table, '/.well-known/jwks.json')).toBe('monolith');
    expect(landing(table, '/api/v1/orders')).toBe('everything');
  });

  it("should leave a route naming an unknown module inactive, or any module's while no manifest has arrived, and say so once", () => {
    const { logger, warnings } = capturingLogger();
    const routes = config([
      { name: 'payments', module: 'payments', target, weight: 100 },
      { name: 'ghost', module: 'ghost', target, weight: 100 },
    ]);
    const before = RouteTable.build(routes, undefined, logger);
    expect(before.routes).toEqual([]);
    expect(landing(before, '/api/v1/payments/orders/1')).toBe('monolith');
    RouteTable.build(routes, undefined, logger);
    expect(warnings()).toEqual([
      'route payments is inactive: it names module payments, and no routing manifest has arrived from the monolith yet; its traffic stays with the monolith',
      'route ghost is inactive: it names module ghost, and no routing manifest has arrived from the monolith yet; its traffic stays with the monolith',
    ]);

    const after = RouteTable.build(routes, MANIFEST, logger);
    expect(after.routes.map((route) => route.name)).toEqual(['payments']);
    expect(landing(after, '/api/v1/payments/orders/1')).toBe('payments');
    expect(warnings().slice(2)).toEqual(['route ghost is inactive: the routing manifest names no module ghost; its traffic stays with the monolith']);
  });

  it("should give a prefix to the first route claiming it, a module's and a listed one alike", () => {
    const { logger, warnings } = capturingLogger();
    const table = RouteTable.build(
      config([
        { name: 'payments', module: 'payments', target },
        { name: 'payments-by-hand', prefixes: ['/api/v1/payments', '/api/v1/refunds'], target },
      ]),
      MANIFEST,
      logger,
    );
    expect(table.routes.map((route) => [route.name, route.prefixes])).toEqual([
      ['payments', ['/api/v1/payments']],
      ['payments-by-hand', ['/api/v1/refunds']],
    ]);
    expect(warnings()).toEqual(["route payments-by-hand: /api/v1/payments is already route payments's; ignored"]);
  });
});
