/**
 * The processes of one server under test, for CPU accounting: a proxy may be several
 * processes (nginx's master and workers, our gateway's cluster primary and workers),
 * and what a request costs is the CPU of all of them.
 */
import fs from 'node:fs';
import { cpuSecondsBetween, cpuSecondsOfAll, machineBusySeconds } from './process-cpu.mjs';
import { runLoad } from './load.mjs';

/** `pid` and every process descended from it, from the parent ids in /proc/<pid>/stat. */
export function processTree(pid) {
  const children = new Map();
  let entries = [];
  try {
    entries = fs.readdirSync('/proc');
  } catch {
    return [pid];
  }
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${entry}/stat`, 'utf8');
      // After the command name (in parentheses, may hold spaces): state, then ppid.
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (!children.has(ppid)) children.set(ppid, []);
      children.get(ppid).push(Number(entry));
    } catch {
      // gone meanwhile
    }
  }
  const tree = [];
  const queue = [pid];
  while (queue.length) {
    const next = queue.shift();
    tree.push(next);
    queue.push(...(children.get(next) ?? []));
  }
  return tree;
}

/**
 * runLoad (load.mjs) with CPU accounted over whole process trees: `serverPid`'s tree
 * (the server under test) and, separately, `upstreamPid`'s (the upstream behind a
 * proxy; the same as the server in the direct row). The trees are read just before
 * the load, so cluster workers forked after startup count. Adds to runLoad's summary:
 *   serverCpuPct, cpuUsPerReq   over the server's whole tree (replacing runLoad's own)
 *   serverProcesses             how many processes that tree had
 *   upstreamCpuPct              the upstream's CPU, % of one core
 *   otherWorkPct                CPU the rest of the machine used meanwhile, % of one core
 */
export async function runLoadOnTree({ serverPid, upstreamPid, ...load }) {
  const serverPids = processTree(serverPid);
  const upstreamPids = upstreamPid === serverPid ? serverPids : processTree(upstreamPid);
  const before = { server: cpuSecondsOfAll(serverPids), upstream: cpuSecondsOfAll(upstreamPids), machine: machineBusySeconds() };
  const result = await runLoad(load);
  const serverCpu = cpuSecondsBetween(before.server, cpuSecondsOfAll(serverPids));
  const upstreamCpu = cpuSecondsBetween(before.upstream, cpuSecondsOfAll(upstreamPids));
  const machine = machineBusySeconds();
  const pct = (seconds) => (seconds / result.durationSeconds) * 100;
  // What the rest of the machine (other users' tests, builds) took meanwhile: the noise.
  const ours = serverCpu + (upstreamPids === serverPids ? 0 : upstreamCpu) + (result.loadgenCpuPct * result.durationSeconds) / 100;
  return {
    ...result,
    serverCpuPct: pct(serverCpu),
    cpuUsPerReq: (serverCpu * 1e6) / result.requests,
    serverProcesses: serverPids.length,
    upstreamCpuPct: pct(upstreamCpu),
    otherWorkPct: machine !== undefined && before.machine !== undefined ? Math.max(0, pct(machine - before.machine - ours)) : NaN,
  };
}
