/**
 * gateway: GET of a small JSON answer (bench/bare-upstream.mjs) directly, through nginx
 * and through our strangler gateway (dist/strangler-proxy/main.js), in the same run, on
 * the same upstream process. Targets (issue 11): our proxy with 1 worker reaches at
 * least 35% of nginx's requests/s (nginx with 1 worker: the same resources), and adds
 * under 2 ms at p50 over direct. The 2-worker row shows how the proxy scales; the row
 * with rate limits and a split route shows what routing and limiting cost.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startChild, waitForHttpOk } from '../support/child-process.mjs';
import { forgetGatewayKeys, startGateway } from '../support/gateway-process.mjs';
import { runLoadOnTree } from '../support/gateway-process-tree.mjs';
import { REPO_ROOT } from '../support/monolith.mjs';
import { NGINX_INSTALL_HINT, findNginx, startNginx } from '../support/nginx.mjs';
import { DEFAULT_REDIS_URL } from '../support/placement.mjs';
import { freePort } from '../support/ports.mjs';
import { median } from '../support/stats.mjs';
import { fmt } from '../support/table.mjs';

const TARGET_SHARE_OF_NGINX = 0.35;
const TARGET_ADDED_P50_MS = 2;
// Measured here before this scenario existed (../shared/STACK.md, issue 11), quoted beside this run's figures.
const EARLIER = { hpmShareOfNginx: 0.3, nginxShareOfDirect: 0.51 };

// A catalog-like path, so the split route's prefix matches it on whole segments.
const ROUTE_PREFIX = '/api/v1/catalog';
const LOAD_PATH = `${ROUTE_PREFIX}/products/00000000-0000-4000-8000-0000000000b2`;

/** nginx's binary: BENCH_NGINX (a path, or `none` to leave nginx out), else where it is installed. */
function nginxBinary(env = process.env) {
  const chosen = env.BENCH_NGINX;
  if (chosen === 'none') return { binary: undefined, why: 'BENCH_NGINX=none' };
  if (chosen) {
    try {
      fs.accessSync(chosen, fs.constants.X_OK);
      return { binary: chosen };
    } catch {
      throw new Error(`BENCH_NGINX=${chosen} is not an executable file`);
    }
  }
  const binary = findNginx(env);
  return binary ? { binary } : { binary: undefined, why: 'not installed (looked in /usr/sbin, /usr/local/sbin and PATH)' };
}

async function startUpstream({ workDir, nodeArgs }) {
  const port = await freePort();
  const child = startChild({
    name: 'bare-upstream',
    args: [...nodeArgs, path.join(REPO_ROOT, 'bench/bare-upstream.mjs')],
    env: { ...process.env, PORT: String(port), HOST: '127.0.0.1' },
    cwd: REPO_ROOT,
    logFile: path.join(workDir, 'bare-upstream.log'),
  });
  const baseUrl = `http://127.0.0.1:${port}`;
  try {
    await waitForHttpOk(`${baseUrl}${LOAD_PATH}`, { child, timeoutMs: 10_000 });
  } catch (error) {
    await child.stop();
    throw error;
  }
  return { child, baseUrl, port };
}

/** Every target must hand back the upstream's answer unchanged, or the comparison means nothing. */
async function checkSameAnswers(direct, targets) {
  const expected = await (await fetch(`${direct.baseUrl}${LOAD_PATH}`)).text();
  for (const t of targets) {
    // A few requests each: the split route sends a client-address to one side, always the same.
    for (let i = 0; i < 3; i++) {
      const res = await fetch(`${t.baseUrl}${LOAD_PATH}`, { signal: AbortSignal.timeout(5_000) });
      const text = await res.text();
      if (res.status !== 200 || text !== expected) {
        throw new Error(`${t.name} answered ${res.status} ${JSON.stringify(text.slice(0, 300))}, expected 200 ${JSON.stringify(expected)}`);
      }
    }
  }
  return Buffer.byteLength(expected);
}

/** Problem lines of a log: pino lines at warn (40) or above, and any line that is not JSON. */
function problemLines(file, isProblem) {
  let text = '';
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    return { count: 0, samples: [] };
  }
  const lines = text.split('\n').filter((line) => line.trim() && isProblem(line));
  return { count: lines.length, samples: lines.slice(0, 3).map((l) => l.slice(0, 300)) };
}

