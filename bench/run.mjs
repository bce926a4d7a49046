/**
 * npm run bench: runs the selected scenarios (BENCH_SCENARIOS, default all), prints a
 * table per scenario and a summary, and writes bench/results/latest.json.
 *
 * Exit code: 0 when every scenario ran (a missed target is a result, not a failure),
 * 1 when a scenario could not run, 2 on bad settings.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { stopAllChildren } from './support/child-process.mjs';
import { readConfig } from './support/config.mjs';
import { machineBusyFraction } from './support/process-cpu.mjs';
import { fmt, renderTable } from './support/table.mjs';

const BENCH_DIR = path.dirname(fileURLToPath(import.meta.url));

/** Every scenario, in run order; each is bench/scenarios/<name>.mjs. */
const SCENARIOS = ['product-read', 'event-delivery', 'contract-call', 'checkout', 'gateway'];

const ROW_COLUMNS = [
  { header: 'target', value: (r) => r.target, align: 'left' },
  { header: 'req/s', value: (r) => r.rps, format: fmt.int },
  { header: 'p50 ms', value: (r) => r.p50Ms, format: fmt.ms },
  { header: 'p99 ms', value: (r) => r.p99Ms, format: fmt.ms },
  { header: 'server CPU', value: (r) => r.serverCpuPct, format: fmt.pctPoints },
  { header: 'CPU µs/req', value: (r) => r.cpuUsPerReq, format: fmt.int },
  { header: 'non-2xx', value: (r) => r.non2xx },
  { header: 'errors', value: (r) => r.errors },
];

function progress(message) {
  process.stderr.write(`  · ${message}\n`);
}

