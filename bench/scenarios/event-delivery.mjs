/**
 * Durable events end to end: identity's outbox → relay → transport → notifications'
 * WelcomeNewUser (inbox + stored notification) — in-process and through BullMQ.
 *
 * The shop runs inside the bench process (from dist/): its relay and its consumer do
 * the work measured. A separate publisher process (bench/event-publisher.mjs) plays
 * identity and publishes UserRegistered events with the real Outbox, one event per
 * transaction, so nothing but the event path is measured (no HTTP, no password
 * hashing) and the load generator does not share the shop's event loop.
 *
 * Three phases per delivery mode:
 *  - live burst: BENCH_EVENTS events from 32 concurrent publishers as fast as they
 *    commit, while the shop delivers; events/s = events / (last effect − first commit).
 *    It can never exceed the publishers' own commit rate, which on this 2-core box
 *    shares the CPUs with the relay, the consumer and PostgreSQL;
 *  - backlog drain: the shop is stopped, BENCH_EVENTS events are committed, the shop
 *    starts again and delivers them; events/s = (events − 1) / (last effect − first
 *    effect): the throughput of the event path itself, relay → transport → consumer;
 *  - paced: BENCH_EVENT_RATE events/s for BENCH_DURATION seconds; delay from each
 *    commit (bench clock, after COMMIT returned) to its effect (the consumer
 *    transaction's start time, now(), on the same machine clock): p50 / p99.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { freshDatabase, rolePrefixOf } from '../support/database.mjs';
import { REPO_ROOT } from '../support/monolith.mjs';
import { forgetQueues } from '../support/placement.mjs';
import { percentileOfSorted } from '../support/stats.mjs';
import { fmt } from '../support/table.mjs';

const TARGET_EVENTS_PER_SECOND = 2000;
const PUBLISHERS = Number(process.env.BENCH_PUBLISHERS ?? 32);
const ROLE_SECRET = 'bench-module-role-secret-0123456789';
const ROLE_PREFIX = rolePrefixOf('shop_bench_events');
const TARGET_P99_MS_BULLMQ = 50;

const dist = (file) => import(path.join(REPO_ROOT, 'dist', file));

/** Queue prefixes this run used, removed from the shared Redis when it ends. */
const prefixes = new Set();
const usedPrefix = (prefix) => (prefixes.add(prefix), prefix);

async function bootShop({ databaseUrl, dataDir, redisUrl }) {
  const [{ createApp }, { loadConfig }, { createLogger }] = await Promise.all([
    dist('create-app.js'),
    dist('platform/config/app-config.js'),
    dist('platform/logging/logger.js'),
  ]);
  const config = loadConfig({
    DATABASE_URL: databaseUrl,
    DATA_DIR: dataDir,
    LOG_LEVEL: 'warn',
    DB_POOL_SIZE: process.env.BENCH_DB_POOL_SIZE ?? '10',
    BOOTSTRAP_ADMIN_EMAIL: 'bench-admin@example.com',
    BOOTSTRAP_ADMIN_PASSWORD: 'bench-admin-password',
    EVENTS_BATCH_SIZE: '500',
    EVENTS_WORKER_CONCURRENCY: process.env.BENCH_WORKER_CONCURRENCY ?? '8',
    MODULE_DB_SECRET: ROLE_SECRET,
    MODULE_ROLE_PREFIX: ROLE_PREFIX,
    ...(redisUrl ? { REDIS_URL: redisUrl, EVENTS_QUEUE_PREFIX: usedPrefix(`bench${Date.now()}`) } : {}),
  });
  const app = await createApp(config, createLogger('warn'));
  await app.init();
  return app;
}

/** Runs bench/event-publisher.mjs and returns its commits. */
async function publishFromChild({ databaseUrl, roleSecret, count, concurrency, rate, workDir }) {
  const outFile = path.join(workDir, `commits-${Date.now()}.json`);
  await new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [path.join(REPO_ROOT, 'bench/event-publisher.mjs'), databaseUrl, roleSecret, ROLE_PREFIX, count, concurrency, rate, outFile].map(String),
      { stdio: ['ignore', 'inherit', 'inherit'] },
    );
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`event publisher exited with ${code}`))));
  });
  return JSON.parse(readFileSync(outFile, 'utf8'));
}

