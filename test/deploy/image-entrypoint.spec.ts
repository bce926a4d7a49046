import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort } from '../support/free-port.js';
import { waitFor } from '../support/wait-for.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const ENTRYPOINT = path.join(ROOT, 'deploy/docker-entrypoint.sh');
const HEALTHCHECK = path.join(ROOT, 'deploy/healthcheck.mjs');

/**
 * The image's entry point and HEALTHCHECK (Dockerfile), run as the image runs them, from
 * the app's folder with dist/ built, so `npm test` proves them without Docker; the image
 * itself is built and booted by `npm run test:image` (test/image/).
 */
describe("the image's entry point and health check", () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'shop-entrypoint-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('should run the gateway for `gateway`, healthy while it serves and not once it stops', async () => {
    const [port, adminPort, shopPort] = [await freePort(), await freePort(), await freePort()];
    writeFileSync(path.join(dir, 'routes.json'), JSON.stringify({ monolith: { instances: ['http://127.0.0.1:9'] }, routes: [] }));
    const env = {
      PATH: process.env.PATH ?? '',
      PORT: String(shopPort), // nothing listens there: the check must find the gateway's admin port
      PROXY_PORT: String(port),
      PROXY_HOST: '127.0.0.1',
      PROXY_ADMIN_PORT: String(adminPort),
      PROXY_ADMIN_TOKEN: 'an-admin-token-for-the-entrypoint',
      STRANGLER_ROUTES: path.join(dir, 'routes.json'),
      PROXY_STATE_FILE: path.join(dir, 'state.json'),
      LOG_LEVEL: 'warn',
    };
    const check = () => spawnSync(process.execPath, [HEALTHCHECK], { cwd: ROOT, env, encoding: 'utf8' }).status;
    expect(check()).toBe(1);
    const gateway = spawn(ENTRYPOINT, ['gateway'], { cwd: ROOT, env, stdio: 'ignore' });
    const exited = new Promise<number | null>((resolve) => gateway.once('exit', (code) => resolve(code)));
    await waitFor(() => check() === 0, { what: 'the health check to pass while the gateway serves' });
    gateway.kill('SIGTERM'); // exec'd: the signal reaches the gateway itself, which stops cleanly
    expect(await exited).toBe(0);
    expect(check()).toBe(1);
  });

  it("should hand anything else to dist/start.js, which names the processes it can run", () => {
    const answer = spawnSync(ENTRYPOINT, ['paymnts'], { cwd: ROOT, env: { PATH: process.env.PATH ?? '' }, encoding: 'utf8' });
    expect(answer.status).toBe(2);
    expect(answer.stderr).toMatch(/Unknown process "paymnts": run monolith, or one of identity, .*payments/);
  });
});
