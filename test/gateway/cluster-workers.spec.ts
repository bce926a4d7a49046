import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { standInUpstream, startGateway, upstreamOf, type RunningGateway, type StandInUpstream } from '../support/gateway.js';
import { testRedisUrl } from '../support/test-env.js';
import { waitFor } from '../support/wait-for.js';

/** `gateway_requests_total` samples of a Prometheus text, with their labels. */
function requestSamples(text: string): { labels: Record<string, string>; value: number }[] {
  return text
    .split('\n')
    .filter((line) => line.startsWith('gateway_requests_total{'))
    .map((line) => {
      const [, labels = '', value = '0'] = /^gateway_requests_total\{(.*)\} (\S+)$/.exec(line) ?? [];
      return { labels: Object.fromEntries([...labels.matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1]!, m[2]!])), value: Number(value) };
    });
}

/**
 * The proxy with cluster workers (PROXY_WORKERS=2): they share the ports, so a client's
 * connection, and a scrape of /metrics, reaches either. Whichever worker is scraped
 * answers for both, every series labelled with its worker.
 */
describe('the gateway with two cluster workers', () => {
  let monolith: StandInUpstream;
  let gateway: RunningGateway;

  beforeAll(async () => {
    monolith = await standInUpstream('monolith', (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{"ok":true}');
    });
    gateway = await startGateway({
      routes: { monolith: upstreamOf(monolith), rateLimits: { perClientAddress: null, perUser: null }, routes: [] },
      env: { PROXY_WORKERS: '2', REDIS_URL: testRedisUrl(), PROXY_NAMESPACE: `gateway-workers-${randomBytes(6).toString('hex')}` },
    });
    // Ready is the first worker answering; connections reach the second once it listens too.
    await waitFor(() => new Set(gateway.logs().filter((line) => line.msg === 'gateway listening').map((line) => line.worker)).size === 2, {
      what: 'both workers to listen',
    });
  });
  afterAll(async () => {
    await gateway?.stop();
    await monolith?.close();
  });

  it('should answer /metrics for every worker, whichever one the scrape reaches', async () => {
    const sent = 120;
    // A connection each (`from` opens a new one), so the cluster hands them to both workers.
    for (let i = 0; i < sent; i++) expect((await gateway.http.get('/api/v1/catalog/products', { from: '127.0.0.3' })).status).toBe(200);

    for (let scrape = 0; scrape < 6; scrape++) {
      const answer = await fetch(`${gateway.adminUrl}/metrics`, { headers: { authorization: `Bearer ${gateway.adminToken}` } });
      expect(answer.status).toBe(200);
      const samples = requestSamples(await answer.text()).filter((sample) => sample.labels.route === 'monolith' && sample.labels.status_class === '2xx');
      const workers = new Set(samples.map((sample) => sample.labels.worker));
      expect([...workers].sort()).toEqual(['worker-1', 'worker-2']);
      expect(samples.reduce((total, sample) => total + sample.value, 0)).toBe(sent);
      for (const sample of samples) expect(sample.value).toBeGreaterThan(0);
    }
  });
});