async function main() {
  let config;
  try {
    config = readConfig();
  } catch (error) {
    console.error(error.message);
    return 2;
  }
  const unknown = config.scenarios.filter((s) => !SCENARIOS.includes(s));
  if (unknown.length) {
    console.error(`Unknown scenario(s): ${unknown.join(', ')}. Known: ${SCENARIOS.join(', ')}`);
    return 2;
  }
  const selected = config.scenarios.length ? SCENARIOS.filter((s) => config.scenarios.includes(s)) : SCENARIOS;

  const workRoot = fs.mkdtempSync(path.join(os.tmpdir(), 'shop-bench-'));
  const report = {
    ranAt: new Date().toISOString(),
    node: process.version,
    cpus: os.cpus().length,
    cpuModel: os.cpus()[0]?.model,
    durationSeconds: config.durationSeconds,
    connections: config.connections,
    warmupSeconds: config.warmupSeconds,
    rounds: config.rounds,
    aggregate: 'median over rounds',
    // Share of all CPUs busy during 1 s before the run (and after it): anything well above
    // 0 at the start means something else is using the CPUs the servers and the load
    // generator share, and the numbers are noisy.
    machineBusyBefore: await machineBusyFraction(),
    workDir: workRoot,
    scenarios: [],
  };
  console.log(
    `bench: node ${report.node}, ${report.cpus} CPUs, ${config.connections} connections, ` +
      `${config.durationSeconds}s x ${config.rounds} rounds per target (+${config.warmupSeconds}s warm-up), ` +
      `median of rounds; logs in ${workRoot}`,
  );
  if (report.machineBusyBefore > 0.15) {
    console.log(
      `NOTE ${fmt.pct(report.machineBusyBefore)} of the CPUs were already busy before the bench started: ` +
        'other work is running, expect noisy numbers',
    );
  }

  let failed = false;
  for (const name of selected) {
    const { default: scenario } = await import(`./scenarios/${name}.mjs`);
    const workDir = path.join(workRoot, name);
    fs.mkdirSync(workDir, { recursive: true });
    console.log(`\n== ${scenario.name}: ${scenario.title}\n   ${scenario.description}`);
    const started = Date.now();
    try {
      // Earlier scenarios' results, for one that quotes them (checkout uses contract-call's serialization cost).
      const result = await scenario.run({ config, workDir, progress, earlier: report.scenarios });
      report.scenarios.push({ name: scenario.name, title: scenario.title, seconds: (Date.now() - started) / 1000, ...result });
      console.log(`\n${renderTable(scenario.columns ?? ROW_COLUMNS, result.rows)}`);
      if (scenario.summary) {
        for (const line of scenario.summary(result)) console.log(`\n${line}`);
      } else {
        console.log(
          `\nmonolith / bare req/s: ${fmt.pct(result.ratio)}   target >= ${fmt.pct(result.target)}: ` +
            `${result.pass ? 'PASS' : 'FAIL'}`,
        );
      }
      if (Number.isFinite(result.cpuRatio)) {
        console.log(`bare / monolith CPU µs per request: ${fmt.pct(result.cpuRatio)} (informational)`);
      }
      for (const w of result.warnings ?? []) console.log(`WARNING ${w}`);
    } catch (error) {
      failed = true;
      console.error(`\nscenario ${scenario.name} could not run: ${error.stack ?? error}`);
      report.scenarios.push({ name: scenario.name, title: scenario.title, error: String(error.message ?? error) });
      await stopAllChildren();
    }
  }

  if (report.scenarios.length > 1) {
    console.log(
      `\n${renderTable(
        [
          { header: 'scenario', value: (s) => s.name, align: 'left' },
          { header: 'ratio', value: (s) => (s.error ? 'error' : s.ratio === undefined ? '' : fmt.pct(s.ratio)) },
          { header: 'target', value: (s) => (s.error || s.target === undefined ? '' : `>= ${fmt.pct(s.target)}`) },
          { header: 'result', value: (s) => (s.error ? 'ERROR' : s.pass === undefined ? 'n/a' : s.pass ? 'PASS' : 'FAIL') },
          { header: 'figures', value: (s) => s.headline ?? '', align: 'left' },
        ],
        report.scenarios,
      )}`,
    );
  }

  // The checkout's target is absolute, but this VM's speed is not: the same code has
  // measured 2.5x apart on different days. The bare server of product-read (plain
  // node:http + pg, no framework) measured in the same run is the yardstick that lets
  // runs on faster or slower days be compared.
  const bare = report.scenarios.find((s) => s.name === 'product-read')?.rows?.find((r) => r.target.startsWith('bare'));
  // The placement the yardstick was set against: every module in one process, in-process events.
  const checkout = report.scenarios.find((s) => s.name === 'checkout')?.rows?.find((r) => r.placement === 'in-process');
  if (bare && checkout) {
    report.machineSpeed = {
      bareReqPerSecond: bare.rps,
      checkoutConfirmedPer1000BareReq: (checkout.confirmedPerSecond / bare.rps) * 1000,
    };
    console.log(
      `\nmachine speed (informational): bare node:http + pg ${fmt.int(bare.rps)} req/s in this run; ` +
        `checkout ${fmt.int(checkout.confirmedPerSecond)} confirmed/s = ` +
        `${report.machineSpeed.checkoutConfirmedPer1000BareReq.toFixed(1)} per 1,000 bare req/s`,
    );
  }

  report.machineBusyAfter = await machineBusyFraction();
  const out = path.join(BENCH_DIR, 'results/latest.json');
  fs.mkdirSync(path.dirname(out), { recursive: true });
  fs.writeFileSync(out, `${JSON.stringify(report, null, 2)}\n`);
  console.log(`\nwrote ${path.relative(process.cwd(), out) || out}`);
  return failed ? 1 : 0;
}

let stopping = false;
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    if (stopping) return;
    stopping = true;
    console.error(`\n${signal}: stopping servers`);
    stopAllChildren().finally(() => process.exit(130));
  });
}

main().then(
  async (code) => {
    await stopAllChildren();
    process.exit(code);
  },
  async (error) => {
    console.error(error);
    await stopAllChildren();
    process.exit(1);
  },
);