function pinoProblem(line) {
  try {
    return (JSON.parse(line).level ?? 0) >= 40;
  } catch {
    return true;
  }
}

const sum = (list, key) => list.reduce((n, r) => n + (r[key] ?? 0), 0);

function rowOf(target, loaded, idle) {
  const m = (list, key) => median(list.map((r) => r[key]));
  return {
    key: target.key,
    target: target.name,
    workers: target.workers,
    rps: m(loaded, 'rps'),
    p50Ms: m(loaded, 'p50Ms'),
    p99Ms: m(loaded, 'p99Ms'),
    serverCpuPct: m(loaded, 'serverCpuPct'),
    cpuUsPerReq: m(loaded, 'cpuUsPerReq'),
    upstreamCpuPct: target.key === 'direct' ? NaN : m(loaded, 'upstreamCpuPct'),
    loadgenCpuPct: m(loaded, 'loadgenCpuPct'),
    otherWorkPct: m(loaded, 'otherWorkPct'),
    serverProcesses: Math.max(...loaded.map((r) => r.serverProcesses)),
    // One request at a time (1 connection): the latency a request pays, without queueing.
    idleP50Ms: idle.length ? m(idle, 'p50Ms') : NaN,
    idleP99Ms: idle.length ? m(idle, 'p99Ms') : NaN,
    non2xx: sum(loaded, 'non2xx') + sum(idle, 'non2xx'),
    errors: sum(loaded, 'errors') + sum(idle, 'errors'),
    timeouts: sum(loaded, 'timeouts') + sum(idle, 'timeouts'),
    requests: sum(loaded, 'requests'),
    rounds: loaded,
    idleRounds: idle,
  };
}

