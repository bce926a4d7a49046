import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parseGatewayConfig } from './route-config.js';

const fileOf = (name: string) => readFileSync(fileURLToPath(new URL(`../../${name}`, import.meta.url)), 'utf8');

const target = { instances: ['http://127.0.0.1:3101'] };
const configWith = (routes: unknown[], rest: Record<string, unknown> = {}) =>
  JSON.stringify({ monolith: { instances: ['http://127.0.0.1:3000'] }, routes, ...rest });

function problemsOf(text: string): string[] {
  const parsed = parseGatewayConfig(text);
  if (parsed.ok) throw new Error('expected the config to be refused');
  return parsed.problems;
}

describe('the routes files shipped', () => {
  it('routes.json: everything to the monolith (MONOLITH_URL: it names none), no routes, no header override', () => {
    const parsed = parseGatewayConfig(fileOf('routes.json'));
    if (!parsed.ok) throw new Error(parsed.problems.join('\n'));
    expect(parsed.config.monolith).toBeUndefined();
    expect(parsed.config.routes).toEqual([]);
    expect(parsed.config.headerOverride.enabled).toBe(false);
  });

  it('routes.example.json: a split route by module and a shadow route, every field given (nothing left to defaults)', () => {
    const text = fileOf('routes.example.json');
    const parsed = parseGatewayConfig(text);
    if (!parsed.ok) throw new Error(parsed.problems.join('\n'));
    // Defaults would add any field the file left out.
    expect(parsed.config).toEqual(JSON.parse(text));
    expect(parsed.config.routes.map((route) => [route.mode, route.module ?? route.prefixes])).toEqual([
      ['split', 'payments'],
      ['shadow', ['/api/v1/catalog']],
    ]);
  });
});

describe('parseGatewayConfig', () => {
  it('should fill in the defaults of a minimal route', () => {
    const parsed = parseGatewayConfig(configWith([{ name: 'payments', module: 'payments', target }]));
    if (!parsed.ok) throw new Error(parsed.problems.join('\n'));
    expect(parsed.config.routes[0]).toMatchObject({ weight: 0, stickiness: 'jwt-sub', mode: 'split', fallback: true, rollback: { minRequests: 50 } });
  });

  it('should name every problem by its path in the file, unknown fields included', () => {
    const problems = problemsOf(
      configWith(
        [
          { name: 'payments', module: 'payments', target, weight: 120, wieght: 30, stickiness: 'session' },
          { name: 'Bad Name', prefixes: ['api/v1/x', '/api/v1/y/'], target: { instances: ['ftp://x'] }, mode: 'mirror' },
        ],
        { trustedProxies: ['10.0.0.1', 'proxy.local'], surprise: true },
      ),
    );
    const paths = problems.map((problem) => problem.slice(0, problem.indexOf(':')));
    expect(paths.sort()).toEqual(
      [
        'routes.0.weight',
        'routes.0.wieght',
        'routes.0.stickiness',
        'routes.1.name',
        'routes.1.prefixes.0',
        'routes.1.prefixes.1',
        'routes.1.target.instances.0',
        'routes.1.mode',
        'trustedProxies.1',
        'surprise',
      ].sort(),
    );
    expect(problems).toContain('routes.0.wieght: unknown field');
    expect(problems).toContain('surprise: unknown field');
    expect(problems.find((p) => p.startsWith('routes.0.weight'))).toMatch(/100/);
    expect(problems.find((p) => p.startsWith('routes.0.stickiness'))).toMatch(/jwt-sub, client-address or cookie:<name>/);
    expect(problems.find((p) => p.startsWith('trustedProxies.1'))).toMatch(/IPv4 or IPv6/);
  });

  it('should refuse a route with both module and prefixes, or neither', () => {
    expect(problemsOf(configWith([{ name: 'a', module: 'payments', prefixes: ['/x'], target }]))).toEqual(['routes.0.module: give exactly one of module and prefixes']);
    expect(problemsOf(configWith([{ name: 'a', target }]))).toEqual(['routes.0.module: give exactly one of module and prefixes']);
  });

  it('should refuse two routes of one name, one module or one prefix (whatever its case)', () => {
    expect(
      problemsOf(
        configWith([
          { name: 'a', module: 'payments', target },
          { name: 'a', module: 'payments', target },
          { name: 'b', prefixes: ['/api/v1/x'], target },
          { name: 'c', prefixes: ['/API/v1/X'], target },
        ]),
      ),
    ).toEqual(['routes.1.name: another route is already named a', 'routes.1.module: routes.0 already routes payments', 'routes.3.prefixes.0: routes.2 already routes /API/v1/X']);
  });

  it('should answer a file that is not JSON with one problem, and a monolith without instances by name', () => {
    expect(problemsOf('{"monolith": ')).toEqual([expect.stringMatching(/^\(file\): not JSON: /)]);
    expect(problemsOf('{"monolith": {}}')).toEqual([expect.stringMatching(/^monolith\.instances: /)]);
    // No monolith at all is fine: MONOLITH_URL names it.
    expect(parseGatewayConfig('{}').ok).toBe(true);
  });
});
