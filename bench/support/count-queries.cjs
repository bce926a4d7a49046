/**
 * Counts the statements a shop process sends to PostgreSQL, by their first 60
 * characters, and writes the counts (most frequent first) to $BENCH_QUERY_COUNTS when
 * the process exits. Load it into the monolith during a bench run:
 *
 *   BENCH_QUERY_COUNTS=/tmp/queries.txt \
 *   BENCH_MONOLITH_NODE_ARGS="--require ./bench/support/count-queries.cjs" \
 *   BENCH_SCENARIOS=checkout node bench/run.mjs
 *
 * then divide by the orders the table reports (seeding and warm-up included, so run
 * with BENCH_WARMUP=0 for a cleaner ratio). It is how the statements per order quoted
 * in bench/README.md were counted. With several processes (BENCH_SERVICE_NODE_ARGS for
 * the extracted services too), put `%p` in the file name: it becomes each process's pid.
 *
 * On SIGUSR2 it also writes the counts so far, as JSON { seq, counts }, to
 * `$BENCH_QUERY_COUNTS.json` (seq counts the signals): the checkout scenario signals
 * every process at the start and the end of its measured seconds and takes the
 * difference (statements/order, commits/order in its table).
 */
const fs = require('node:fs');
const path = require('node:path');

const out = process.env.BENCH_QUERY_COUNTS && process.env.BENCH_QUERY_COUNTS.replace('%p', String(process.pid));
if (out) {
  const pg = require(require.resolve('pg', { paths: [process.cwd(), path.join(__dirname, '..', '..')] }));
  const counts = new Map();
  const query = pg.Client.prototype.query;
  pg.Client.prototype.query = function countedQuery(config, values, callback) {
    const text = typeof config === 'string' ? config : config && config.text;
    // Normalised from a short prefix only: batched statements can be kilobytes long.
    const key = String(text ?? '?').slice(0, 120).replace(/\s+/g, ' ').trim().slice(0, 60);
    counts.set(key, (counts.get(key) ?? 0) + 1);
    return query.call(this, config, values, callback);
  };
  let seq = 0;
  process.on('SIGUSR2', () => {
    seq++;
    const file = `${out}.json`;
    fs.writeFileSync(`${file}.tmp`, JSON.stringify({ seq, counts: Object.fromEntries(counts) }));
    fs.renameSync(`${file}.tmp`, file);
  });
  process.on('exit', () => {
    const lines = [...counts].sort((a, b) => b[1] - a[1]).map(([key, n]) => `${String(n).padStart(8)}  ${key}`);
    fs.writeFileSync(out, `${lines.join('\n')}\n`);
  });
}
