import { describe, expect, it } from 'vitest';
import { loadConfig } from './app-config.js';
import { loadPlacement, REMOTE_CALL_DEFAULTS } from './placement.js';

const MODULES = ['identity', 'catalog', 'inventory', 'payments', 'ordering'];
const EXTRACTION = {
  REDIS_URL: 'redis://127.0.0.1:6379',
  DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/shop',
  MODULE_DB_SECRET: 'a-module-db-secret-of-some-length',
  SERVICE_TOKEN_SECRET: 'a-service-token-secret-of-32-chars-at-least',
  JWT_PRIVATE_KEY: 'private pem',
  JWT_PUBLIC_KEY: 'public pem',
};

const placementOf = (env: Record<string, string>, process = 'monolith') => loadPlacement(env, MODULES, process, loadConfig(env));

describe('placement', () => {
  it('should give a module the database of DATABASE_URL_<MODULE>, in the monolith and in its service', () => {
    const own = 'postgres://postgres@db2:5432/shop_payments';
    expect(Object.fromEntries(placementOf({ DATABASE_URL_PAYMENTS: own }).databases)).toEqual({ payments: own });
    const env = { ...EXTRACTION, EXTRACTED_MODULES: 'payments', MONOLITH_URL: 'http://shop:3000', SERVICE_URL_PAYMENTS: 'http://pay:3000', DATABASE_URL_PAYMENTS: own };
    expect(Object.fromEntries(placementOf(env, 'payments').databases)).toEqual({ payments: own });
    // The monolith no longer hosts payments: its database is not the monolith's to open.
    expect(placementOf(env).databases.size).toBe(0);
    // Unset or empty: the shared DATABASE_URL.
    expect(placementOf({ DATABASE_URL_PAYMENTS: '' }).databases.size).toBe(0);
  });

  it('should refuse a DATABASE_URL_<MODULE> with a misspelt module, or one that is not PostgreSQL, naming the variable', () => {
    expect(() => placementOf({ DATABASE_URL_PAYMNTS: 'postgres://h/db', DATABASE_URL_CATALOG: 'mysql://h/db', DATABASE_URL_ORDERING: 'postgres://h' })).toThrowError(
      /DATABASE_URL_PAYMNTS: no module is called "paymnts" \(did you mean DATABASE_URL_PAYMENTS\?[\s\S]*DATABASE_URL_CATALOG: must be a PostgreSQL connection string[\s\S]*DATABASE_URL_ORDERING: must be a PostgreSQL/,
    );
  });

  it("should leave other tools' DATABASE_URL_… variables alone", () => {
    const placement = placementOf({ DATABASE_URL_UNPOOLED: 'postgres://h/db', DATABASE_URL_TEST: 'anything' });
    expect(placement.databases.size).toBe(0);
  });

  it('should host every module in the monolith when nothing is extracted', () => {
    const placement = placementOf({});
    expect(placement).toMatchObject({ process: 'monolith', hosted: MODULES, extracted: [] });
    expect(placement.remote.size).toBe(0);
  });

  it('should host the rest in the monolith and reach the extracted modules at their URLs', () => {
    const env = { ...EXTRACTION, EXTRACTED_MODULES: 'payments, inventory', SERVICE_URL_PAYMENTS: 'http://127.0.0.1:3101/', SERVICE_URL_INVENTORY: 'http://inv:3000' };
    const placement = placementOf(env);
    expect(placement.hosted).toEqual(['identity', 'catalog', 'ordering']);
    expect(Object.fromEntries(placement.remote)).toEqual({ inventory: 'http://inv:3000', payments: 'http://127.0.0.1:3101' });
  });

  it('should host one module in its service and reach the monolith for the others', () => {
    const env = { ...EXTRACTION, EXTRACTED_MODULES: 'payments,inventory', SERVICE_URL_INVENTORY: 'http://inv:3000', MONOLITH_URL: 'http://shop:3000' };
    const placement = placementOf(env, 'payments');
    expect(placement.hosted).toEqual(['payments']);
    expect(Object.fromEntries(placement.remote)).toEqual({
      identity: 'http://shop:3000',
      catalog: 'http://shop:3000',
      inventory: 'http://inv:3000',
      ordering: 'http://shop:3000',
    });
  });

  it('should host a handed-over module in the monolith and in its service, and have every other process call the service', () => {
    const env = {
      ...EXTRACTION,
      EXTRACTED_MODULES: 'payments,inventory',
      HANDOVER_MODULES: 'payments',
      SERVICE_URL_PAYMENTS: 'http://pay:3000',
      SERVICE_URL_INVENTORY: 'http://inv:3000',
      MONOLITH_URL: 'http://shop:3000',
    };
    const monolith = placementOf(env);
    expect(monolith.hosted).toEqual(['identity', 'catalog', 'payments', 'ordering']);
    expect(monolith.handover).toEqual(['payments']);
    expect(Object.fromEntries(monolith.remote)).toEqual({ inventory: 'http://inv:3000' });
    expect(placementOf(env, 'payments').hosted).toEqual(['payments']);
    expect(placementOf(env, 'inventory').remote.get('payments')).toBe('http://pay:3000');
  });

  it.each([
    ['a handed-over module that is not extracted', { HANDOVER_MODULES: 'payments' }, 'monolith', /HANDOVER_MODULES: payments is not in EXTRACTED_MODULES/],
    ['an unknown handed-over module', { EXTRACTED_MODULES: 'payments', SERVICE_URL_PAYMENTS: 'http://x:1', HANDOVER_MODULES: 'paymnts' }, 'monolith', /HANDOVER_MODULES: unknown module "paymnts"/],
    ['an extracted module without a URL', { EXTRACTED_MODULES: 'payments' }, 'monolith', /SERVICE_URL_PAYMENTS: required/],
    ['an unknown module', { EXTRACTED_MODULES: 'payment', SERVICE_URL_PAYMENT: 'http://x:1' }, 'monolith', /EXTRACTED_MODULES: unknown module "payment"/],
    ['a URL with a path', { EXTRACTED_MODULES: 'payments', SERVICE_URL_PAYMENTS: 'http://x:1/api' }, 'monolith', /SERVICE_URL_PAYMENTS: must be a base URL/],
    ['a service without the monolith\'s URL', { EXTRACTED_MODULES: 'payments' }, 'payments', /MONOLITH_URL: required/],
    ['a service not in the list', { EXTRACTED_MODULES: 'inventory', SERVICE_URL_INVENTORY: 'http://x:1', MONOLITH_URL: 'http://y:1' }, 'payments', /EXTRACTED_MODULES: must name payments/],
    ['a batch size beyond what a service accepts', { EXTRACTED_MODULES: 'payments', SERVICE_URL_PAYMENTS: 'http://x:1', REMOTE_MAX_BATCH: '1000' }, 'monolith', /REMOTE_MAX_BATCH: an integer of at least 1 and at most 256/],
    ['a bad per-module setting', { EXTRACTED_MODULES: 'payments', SERVICE_URL_PAYMENTS: 'http://x:1', REMOTE_CALL_RETRIES_PAYMENTS: '-1' }, 'monolith', /REMOTE_CALL_RETRIES_PAYMENTS: an integer of at least 0/],
  ])('should stop at startup on %s, naming the variable', (_, env, process, message) => {
    expect(() => placementOf({ ...EXTRACTION, ...env }, process)).toThrow(message);
  });

  it.each(['REDIS_URL', 'SERVICE_TOKEN_SECRET', 'MODULE_DB_SECRET', 'DATABASE_URL'])('should require %s with extraction', (variable) => {
    const env: Record<string, string> = { ...EXTRACTION, EXTRACTED_MODULES: 'payments', SERVICE_URL_PAYMENTS: 'http://x:1' };
    delete env[variable];
    expect(() => placementOf(env)).toThrow(new RegExp(`${variable}: required`));
  });

  it('should require the shared JWT key pair with extraction', () => {
    const { JWT_PRIVATE_KEY: _, JWT_PUBLIC_KEY: __, ...env } = { ...EXTRACTION, EXTRACTED_MODULES: 'payments', SERVICE_URL_PAYMENTS: 'http://x:1' };
    expect(() => placementOf(env)).toThrow(/JWT_PRIVATE_KEY and JWT_PUBLIC_KEY: required/);
  });

  it("should give the monolith's modules one target service, with its own settings", () => {
    const env = { ...EXTRACTION, EXTRACTED_MODULES: 'payments', MONOLITH_URL: 'http://shop:3000', REMOTE_BREAKER_FAILURES_MONOLITH: '9' };
    const placement = placementOf(env, 'payments');
    expect(['identity', 'catalog', 'inventory', 'ordering'].map((m) => placement.serviceOf(m))).toEqual(['monolith', 'monolith', 'monolith', 'monolith']);
    expect(placement.resilienceFor('monolith')).toEqual({ ...REMOTE_CALL_DEFAULTS, breakerFailures: 9 });
  });

  it('should take resilience defaults, overridden for all targets or for one', () => {
    const env = {
      ...EXTRACTION,
      EXTRACTED_MODULES: 'payments,inventory',
      SERVICE_URL_PAYMENTS: 'http://p:1',
      SERVICE_URL_INVENTORY: 'http://i:1',
      REMOTE_CALL_TIMEOUT_MS: '900',
      REMOTE_BREAKER_FAILURES_PAYMENTS: '2',
    };
    const placement = placementOf(env);
    expect(placement.resilienceFor('inventory')).toEqual({ ...REMOTE_CALL_DEFAULTS, attemptTimeoutMs: 900 });
    expect(placement.resilienceFor('payments')).toEqual({ ...REMOTE_CALL_DEFAULTS, attemptTimeoutMs: 900, breakerFailures: 2 });
  });
});
