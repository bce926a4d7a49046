import { execFileSync } from 'node:child_process';
import fs from 'node:fs';

let ticksPerSecond;
function clockTicks() {
  if (ticksPerSecond === undefined) {
    try {
      ticksPerSecond = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      ticksPerSecond = 100;
    }
  }
  return ticksPerSecond;
}

/**
 * CPU seconds (user + system, all threads) a process has used so far, from
 * /proc/<pid>/stat; undefined where /proc is not available (not Linux) or the pid is gone.
 */
export function cpuSecondsOf(pid) {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name, which is in parentheses and may contain spaces.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const utime = Number(fields[11]);
    const stime = Number(fields[12]);
    return (utime + stime) / clockTicks();
  } catch {
    return undefined;
  }
}

function readCpuTotals() {
  try {
    const line = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0]; // "cpu  user nice system idle iowait ..."
    const values = line.trim().split(/\s+/).slice(1).map(Number);
    const idle = values[3] + (values[4] ?? 0);
    const total = values.reduce((a, b) => a + b, 0);
    return { idle, total };
  } catch {
    return undefined;
  }
}

/**
 * How busy the whole machine is over the next `ms` milliseconds, as a fraction of all
 * CPUs (0–1), from /proc/stat; undefined where that is not available. Unlike the load
 * average, it does not remember the build that `npm run bench` ran just before.
 */
export async function machineBusyFraction(ms = 1_000) {
  const before = readCpuTotals();
  await new Promise((r) => setTimeout(r, ms));
  const after = readCpuTotals();
  if (!before || !after || after.total === before.total) return undefined;
  return 1 - (after.idle - before.idle) / (after.total - before.total);
}

/** CPU seconds of several processes together (those still running); see cpuSecondsOf. */
export function cpuSecondsOfAll(pids) {
  const seconds = new Map();
  for (const pid of pids) {
    const s = cpuSecondsOf(pid);
    if (s !== undefined) seconds.set(pid, s);
  }
  return seconds;
}

/**
 * CPU seconds used between two cpuSecondsOfAll snapshots, by the processes present in
 * both (one that started or ended in between is left out: the sum is a lower bound).
 */
export function cpuSecondsBetween(before, after) {
  let total = 0;
  for (const [pid, s] of after) if (before.has(pid)) total += s - before.get(pid);
  return total;
}

/** Pids of the processes whose command name (/proc/<pid>/comm) is `name`, e.g. redis-server. */
export function pidsNamed(name) {
  const pids = [];
  let entries;
  try {
    entries = fs.readdirSync('/proc');
  } catch {
    return pids;
  }
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (fs.readFileSync(`/proc/${entry}/comm`, 'utf8').trim() === name) pids.push(Number(entry));
    } catch {
      // gone meanwhile
    }
  }
  return pids;
}

/**
 * CPU seconds the whole machine has spent busy so far (all CPUs, from /proc/stat), or
 * undefined. The difference over a window, minus what the bench's own processes used,
 * is what other work on the machine took meanwhile.
 */
export function machineBusySeconds() {
  const totals = readCpuTotals();
  return totals ? (totals.total - totals.idle) / clockTicks() : undefined;
}
