/**
 * Summarises a V8 .cpuprofile (from `node --cpu-prof`): top functions by self time and
 * self time per package. Usage:
 *   node bench/support/cpu-profile-summary.mjs <file.cpuprofile> [top=25]
 * To profile the monolith during a bench run:
 *   BENCH_MONOLITH_NODE_ARGS="--cpu-prof --cpu-prof-dir=/tmp/shop-prof" node bench/run.mjs
 * (the profile is written when the bench stops the monolith).
 */
import fs from 'node:fs';

export function summariseProfile(profile) {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const selfUs = new Map();
  const { samples, timeDeltas } = profile;
  for (let i = 0; i < samples.length; i++) {
    // timeDeltas[i] is the time before sample i; attribute the next delta to sample i.
    const dt = timeDeltas[i + 1] ?? 0;
    selfUs.set(samples[i], (selfUs.get(samples[i]) ?? 0) + dt);
  }
  // Shares are of busy time: "(idle)" (waiting for I/O, or for the bench to load this
  // process at all) is reported separately.
  let idle = 0;
  let total = 0;
  const functions = new Map();
  const packages = new Map();
  for (const [id, us] of selfUs) {
    const { callFrame } = byId.get(id);
    if (callFrame.functionName === '(idle)') {
      idle += us;
      continue;
    }
    total += us;
    const where = locationOf(callFrame.url);
    const name = `${callFrame.functionName || '(anonymous)'}  ${where.file}${callFrame.url ? `:${callFrame.lineNumber + 1}` : ''}`;
    functions.set(name, (functions.get(name) ?? 0) + us);
    packages.set(where.pkg, (packages.get(where.pkg) ?? 0) + us);
  }
  const rank = (m) => [...m].sort((a, b) => b[1] - a[1]).map(([name, us]) => ({ name, ms: us / 1000, share: us / total }));
  return { busyMs: total / 1000, idleMs: idle / 1000, functions: rank(functions), packages: rank(packages) };
}

function locationOf(url) {
  if (!url) return { pkg: '(vm: gc, program, native)', file: '' };
  const path = url.replace(/^file:\/\//, '');
  const nm = path.lastIndexOf('node_modules/');
  if (nm >= 0) {
    const rest = path.slice(nm + 'node_modules/'.length).split('/');
    const pkg = rest[0].startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0];
    return { pkg, file: path.slice(nm + 'node_modules/'.length) };
  }
  if (path.startsWith('node:')) return { pkg: 'node core', file: path };
  const dist = path.indexOf('/dist/');
  if (dist >= 0) return { pkg: 'app (dist)', file: path.slice(dist + 1) };
  return { pkg: 'other', file: path };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const [file, topArg] = process.argv.slice(2);
  if (!file) {
    console.error('usage: node bench/support/cpu-profile-summary.mjs <file.cpuprofile> [top]');
    process.exit(2);
  }
  const top = Number(topArg ?? 25);
  const s = summariseProfile(JSON.parse(fs.readFileSync(file, 'utf8')));
  const pct = (x) => `${(x * 100).toFixed(1)}%`.padStart(6);
  console.log(
    `busy ${(s.busyMs / 1000).toFixed(1)} s, idle ${(s.idleMs / 1000).toFixed(1)} s; shares are of busy time\n\nself time by package:`,
  );
  for (const p of s.packages.slice(0, 20)) console.log(`${pct(p.share)}  ${p.name}`);
  console.log(`\ntop ${top} functions by self time:`);
  for (const f of s.functions.slice(0, top)) console.log(`${pct(f.share)}  ${f.name}`);
}