async function effectsOf(client, ids, { timeoutMs }) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { rows } = await client.query(
      'SELECT count(*)::int AS n FROM notifications.notifications WHERE event_id = ANY($1::uuid[])',
      [ids],
    );
    if (rows[0].n >= ids.length) break;
    if (Date.now() > deadline) throw new Error(`only ${rows[0].n} of ${ids.length} effects after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  const { rows } = await client.query(
    'SELECT event_id, extract(epoch FROM sent_at) * 1000 AS at FROM notifications.notifications WHERE event_id = ANY($1::uuid[])',
    [ids],
  );
  return new Map(rows.map((r) => [r.event_id, Number(r.at)]));
}

async function burst(target, client, count) {
  const { startedAt, commits } = await publishFromChild({ ...target, count, concurrency: PUBLISHERS, rate: 0 });
  const lastCommit = Math.max(...commits.map((c) => c.committedAt));
  const effects = await effectsOf(client, commits.map((c) => c.id), { timeoutMs: 120_000 });
  const lastEffect = Math.max(...effects.values());
  return {
    eventsPerSecond: count / ((lastEffect - startedAt) / 1000),
    publishedPerSecond: count / ((lastCommit - startedAt) / 1000),
  };
}

async function drain(target, client, count, restartShop) {
  const { commits } = await publishFromChild({ ...target, count, concurrency: PUBLISHERS, rate: 0 });
  await restartShop();
  const effects = [...(await effectsOf(client, commits.map((c) => c.id), { timeoutMs: 120_000 })).values()];
  const seconds = (Math.max(...effects) - Math.min(...effects)) / 1000;
  return { drainedPerSecond: (count - 1) / seconds };
}

async function paced(target, client, rate, seconds) {
  const total = rate * seconds;
  const { commits } = await publishFromChild({ ...target, count: total, concurrency: 16, rate });
  const effects = await effectsOf(client, commits.map((c) => c.id), { timeoutMs: 60_000 });
  const delays = commits.map((c) => Math.max(0, effects.get(c.id) - c.committedAt)).sort((a, b) => a - b);
  if (process.env.BENCH_DEBUG_DELAYS) {
    const t0 = Math.min(...commits.map((c) => c.committedAt));
    const slow = commits.map((c) => [Math.round(c.committedAt - t0), Math.round(effects.get(c.id) - c.committedAt)]).filter(([, d]) => d > 20);
    console.error(JSON.stringify(slow));
  }
  return { p50Ms: percentileOfSorted(delays, 50), p99Ms: percentileOfSorted(delays, 99), events: total };
}

export default {
  name: 'event-delivery',
  title: 'UserRegistered: outbox → relay → notifications (inbox + effect)',
  description:
    'live burst (publishers and shop together: commit of the first to effect of the last), backlog drain ' +
    '(the event path alone: first to last effect) and, at a steady rate, delay from commit to effect, ' +
    'for in-process and BullMQ delivery',
  columns: [
    { header: 'delivery', value: (r) => r.target, align: 'left' },
    { header: 'burst events', value: (r) => r.burstEvents, format: fmt.int },
    { header: 'live committed/s', value: (r) => r.publishedPerSecond, format: fmt.int },
    { header: 'live events/s', value: (r) => r.eventsPerSecond, format: fmt.int },
    { header: 'drain events/s', value: (r) => r.drainedPerSecond, format: fmt.int },
    { header: 'paced rate/s', value: (r) => r.rate, format: fmt.int },
    { header: 'p50 ms', value: (r) => r.p50Ms, format: fmt.ms },
    { header: 'p99 ms', value: (r) => r.p99Ms, format: fmt.ms },
  ],
  summary(result) {
    return [
      `drain events/s >= ${TARGET_EVENTS_PER_SECOND} in both modes, BullMQ p99 < ${TARGET_P99_MS_BULLMQ} ms: ` +
        (result.pass ? 'PASS' : 'FAIL'),
    ];
  },
  async run({ config, workDir, progress }) {
    const events = Number(process.env.BENCH_EVENTS ?? 10_000);
    const rate = Number(process.env.BENCH_EVENT_RATE ?? 200);
    const rows = [];
    const modes = [
      { target: 'in-process', redisUrl: undefined },
      { target: 'BullMQ', redisUrl: process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379' },
    ].filter((m) => !process.env.BENCH_EVENT_MODES || process.env.BENCH_EVENT_MODES.split(',').includes(m.target));
    for (const mode of modes) {
      const databaseUrl = await freshDatabase(config.postgresUrl, 'shop_bench_events');
      const boot = () => bootShop({ databaseUrl, dataDir: path.join(workDir, mode.target), redisUrl: mode.redisUrl });
      let app = await boot();
      const client = new pg.Client({ connectionString: databaseUrl });
      await client.connect();
      try {
        const target = { databaseUrl, roleSecret: ROLE_SECRET, workDir };
        progress(`${mode.target}: warm-up`);
        await burst(target, client, 500);
        progress(`${mode.target}: burst of ${events}`);
        const b = await burst(target, client, events);
        progress(`${mode.target}: ${rate}/s for ${config.durationSeconds}s`);
        const p = await paced(target, client, rate, config.durationSeconds);
        progress(`${mode.target}: backlog of ${events}, committed while the shop is stopped, then drained`);
        await app.close();
        app = undefined;
        const d = await drain(target, client, events, async () => {
          app = await boot();
        });
        rows.push({
          target: mode.target,
          burstEvents: events,
          eventsPerSecond: b.eventsPerSecond,
          publishedPerSecond: b.publishedPerSecond,
          drainedPerSecond: d.drainedPerSecond,
          rate,
          ...p,
        });
        progress(`${mode.target}: live ${Math.round(b.eventsPerSecond)} events/s, drain ${Math.round(d.drainedPerSecond)} events/s, p50 ${p.p50Ms.toFixed(1)} ms, p99 ${p.p99Ms.toFixed(1)} ms`);
      } finally {
        await client.end();
        await app?.close();
        if (mode.redisUrl) for (const prefix of prefixes) await forgetQueues(mode.redisUrl, prefix);
        prefixes.clear();
      }
    }
    const bull = rows.find((r) => r.target === 'BullMQ');
    const pass =
      rows.length === 2 && rows.every((r) => r.drainedPerSecond >= TARGET_EVENTS_PER_SECOND) && bull.p99Ms < TARGET_P99_MS_BULLMQ;
    return { rows, pass, targets: { eventsPerSecond: TARGET_EVENTS_PER_SECOND, bullmqP99Ms: TARGET_P99_MS_BULLMQ } };
  },
};
