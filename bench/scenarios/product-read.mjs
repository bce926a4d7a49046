/**
 * product-read: GET /api/v1/catalog/products/:id on the monolith against a bare
 * node:http + pg server running the same query (bench/bare-product-server.mjs), in the
 * same run, on the same fresh database. The figure that matters is the ratio of the
 * monolith's requests/s to the bare server's: what the framework, validation, CQRS
 * handler, ORM and logging cost on this read path. Target: at least 50%.
 */
import { deepStrictEqual } from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { startChild, waitForHttpOk } from '../support/child-process.mjs';
import { freshDatabase, rolePrefixOf } from '../support/database.mjs';
import { mapLimit, requestJson } from '../support/http.mjs';
import { runLoad } from '../support/load.mjs';
import { BENCH_ADMIN, REPO_ROOT, logProblems, startMonolith } from '../support/monolith.mjs';
import { freePort } from '../support/ports.mjs';
import { median } from '../support/stats.mjs';

const PRODUCT_COUNT = 200;
const TARGET_RATIO = 0.5;
const PRODUCTS_PATH = '/api/v1/catalog/products';

async function seedProducts(baseUrl, count) {
  const login = await requestJson('POST', `${baseUrl}/api/v1/identity/login`, {
    body: { email: BENCH_ADMIN.email, password: BENCH_ADMIN.password },
    expect: 200,
  });
  const token = login.json?.accessToken;
  if (!token) throw new Error(`login answered no accessToken: ${login.text.slice(0, 300)}`);
  const numbers = Array.from({ length: count }, (_, i) => i + 1);
  return mapLimit(numbers, 8, async (n) => {
    const created = await requestJson('POST', `${baseUrl}${PRODUCTS_PATH}`, {
      token,
      expect: 201,
      body: {
        name: `Bench product ${n}`,
        description: `A product created by the bench, number ${n}, with a description of ordinary length.`,
        images: [],
        category: 'bench',
        tags: ['bench'],
        price: { amount: 1999, currency: 'EUR' },
      },
    });
    if (!created.json?.id) throw new Error(`create product answered no id: ${created.text.slice(0, 300)}`);
    return created.json.id;
  });
}

async function startBareServer({ databaseUrl, role, workDir, nodeArgs = [] }) {
  const port = await freePort();
  const child = startChild({
    name: 'bare-product-server',
    args: [...nodeArgs, path.join(REPO_ROOT, 'bench/bare-product-server.mjs')],
    env: { ...process.env, DATABASE_URL: databaseUrl, PORT: String(port), HOST: '127.0.0.1', DB_POOL_SIZE: '10', DB_ROLE: role },
    cwd: REPO_ROOT,
    logFile: path.join(workDir, 'bare-product-server.log'),
  });
  const baseUrl = `http://127.0.0.1:${port}`;
  try {
    await waitForHttpOk(`${baseUrl}/health/ready`, { child, timeoutMs: 20_000 });
  } catch (error) {
    await child.stop();
    throw error;
  }
  return { child, baseUrl };
}

/** Both servers must give the same answer, or the comparison means nothing. */
async function checkSameAnswers(targets, ids) {
  const [a, b] = targets;
  for (const id of [ids[0], ids[ids.length - 1]]) {
    const [ra, rb] = await Promise.all(targets.map((t) => requestJson('GET', `${t.baseUrl}${PRODUCTS_PATH}/${id}`)));
    if (ra.status !== 200 || rb.status !== 200) {
      throw new Error(`GET product ${id}: ${a.name} answered ${ra.status}, ${b.name} answered ${rb.status}`);
    }
    try {
      deepStrictEqual(ra.json, rb.json);
    } catch {
      throw new Error(`GET product ${id} differs:\n  ${a.name}: ${ra.text}\n  ${b.name}: ${rb.text}`);
    }
  }
  const missing = randomUUID();
  for (const t of targets) {
    const r = await requestJson('GET', `${t.baseUrl}${PRODUCTS_PATH}/${missing}`);
    if (r.status !== 404) throw new Error(`${t.name} answered ${r.status} for a missing product, expected 404`);
  }
}

