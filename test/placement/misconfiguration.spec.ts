import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../../', import.meta.url));

/** Starts a built entry point with `env` only, and returns how it ended. */
function start(entry: string[], env: Record<string, string>) {
  const result = spawnSync(process.execPath, entry.map((part, i) => (i === 0 ? path.join(root, part) : part)), {
    cwd: root,
    env: { PATH: process.env.PATH!, ...env },
    encoding: 'utf8',
    timeout: 20_000,
  });
  return { code: result.status, stderr: result.stderr };
}

/** A mistake in the placement stops the process before it opens anything, naming the variable. */
describe('a misconfigured placement', () => {
  it.each([
    ['an extracted module without its URL', ['dist/main.js'], { EXTRACTED_MODULES: 'payments' }, /SERVICE_URL_PAYMENTS: required/],
    ['an unknown module', ['dist/main.js'], { EXTRACTED_MODULES: 'paymnts' }, /EXTRACTED_MODULES: unknown module "paymnts"/],
    ['extraction without Redis', ['dist/extracted/payments/main.js'], { EXTRACTED_MODULES: 'payments', MONOLITH_URL: 'http://127.0.0.1:1' }, /REDIS_URL: required/],
    ['an unknown service to start', ['dist/start.js', 'shipment'], {}, /Unknown process "shipment"/],
    ['start:extracted without a module', ['dist/start.js', '--extracted'], {}, /Usage: npm run start:extracted -- <module>/],
  ])('should exit with code 2 on %s', (_, entry, env, message) => {
    const { code, stderr } = start(entry, env);
    expect(stderr).toMatch(message);
    expect(code).toBe(2);
  });
});
