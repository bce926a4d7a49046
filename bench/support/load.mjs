import autocannon from 'autocannon';
import { cpuSecondsOf } from './process-cpu.mjs';
import { percentileOfSorted } from './stats.mjs';

/** Float latencies in ms, grown as needed (autocannon's own histogram rounds to whole ms). */
class LatencyRecorder {
  constructor() {
    this.values = new Float64Array(1 << 16);
    this.length = 0;
  }
  record(ms) {
    if (this.length === this.values.length) {
      const bigger = new Float64Array(this.values.length * 2);
      bigger.set(this.values);
      this.values = bigger;
    }
    this.values[this.length++] = ms;
  }
  sorted() {
    return this.values.subarray(0, this.length).sort();
  }
}

/**
 * Runs autocannon (in this process) against `baseUrl` for `durationSeconds` with
 * `connections` keep-alive connections, cycling through `paths` in order across all
 * connections. Returns a summary:
 *   rps            completed responses per second (any status) over the run
 *   p50Ms, p99Ms   latency percentiles over every response, from exact float timings
 *   non2xx, errors, timeouts, mismatches  from autocannon; statusCodes per status
 *   serverCpuPct   CPU the process `serverPid` used during the run, % of one core
 *                  (~100% means that server's event loop was the bottleneck)
 *   cpuUsPerReq    that CPU time divided by the responses: the server's cost per request
 *   loadgenCpuPct  CPU this process (autocannon) used, % of one core
 */
export async function runLoad({ baseUrl, paths, method = 'GET', headers, durationSeconds, connections, title, serverPid }) {
  if (!paths.length) throw new Error('runLoad needs at least one path');
  let next = 0;
  const requests = [
    {
      method,
      headers,
      setupRequest(request) {
        request.path = paths[next];
        next = (next + 1) % paths.length;
        return request;
      },
    },
  ];
  const latencies = new LatencyRecorder();
  const instance = autocannon({
    url: baseUrl,
    connections,
    duration: durationSeconds,
    requests,
    title,
  });
  instance.on('response', (_client, _status, _bytes, responseTime) => latencies.record(responseTime));
  const serverCpuBefore = serverPid ? cpuSecondsOf(serverPid) : undefined;
  const loadgenCpuBefore = process.cpuUsage();
  const result = await instance;
  const serverCpuAfter = serverPid ? cpuSecondsOf(serverPid) : undefined;
  const loadgen = process.cpuUsage(loadgenCpuBefore);
  const serverCpu =
    serverCpuBefore !== undefined && serverCpuAfter !== undefined ? serverCpuAfter - serverCpuBefore : NaN;
  const sorted = latencies.sorted();
  const statusCodes = Object.fromEntries(
    Object.entries(result.statusCodeStats ?? {}).map(([code, { count }]) => [code, Number(count)]),
  );
  return {
    title,
    durationSeconds: result.duration,
    requests: result.requests.total,
    rps: result.requests.total / result.duration,
    p50Ms: percentileOfSorted(sorted, 50),
    p99Ms: percentileOfSorted(sorted, 99),
    maxMs: sorted.length ? sorted[sorted.length - 1] : NaN,
    non2xx: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
    mismatches: result.mismatches,
    statusCodes,
    serverCpuPct: (serverCpu / result.duration) * 100,
    cpuUsPerReq: (serverCpu * 1e6) / result.requests.total,
    loadgenCpuPct: ((loadgen.user + loadgen.system) / 1e6 / result.duration) * 100,
  };
}
