/**
 * A separate process that plays identity: it publishes UserRegistered events through
 * the real Outbox (dist/), one per transaction, and writes `{ id, committedAt }` per
 * event as JSON lines to the file given. Running it outside the shop's process keeps
 * the load generator from competing with the relay and the consumer for one core.
 *
 * node bench/event-publisher.mjs <databaseUrl> <roleSecret> <rolePrefix> <count> <concurrency> <rate|0> <outFile>
 */
import { randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const dist = (file) => import(path.join(root, 'dist', file));

const [databaseUrl, roleSecret, rolePrefix, countArg, concurrencyArg, rateArg, outFile] = process.argv.slice(2);
const count = Number(countArg);
const concurrency = Number(concurrencyArg);
const rate = Number(rateArg);

const [{ PostgresEngine }, { Outbox, OUTBOX_CHANNEL }, { OutboxAnnouncer }, { UserRegistered }] = await Promise.all([
  dist('platform/database/postgres-engine.js'),
  dist('platform/events/outbox.js'),
  dist('platform/events/outbox-announcer.js'),
  dist('modules/identity/contract.js'),
]);
const engine = new PostgresEngine({ url: databaseUrl, poolSize: concurrency, rolePrefix, roleSecret });
const identity = engine.forModule('identity');
// As in the shop: NOTIFY after the commit, from outside the publishing transactions.
const announcer = new OutboxAnnouncer(engine, OUTBOX_CHANNEL);
const outbox = new Outbox('identity', announcer);

async function publishOne() {
  const userId = randomUUID();
  const envelope = await identity.transaction((tx) =>
    outbox.publish(tx, UserRegistered, { userId, email: `${userId}@bench.local`, name: 'Bench' }),
  );
  return { id: envelope.id, committedAt: performance.timeOrigin + performance.now() };
}

// Connections set up before the clock starts: the shop's publishers are warm, and the
// first events should not wait for this process to log in.
await Promise.all(Array.from({ length: concurrency }, () => identity.transaction(async () => undefined)));
await engine.notify(OUTBOX_CHANNEL, 'warm-up');

const commits = [];
const startedAt = performance.timeOrigin + performance.now();
if (rate > 0) {
  const started = performance.now();
  const inFlight = [];
  for (let i = 0; i < count; i++) {
    const wait = started + (i * 1000) / rate - performance.now();
    if (wait > 1) await new Promise((resolve) => setTimeout(resolve, wait));
    inFlight.push(publishOne().then((c) => commits.push(c)));
  }
  await Promise.all(inFlight);
} else {
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < count) {
        next++;
        commits.push(await publishOne());
      }
    }),
  );
}
writeFileSync(outFile, JSON.stringify({ startedAt, commits }));
await announcer.settled(); // the last commits' NOTIFY goes out before the connections close
await engine.close();
