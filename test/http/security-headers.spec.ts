import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../support/test-app.js';

/** Debian's Chromium (`apt-get install chromium`; `.ci/run` installs it when missing), or CHROMIUM_PATH. */
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

describe('security headers and CORS', () => {
  let shop: TestApp;
  const allowed = 'https://shop.example';

  beforeAll(async () => {
    shop = await startTestApp({ env: { CORS_ORIGINS: `${allowed},http://localhost:5173` } });
  });
  afterAll(async () => {
    await shop.close();
  });

  it('should send the usual protective headers on API answers and problems alike', async () => {
    for (const answer of [await shop.http.get('/health/live'), await shop.http.get('/api/v1/nowhere')]) {
      expect(answer.headers.get('x-content-type-options')).toBe('nosniff');
      expect(answer.headers.get('x-frame-options')).toBe('DENY');
      expect(answer.headers.get('referrer-policy')).toBe('no-referrer');
      expect(answer.headers.get('strict-transport-security')).toMatch(/max-age=\d+/);
      const csp = answer.headers.get('content-security-policy') ?? '';
      expect(csp).toContain("default-src 'self'");
      expect(csp).toContain("frame-ancestors 'none'");
      expect(csp).not.toContain('upgrade-insecure-requests');
    }
  });

  it('should answer a preflight from an allowed origin, and expose the headers a client needs', async () => {
    const preflight = await shop.http.request('OPTIONS', '/api/v1/orders', {
      headers: { origin: allowed, 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization,content-type,idempotency-key' },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-origin')).toBe(allowed);
    expect(preflight.headers.get('access-control-allow-methods')).toContain('POST');
    expect(preflight.headers.get('access-control-allow-headers')).toContain('idempotency-key');
    const answer = await shop.http.get('/health/live', { headers: { origin: allowed } });
    expect(answer.headers.get('access-control-allow-origin')).toBe(allowed);
    expect(answer.headers.get('access-control-expose-headers')).toContain('location');
  });

  it('should give an origin that is not listed no CORS header at all', async () => {
    const answer = await shop.http.get('/health/live', { headers: { origin: 'https://evil.example' } });
    expect(answer.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('should send no CORS header when no origin is configured (the default)', async () => {
    const plain = await startTestApp({ database: shop.database!, dataDir: shop.dataDir });
    try {
      const answer = await plain.http.get('/health/live', { headers: { origin: allowed } });
      expect(answer.headers.get('access-control-allow-origin')).toBeNull();
      const preflight = await plain.http.request('OPTIONS', '/api/v1/orders', {
        headers: { origin: allowed, 'access-control-request-method': 'POST' },
      });
      expect(preflight.headers.get('access-control-allow-origin')).toBeNull();
    } finally {
      await plain.close({ keepData: true });
    }
  });

  describe('the Swagger UI page, in a real browser under that policy', () => {
    let browser: Browser;

    beforeAll(async () => {
      if (!existsSync(CHROMIUM)) throw new Error(`no Chromium at ${CHROMIUM}: apt-get install chromium, or set CHROMIUM_PATH`);
      browser = await chromium.launch({
        executablePath: CHROMIUM,
        args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
      });
    });
    afterAll(async () => {
      await browser?.close();
    });

    it('should render every operation of the document, with nothing blocked by the policy', async () => {
      const page = await browser.newPage();
      const problems: string[] = [];
      page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
      page.on('console', (message) => {
        if (message.type() === 'error') problems.push(`console: ${message.text()}`);
      });
      page.on('response', (response) => {
        if (response.status() >= 400) problems.push(`${response.status()} ${response.url()}`);
      });
      await page.exposeFunction('reportViolation', (text: string) => problems.push(`CSP: ${text}`));
      // Runs in the page (no DOM types here, so as text): reports what the policy blocks.
      await page.addInitScript(
        "document.addEventListener('securitypolicyviolation', (e) => window.reportViolation(e.violatedDirective + ' ' + e.blockedURI));",
      );
      const answer = await page.goto(`${shop.url}/docs`);
      expect(answer?.status()).toBe(200);
      expect(answer?.headers()['content-security-policy']).toContain("script-src 'self'");
      const documented = Object.values((await shop.http.get('/docs/openapi.json')).body.paths as Record<string, object>).reduce(
        (n, methods) => n + Object.keys(methods).length,
        0,
      );
      await page.waitForFunction(`document.querySelectorAll('.opblock').length === ${documented}`, undefined, { timeout: 20_000 });
      expect(await page.textContent('.info .title')).toContain('Modular shop API');
      expect(problems).toEqual([]);
      await page.close();
    });
  });
});
