/**
 * Counts the statements the monolith sends to PostgreSQL, by their first 60
 * characters, and writes the counts (most frequent first) to $BENCH_QUERY_COUNTS when
 * the process exits. Load it into the monolith during a bench run:
 *
 *   BENCH_QUERY_COUNTS=/tmp/queries.txt \
 *   BENCH_MONOLITH_NODE_ARGS="--require ./bench/support/count-queries.cjs" \
 *   BENCH_SCENARIOS=checkout node bench/run.mjs
 *
 * then divide by the orders the table reports (seeding and warm-up included, so run
 * with BENCH_WARMUP=0 for a cleaner ratio). It is how the statements per order quoted
 * in bench/README.md were counted.
 */
const fs = require('node:fs');
const path = require('node:path');

const out = process.env.BENCH_QUERY_COUNTS;
if (out) {
  const pg = require(require.resolve('pg', { paths: [process.cwd(), path.join(__dirname, '..', '..')] }));
  const counts = new Map();
  const query = pg.Client.prototype.query;
  pg.Client.prototype.query = function countedQuery(config, values, callback) {
    const text = typeof config === 'string' ? config : config && config.text;
    const key = String(text ?? '?').replace(/\s+/g, ' ').trim().slice(0, 60);
    counts.set(key, (counts.get(key) ?? 0) + 1);
    return query.call(this, config, values, callback);
  };
  process.on('exit', () => {
    const lines = [...counts].sort((a, b) => b[1] - a[1]).map(([key, n]) => `${String(n).padStart(8)}  ${key}`);
    fs.writeFileSync(out, `${lines.join('\n')}\n`);
  });
}