export default {
  name: 'gateway',
  title: 'GET of a ~200-byte JSON: direct, through nginx, through our strangler gateway',
  description:
    'the same bare node:http upstream reached directly, through nginx (1 worker, upstream keep-alive) and through ' +
    'dist/strangler-proxy/main.js (1 and 2 workers; plain forwarding, and with rate limits + a split route)',
  columns: [
    { header: 'target', value: (r) => r.target, align: 'left' },
    { header: 'req/s', value: (r) => r.rps, format: fmt.int },
    { header: 'p50 ms', value: (r) => r.p50Ms, format: fmt.ms },
    { header: 'p99 ms', value: (r) => r.p99Ms, format: fmt.ms },
    { header: 'server CPU', value: (r) => r.serverCpuPct, format: fmt.pctPoints },
    { header: 'CPU µs/req', value: (r) => r.cpuUsPerReq, format: fmt.int },
    { header: 'upstream CPU', value: (r) => r.upstreamCpuPct, format: fmt.pctPoints },
    { header: 'load gen CPU', value: (r) => r.loadgenCpuPct, format: fmt.pctPoints },
    { header: 'other work', value: (r) => r.otherWorkPct, format: fmt.pctPoints },
    { header: '1-conn p50 ms', value: (r) => r.idleP50Ms, format: fmt.ms },
    { header: 'added p50 ms', value: (r) => r.addedP50Ms, format: (v) => (Number.isFinite(v) ? `+${v.toFixed(2)}` : '') },
    { header: 'non-2xx', value: (r) => r.non2xx },
    { header: 'errors', value: (r) => r.errors },
  ],

  summary(result) {
    const f = result.figures;
    const lines = [];
    if (f.shareOfNginx !== undefined) {
      lines.push(
        `our proxy (1 worker) / nginx (1 worker) req/s: ${fmt.pct(f.shareOfNginx)}   target >= ${fmt.pct(TARGET_SHARE_OF_NGINX)}: ` +
          `${f.sharePass ? 'PASS' : 'FAIL'}   (http-proxy-middleware 3 on node:http measured ~${fmt.pct(EARLIER.hpmShareOfNginx)} here earlier)`,
      );
    } else {
      lines.push(
        `nginx: ${result.details.nginx.why}: its row is skipped and the ${fmt.pct(TARGET_SHARE_OF_NGINX)}-of-nginx target cannot be judged. ` +
          `Install it with: ${NGINX_INSTALL_HINT} (as root)`,
      );
    }
    lines.push(
      `our proxy (1 worker) adds ${f.addedP50Ms.toFixed(2)} ms at p50 over direct, one request at a time (1 connection): ` +
        `target < ${TARGET_ADDED_P50_MS} ms: ${f.latencyPass ? 'PASS' : 'FAIL'}` +
        `\n  under load (${result.details.connections} connections) the p50 difference is ${f.loadedAddedP50Ms.toFixed(2)} ms (informational: ` +
        'with a fixed number of connections, latency is mostly queueing, ≈ connections ÷ req/s, the throughput figure again)',
    );
    const shares = [`our proxy (1 worker) / direct: ${fmt.pct(f.proxyShareOfDirect)}`];
    if (f.nginxShareOfDirect !== undefined) shares.unshift(`nginx / direct req/s: ${fmt.pct(f.nginxShareOfDirect)} (~${fmt.pct(EARLIER.nginxShareOfDirect)} earlier)`);
    lines.push(shares.join('; '));
    if (f.nginxCpuShare !== undefined) {
      lines.push(
        `nginx / our proxy (1 worker) CPU µs per request: ${fmt.pct(f.nginxCpuShare)} (informational: the same comparison from ` +
          'what a request costs each proxy, which other work on the machine sways much less than req/s)',
      );
    }
    lines.push(
      `scaling (informational): 2 workers / 1 worker = ${f.twoWorkerScaling.toFixed(2)}x req/s. This machine has ${result.details.cpus} CPUs, ` +
        'shared by the proxy, the upstream and the load generator (autocannon, in the bench process): a second worker ' +
        'competes with them for the same cores, so this is a floor for what more cores would give',
    );
    lines.push(
      `rate limits + split route (informational): ${fmt.pct(f.limitsShare)} of plain forwarding's req/s, ` +
        `${f.limitsExtraCpuUs >= 0 ? '+' : ''}${f.limitsExtraCpuUs.toFixed(1)} µs of proxy CPU per request, ` +
        `${f.limitsExtraP50Ms >= 0 ? '+' : ''}${f.limitsExtraP50Ms.toFixed(3)} ms at p50 with 1 connection`,
    );
    if (result.details.nginx.configPath) lines.push(`nginx config: ${result.details.nginx.configPath}`);
    return lines;
  },

  async run({ config, workDir, progress }) {
    const nginx = nginxBinary();
    const gatewayNodeArgs = (process.env.BENCH_GATEWAY_NODE_ARGS ?? '').split(/\s+/).filter(Boolean);
    const latencySeconds = Math.max(2, Math.ceil(config.durationSeconds / 3));
    const redisUrl = process.env.BENCH_REDIS_URL || DEFAULT_REDIS_URL;
    const children = [];
    // The gateways' Redis namespaces, whose keys are removed once they have stopped.
    const namespaces = [];
    const warnings = [];
    let result;
    try {
      const upstream = await startUpstream({ workDir, nodeArgs: config.bareNodeArgs });
      children.push(upstream.child);
      progress(`bare upstream ready at ${upstream.baseUrl} (pid ${upstream.child.pid})`);

      const targets = [{ key: 'direct', name: 'direct (bare node:http)', workers: 1, baseUrl: upstream.baseUrl, child: upstream.child, latency: true }];
      let nginxDetails = { why: nginx.why };
      if (nginx.binary) {
        const started = await startNginx({ binary: nginx.binary, workDir, upstreamPort: upstream.port, workers: 1 });
        children.push(started.child);
        nginxDetails = { binary: nginx.binary, version: started.version, configPath: started.configPath, errorLog: started.errorLog };
        progress(`nginx ${started.version} (1 worker) ready at ${started.baseUrl} (pid ${started.child.pid}, config ${started.configPath})`);
        targets.push({ key: 'nginx', name: `nginx ${started.version}, 1 worker`, workers: 1, baseUrl: started.baseUrl, child: started.child, latency: true });
      } else {
        progress(`nginx ${nginx.why}: skipping its row; install it with: ${NGINX_INSTALL_HINT}`);
      }

      const upstreamUrl = upstream.baseUrl;
      const gateways = [
        { key: 'proxy-1', name: 'our proxy, 1 worker', workers: 1, withLimitsAndSplit: false, latency: true },
        // More than one worker needs REDIS_URL (the gateway refuses otherwise). With no
        // route and no rate limit, Redis is not on the request path: weights are read in memory.
        { key: 'proxy-2', name: 'our proxy, 2 workers (REDIS_URL)', workers: 2, withLimitsAndSplit: false, latency: false, redisUrl },
        { key: 'proxy-limits', name: 'our proxy, 1 worker, rate limits + split route', workers: 1, withLimitsAndSplit: true, latency: true },
      ];
      for (const g of gateways) {
        const started = await startGateway({
          redisUrl: g.redisUrl,
          name: `gateway-${g.key}`,
          workDir,
          upstreamUrl,
          routePrefix: ROUTE_PREFIX,
          workers: g.workers,
          withLimitsAndSplit: g.withLimitsAndSplit,
          nodeArgs: gatewayNodeArgs,
        });
        children.push(started.child);
        namespaces.push(started);
        progress(`${g.name} ready at ${started.baseUrl} (pid ${started.child.pid}, routes ${started.routesFile}, log ${started.child.logFile})`);
        targets.push({ ...g, baseUrl: started.baseUrl, child: started.child, routesFile: started.routesFile });
      }

      const bodyBytes = await checkSameAnswers(targets[0], targets.slice(1));
      progress(`every target answers the upstream's ${bodyBytes}-byte JSON unchanged`);

      const load = (t, durationSeconds, connections) =>
        runLoadOnTree({
          baseUrl: t.baseUrl,
          paths: [LOAD_PATH],
          durationSeconds,
          connections,
          title: t.name,
          serverPid: t.child.pid,
          upstreamPid: upstream.child.pid,
        });

      if (config.warmupSeconds > 0) {
        for (const t of targets) {
          progress(`warm-up ${t.name} ${config.warmupSeconds}s`);
          await load(t, config.warmupSeconds, config.connections);
        }
      }

      // Alternate the order (A B C, C B A, ...) so drift on the box does not always
      // favour the same target. Each round: every target under load, then the latency
      // targets one request at a time, in the same order.
      const loaded = Object.fromEntries(targets.map((t) => [t.key, []]));
      const idle = Object.fromEntries(targets.map((t) => [t.key, []]));
      for (let round = 0; round < config.rounds; round++) {
        const order = round % 2 === 0 ? targets : [...targets].reverse();
        for (const t of order) {
          const r = await load(t, config.durationSeconds, config.connections);
          loaded[t.key].push(r);
          progress(
            `round ${round + 1}/${config.rounds} ${t.name}: ${Math.round(r.rps)} req/s, p50 ${r.p50Ms.toFixed(2)} ms, ` +
              `p99 ${r.p99Ms.toFixed(2)} ms, server CPU ${r.serverCpuPct.toFixed(0)}% (${r.serverProcesses} process${r.serverProcesses > 1 ? 'es' : ''}), ` +
              `${r.cpuUsPerReq.toFixed(0)} µs/req, upstream CPU ${r.upstreamCpuPct.toFixed(0)}%, load generator CPU ` +
              `${r.loadgenCpuPct.toFixed(0)}%, other work ${r.otherWorkPct.toFixed(0)}%, non-2xx ${r.non2xx}, errors ${r.errors}`,
          );
        }
        for (const t of order.filter((x) => x.latency)) {
          const r = await load(t, latencySeconds, 1);
          idle[t.key].push(r);
          progress(
            `round ${round + 1}/${config.rounds} ${t.name}, 1 connection: p50 ${r.p50Ms.toFixed(3)} ms, p99 ${r.p99Ms.toFixed(3)} ms, ` +
              `${Math.round(r.rps)} req/s, non-2xx ${r.non2xx}, errors ${r.errors}`,
          );
        }
      }

      const rows = targets.map((t) => rowOf(t, loaded[t.key], idle[t.key]));
      const row = (key) => rows.find((r) => r.key === key);
      const direct = row('direct');
      for (const r of rows) if (r !== direct) r.addedP50Ms = r.idleP50Ms - direct.idleP50Ms;
      const nginxRow = row('nginx');
      const proxy = row('proxy-1');
      const limits = row('proxy-limits');
      const figures = {
        shareOfNginx: nginxRow ? proxy.rps / nginxRow.rps : undefined,
        nginxShareOfDirect: nginxRow ? nginxRow.rps / direct.rps : undefined,
        proxyShareOfDirect: proxy.rps / direct.rps,
        nginxCpuShare: nginxRow ? nginxRow.cpuUsPerReq / proxy.cpuUsPerReq : undefined,
        addedP50Ms: proxy.addedP50Ms,
        loadedAddedP50Ms: proxy.p50Ms - direct.p50Ms,
        twoWorkerScaling: row('proxy-2').rps / proxy.rps,
        limitsShare: limits.rps / proxy.rps,
        limitsExtraCpuUs: limits.cpuUsPerReq - proxy.cpuUsPerReq,
        limitsExtraP50Ms: limits.idleP50Ms - proxy.idleP50Ms,
      };
      // A run with failed requests is not a valid pass, whatever the figures.
      const clean = rows.every((r) => r.non2xx === 0 && r.errors === 0);
      figures.sharePass = figures.shareOfNginx !== undefined ? clean && figures.shareOfNginx >= TARGET_SHARE_OF_NGINX : undefined;
      figures.latencyPass = clean && figures.addedP50Ms < TARGET_ADDED_P50_MS;

      for (const r of rows) {
        if (r.non2xx || r.errors) {
          const codes = {};
          for (const s of [...r.rounds, ...r.idleRounds]) for (const [c, n] of Object.entries(s.statusCodes)) codes[c] = (codes[c] ?? 0) + n;
          warnings.push(`${r.target}: ${r.non2xx} non-2xx, ${r.errors} errors (${r.timeouts} timeouts); status codes ${JSON.stringify(codes)}`);
        }
      }
      result = {
        rows,
        ratio: figures.shareOfNginx,
        target: nginxRow ? TARGET_SHARE_OF_NGINX : undefined,
        // Both targets, or n/a when nginx is missing: half a verdict would read as a pass.
        pass: nginxRow ? figures.sharePass && figures.latencyPass : undefined,
        headline:
          (nginxRow ? `${fmt.pct(figures.shareOfNginx)} of nginx's req/s (>= ${fmt.pct(TARGET_SHARE_OF_NGINX)}), ` : 'no nginx, ') +
          `+${figures.addedP50Ms.toFixed(2)} ms p50 (< ${TARGET_ADDED_P50_MS} ms), 2 workers ${figures.twoWorkerScaling.toFixed(2)}x`,
        figures,
        targets: { shareOfNginx: TARGET_SHARE_OF_NGINX, addedP50Ms: TARGET_ADDED_P50_MS },
        warnings,
        details: {
          path: LOAD_PATH,
          bodyBytes,
          connections: config.connections,
          latencySeconds,
          cpus: os.cpus().length,
          nginx: nginxDetails,
          routesFiles: Object.fromEntries(targets.filter((t) => t.routesFile).map((t) => [t.key, t.routesFile])),
          exits: {},
        },
      };
    } finally {
      await Promise.all(children.map((c) => c.stop()));
      await Promise.all(namespaces.map(forgetGatewayKeys));
    }

    // After the stop, so problems during shutdown show too.
    for (const child of children) {
      const isGateway = child.name.startsWith('gateway-');
      const isNginx = child.name.startsWith('nginx-');
      if (isGateway || isNginx) {
        const problems = isGateway
          ? problemLines(child.logFile, pinoProblem)
          : problemLines(result.details.nginx.errorLog, () => true);
        if (problems.count) {
          warnings.push(`${child.name} logged ${problems.count} warn/error lines, e.g.:\n    ${problems.samples.join('\n    ')}`);
        }
      }
      const exit = child.exit;
      result.details.exits[child.name] = exit;
      if (exit && exit.signal !== 'SIGTERM' && exit.code !== 0) {
        warnings.push(`${child.name} did not stop cleanly on SIGTERM: ${JSON.stringify(exit)}`);
      }
    }
    return result;
  },
};
