/**
 * Bench settings, read once from the environment. A bad value stops the run with a
 * message naming the variable rather than producing a meaningless measurement.
 */

function positiveInt(env, name, fallback) {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1) {
    throw new Error(`${name} must be a positive integer, got ${JSON.stringify(raw)}`);
  }
  return value;
}

function nonNegativeInt(env, name, fallback) {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 0) {
    throw new Error(`${name} must be an integer >= 0, got ${JSON.stringify(raw)}`);
  }
  return value;
}

export function readConfig(env = process.env) {
  const scenarios = (env.BENCH_SCENARIOS ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  return {
    /** Seconds of measured load per target and round. */
    durationSeconds: positiveInt(env, 'BENCH_DURATION', 10),
    /** Concurrent keep-alive connections autocannon keeps open. */
    connections: positiveInt(env, 'BENCH_CONNECTIONS', 50),
    /** Seconds of unmeasured load per target before the first round (JIT, pools, caches). */
    warmupSeconds: nonNegativeInt(env, 'BENCH_WARMUP', 3),
    /** Rounds per target; each round runs every target once, in alternating order. */
    rounds: positiveInt(env, 'BENCH_ROUNDS', 2),
    /** Scenario names to run; empty means all. */
    scenarios,
    /** A PostgreSQL superuser connection; the bench database is created next to it. */
    postgresUrl: env.BENCH_POSTGRES_URL || 'postgres://postgres@127.0.0.1:5432/postgres',
    /** Extra node flags for the monolith child, e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof". */
    monolithNodeArgs: (env.BENCH_MONOLITH_NODE_ARGS ?? '').split(/\s+/).filter(Boolean),
    /** The same for the baseline servers (e.g. bench/bare-product-server.mjs). */
    bareNodeArgs: (env.BENCH_BARE_NODE_ARGS ?? '').split(/\s+/).filter(Boolean),
    /** The same for extracted services (`node dist/extracted/<module>/main.js`) of the placement scenarios. */
    serviceNodeArgs: (env.BENCH_SERVICE_NODE_ARGS ?? '').split(/\s+/).filter(Boolean),
  };
}