export default {
  name: 'product-read',
  title: 'GET /api/v1/catalog/products/:id',
  description: 'monolith (Nest 12 + Fastify + CQRS + drizzle) vs bare node:http + pg, same SQL and JSON',

  async run({ config, workDir, progress }) {
    const databaseUrl = await freshDatabase(config.postgresUrl, 'shop_bench');
    const rolePrefix = rolePrefixOf('shop_bench');
    progress(`fresh database ${databaseUrl}`);

    const monolith = await startMonolith({ databaseUrl, rolePrefix, workDir, nodeArgs: config.monolithNodeArgs });
    const children = [monolith.child];
    let result;
    try {
      progress(`monolith ready at ${monolith.baseUrl} (pid ${monolith.child.pid}, log ${monolith.child.logFile})`);
      const ids = await seedProducts(monolith.baseUrl, PRODUCT_COUNT);
      progress(`seeded ${ids.length} products`);

      const bare = await startBareServer({ databaseUrl, role: `${rolePrefix}catalog`, workDir, nodeArgs: config.bareNodeArgs });
      children.push(bare.child);
      progress(`bare server ready at ${bare.baseUrl} (pid ${bare.child.pid})`);

      const targets = [
        { key: 'bare', name: 'bare node:http + pg', baseUrl: bare.baseUrl, pid: bare.child.pid },
        { key: 'monolith', name: 'monolith', baseUrl: monolith.baseUrl, pid: monolith.child.pid },
      ];
      await checkSameAnswers(targets, ids);
      progress('both servers give identical answers');

      const paths = ids.map((id) => `${PRODUCTS_PATH}/${id}`);
      const load = (target, durationSeconds) =>
        runLoad({
          baseUrl: target.baseUrl,
          paths,
          durationSeconds,
          connections: config.connections,
          title: target.name,
          serverPid: target.pid,
        });

      if (config.warmupSeconds > 0) {
        for (const t of targets) {
          progress(`warm-up ${t.name} ${config.warmupSeconds}s`);
          await load(t, config.warmupSeconds);
        }
      }

      // Alternate the order (A B, B A, A B, ...) so drift on the box (thermal, other
      // load, Postgres caches) does not always favour the same target.
      const samples = Object.fromEntries(targets.map((t) => [t.key, []]));
      for (let round = 0; round < config.rounds; round++) {
        const order = round % 2 === 0 ? targets : [...targets].reverse();
        for (const t of order) {
          const r = await load(t, config.durationSeconds);
          samples[t.key].push(r);
          progress(
            `round ${round + 1}/${config.rounds} ${t.name}: ${Math.round(r.rps)} req/s, ` +
              `p50 ${r.p50Ms.toFixed(2)} ms, p99 ${r.p99Ms.toFixed(2)} ms, server CPU ${r.serverCpuPct.toFixed(0)}%, ` +
              `${r.cpuUsPerReq.toFixed(0)} µs/req, load generator CPU ${r.loadgenCpuPct.toFixed(0)}%, ` +
              `non-2xx ${r.non2xx}, errors ${r.errors}`,
          );
        }
      }

      const rows = targets.map((t) => {
        const s = samples[t.key];
        return {
          target: t.name,
          rps: median(s.map((r) => r.rps)),
          p50Ms: median(s.map((r) => r.p50Ms)),
          p99Ms: median(s.map((r) => r.p99Ms)),
          serverCpuPct: median(s.map((r) => r.serverCpuPct)),
          cpuUsPerReq: median(s.map((r) => r.cpuUsPerReq)),
          non2xx: s.reduce((n, r) => n + r.non2xx, 0),
          errors: s.reduce((n, r) => n + r.errors, 0),
          timeouts: s.reduce((n, r) => n + r.timeouts, 0),
          requests: s.reduce((n, r) => n + r.requests, 0),
          rounds: s,
        };
      });
      const [bareRow, monolithRow] = rows;
      const ratio = monolithRow.rps / bareRow.rps;
      const clean = rows.every((r) => r.non2xx === 0 && r.errors === 0);

      const warnings = [];
      for (const r of rows) {
        if (r.non2xx || r.errors) {
          const codes = {};
          for (const s of r.rounds) for (const [c, n] of Object.entries(s.statusCodes)) codes[c] = (codes[c] ?? 0) + n;
          warnings.push(
            `${r.target}: ${r.non2xx} non-2xx, ${r.errors} errors (${r.timeouts} timeouts); status codes ${JSON.stringify(codes)}`,
          );
        }
      }
      result = {
        rows,
        ratio,
        // The same comparison from the servers' CPU cost per request, which is less
        // sensitive to other work on the machine than req/s (informational, not the target).
        cpuRatio: bareRow.cpuUsPerReq / monolithRow.cpuUsPerReq,
        target: TARGET_RATIO,
        // A run with failed requests is not a valid pass, whatever the ratio.
        pass: clean && ratio >= TARGET_RATIO,
        warnings,
        details: { products: ids.length, monolithLog: monolith.child.logFile, exits: {} },
      };
    } finally {
      await Promise.all(children.map((c) => c.stop()));
    }

    // After the stop, so problems during shutdown show too.
    const problems = logProblems(monolith.child.logFile);
    if (problems.count) {
      result.warnings.push(`monolith log has ${problems.count} warn/error lines, e.g.:\n    ${problems.samples.join('\n    ')}`);
    }
    for (const child of children) {
      const exit = child.exit;
      result.details.exits[child.name] = exit;
      if (exit && exit.signal !== 'SIGTERM' && exit.code !== 0) {
        result.warnings.push(`${child.name} did not stop cleanly on SIGTERM: ${JSON.stringify(exit)}`);
      }
    }
    return result;
  },
};
