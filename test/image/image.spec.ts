import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../support/free-port.js';
import { waitFor } from '../support/wait-for.js';
import { imageExists, localNodeImage, run } from './local-node-image.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const IMAGE = `shop-image-test:${process.pid}`;

const docker = (...args: string[]) => run('docker', args).trim();
const health = (container: string) => docker('inspect', '--format', '{{.State.Health.Status}}', container);

/**
 * The Dockerfile, built and booted with Docker (`npm run test:image`; .ci/run starts
 * dockerd for it). Docker Hub is out of reach here, so the base is a stand-in for
 * node:24-bookworm-slim built from Debian's and npm's packages (local-node-image.ts);
 * everything after FROM is the Dockerfile as it is.
 */
describe('the image', () => {
  const containers: string[] = [];

  beforeAll(() => {
    const info = spawnSync('docker', ['info'], { encoding: 'utf8' });
    if (info.status !== 0) throw new Error(`no Docker daemon answers (start dockerd, or run .ci/run): ${info.stderr}`);
    const base = localNodeImage();
    docker('build', '--build-arg', `NODE_IMAGE=${base}`, '-t', IMAGE, ROOT);
  }, 900_000);
  afterAll(() => {
    for (const container of containers) spawnSync('docker', ['rm', '-f', container], { stdio: 'ignore' });
    if (imageExists(IMAGE)) spawnSync('docker', ['rmi', '-f', IMAGE], { stdio: 'ignore' });
  });

  it('should run as a non-root user, with a health check, and hold no dev dependency and no source', () => {
    const [user, healthcheck] = docker('image', 'inspect', IMAGE, '--format', '{{.Config.User}}|{{json .Config.Healthcheck.Test}}').split('|');
    expect(user).toBe('node');
    expect(JSON.parse(healthcheck!)).toEqual(['CMD', 'node', 'deploy/healthcheck.mjs']);
    const listing = docker('run', '--rm', '--entrypoint', 'sh', IMAGE, '-c', 'id -u; ls /app; ls /app/node_modules');
    const [uid, ...names] = listing.split('\n');
    expect(uid).toBe('1000');
    expect(names).toEqual(expect.arrayContaining(['dist', 'drizzle', 'node_modules', '@nestjs', 'pg']));
    for (const absent of ['src', 'test', 'vitest', 'typescript', '@swc']) expect(names, absent).not.toContain(absent);
  });

  it('should boot the monolith and the gateway from the one image, report healthy, and stop cleanly on SIGTERM', async () => {
    const [shopPort, proxyPort, adminPort] = [await freePort(), await freePort(), await freePort()];
    const shop = docker('run', '-d', '--network', 'host', '-e', `PORT=${shopPort}`, '-e', 'HOST=127.0.0.1', IMAGE);
    containers.push(shop);
    const gateway = docker(
      'run', '-d', '--network', 'host',
      '-e', `PROXY_PORT=${proxyPort}`, '-e', 'PROXY_HOST=127.0.0.1', '-e', `PROXY_ADMIN_PORT=${adminPort}`, '-e', 'PROXY_ADMIN_HOST=127.0.0.1',
      '-e', `MONOLITH_URL=http://127.0.0.1:${shopPort}`, '-e', 'PROXY_ADMIN_TOKEN=an-admin-token-for-the-image',
      IMAGE, 'gateway',
    );
    containers.push(gateway);

    // The shop on PGlite (no DATABASE_URL), answered through the gateway.
    await waitFor(async () => (await fetch(`http://127.0.0.1:${proxyPort}/health/ready`).catch(() => undefined))?.status === 200, {
      what: 'the monolith, through the gateway, to be ready',
      timeoutMs: 60_000,
    });
    const products = await fetch(`http://127.0.0.1:${proxyPort}/api/v1/catalog/products`);
    expect(products.status).toBe(200);
    expect(docker('logs', shop)).toMatch(/shop ready at http:\/\/127\.0\.0\.1:\d+, API docs at/);
    // Docker's own verdict, from the image's HEALTHCHECK (every 10 s).
    await waitFor(() => health(shop) === 'healthy' && health(gateway) === 'healthy', { what: 'both containers to be healthy', timeoutMs: 60_000, intervalMs: 500 });

    for (const container of [gateway, shop]) {
      docker('stop', '--time', '30', container);
      expect(docker('inspect', '--format', '{{.State.ExitCode}}', container), `exit code of ${container}`).toBe('0');
    }
  });
});
