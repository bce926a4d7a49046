import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../support/test-app.js';

const ROOT = path.resolve(import.meta.dirname, '../..');
const REDOCLY = path.join(ROOT, 'node_modules/.bin/redocly');

interface LintReport {
  totals: { errors: number; warnings: number; ignored: number };
  problems: { ruleId: string; severity: string; message: string; location: { pointer?: string }[] }[];
}

/** Runs Redocly CLI on the file; its exit code is 1 when it found errors, which is an answer here, not a failure. */
function redoclyLint(file: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      REDOCLY,
      ['lint', file, '--config', path.join(ROOT, 'redocly.yaml'), '--format', 'json', '--max-problems', '1000'],
      // No telemetry or update check: the run must not depend on the network.
      { cwd: ROOT, env: { ...process.env, REDOCLY_TELEMETRY: 'off', REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true' }, timeout: 60_000 },
      (error, stdout, stderr) => resolve({ code: error ? (typeof error.code === 'number' ? error.code : -1) : 0, stdout, stderr }),
    );
  });
}

/**
 * The document exists only at run time (built from the mounted routes), so the spec
 * boots the app, saves what GET /docs/openapi.json answers, and lints that file with
 * Redocly CLI's recommended rules (redocly.yaml says which are tuned, and why).
 */
describe('the OpenAPI document, linted', () => {
  let shop: TestApp;
  let dir: string;

  beforeAll(async () => {
    shop = await startTestApp();
    dir = mkdtempSync(path.join(os.tmpdir(), 'openapi-lint-'));
  });
  afterAll(async () => {
    await shop?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  /**
   * Generated clients name their calls after operationIds, so a changed one breaks
   * every client: this list changes only on purpose (a use case renamed, a route added).
   */
  it('should keep every operationId stable', async () => {
    const document = (await shop.http.get<{ paths: Record<string, Record<string, { operationId: string }>> }>('/docs/openapi.json')).body;
    const ids = Object.entries(document.paths).flatMap(([route, item]) =>
      Object.entries(item).map(([method, operation]) => `${operation.operationId}: ${method.toUpperCase()} ${route}`),
    );
    expect(ids.sort()).toEqual([
      'cancelOrder: POST /api/v1/orders/{id}/cancel',
      'checkLiveness: GET /health/live',
      'checkReadiness: GET /health/ready',
      'createProduct: POST /api/v1/catalog/products',
      'getJwks: GET /.well-known/jwks.json',
      'getMyProfile: GET /api/v1/identity/me',
      'getOrder: GET /api/v1/orders/{id}',
      'getOrderSummaries: GET /api/v1/reporting/orders',
      'getPayment: GET /api/v1/payments/orders/{orderId}',
      'getProduct: GET /api/v1/catalog/products/{id}',
      'getSalesReport: GET /api/v1/reporting/sales',
      'getShippableItem: GET /api/v1/shipping/items/{productId}',
      'getStockWithName: GET /api/v1/inventory/{sku}',
      'listCheckouts: GET /api/v1/orders/checkouts',
      'listDeadLetters: GET /ops/events/dead-letters',
      'listNotifications: GET /api/v1/notifications',
      'listOrders: GET /api/v1/orders',
      'logIn: POST /api/v1/identity/login',
      'placeOrder: POST /api/v1/orders',
      'rebuildOrderSummaries: POST /api/v1/reporting/rebuild',
      'redriveDeadLetters: POST /ops/events/dead-letters/redrive',
      'registerUser: POST /api/v1/identity/register',
      'replayEvents: POST /ops/events/replay',
      'retryCheckoutCompensation: POST /api/v1/orders/checkouts/{id}/retry',
      'searchProducts: GET /api/v1/catalog/products',
      'setShippableItem: PUT /api/v1/shipping/items/{productId}',
      'setStock: PUT /api/v1/inventory/{sku}',
      'trackShipment: GET /api/v1/shipping/shipments/{id}',
      'updateMyProfile: PATCH /api/v1/identity/me',
      'updateProduct: PATCH /api/v1/catalog/products/{id}',
    ]);
  });

  it('should pass Redocly CLI with no error and no warning', async () => {
    const answer = await shop.http.get('/docs/openapi.json');
    expect(answer.status).toBe(200);
    const file = path.join(dir, 'openapi.json');
    writeFileSync(file, JSON.stringify(answer.body, null, 2));

    const run = await redoclyLint(file);
    let report: LintReport;
    try {
      report = JSON.parse(run.stdout) as LintReport;
    } catch {
      throw new Error(`redocly printed no JSON report (exit ${run.code}):\n${run.stdout}\n${run.stderr}`);
    }
    const findings = report.problems
      .map((p) => `${p.severity} ${p.ruleId}: ${p.message} at ${p.location.map((l) => l.pointer).join(', ')}`)
      .join('\n');
    expect({ exitCode: run.code, ...report.totals, findings }).toEqual({
      exitCode: 0,
      errors: 0,
      warnings: 0,
      ignored: 0,
      findings: '',
    });
  });
});
