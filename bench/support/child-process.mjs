import { spawn } from 'node:child_process';
import fs from 'node:fs';

/** Every child still running, so a failure or Ctrl-C can stop them all. */
const live = new Set();

/**
 * Starts a child process with stdout and stderr appended to `logFile`.
 * The handle's `stop()` sends SIGTERM, waits, and escalates to SIGKILL.
 */
export function startChild({ name, command = process.execPath, args = [], env, cwd, logFile }) {
  const fd = fs.openSync(logFile, 'a');
  let child;
  try {
    child = spawn(command, args, { cwd, env, stdio: ['ignore', fd, fd] });
  } finally {
    fs.closeSync(fd); // the child holds its own copy
  }
  let exit;
  const exited = new Promise((resolve) => {
    child.once('exit', (code, signal) => {
      exit = { code, signal };
      live.delete(handle);
      resolve(exit);
    });
    child.once('error', (error) => {
      exit = { code: null, signal: null, error };
      live.delete(handle);
      resolve(exit);
    });
  });
  const handle = {
    name,
    pid: child.pid,
    logFile,
    exited,
    /** How it ended, or undefined while it runs. */
    get exit() {
      return exit;
    },
    async stop(graceMs = 10_000) {
      if (exit) return exit;
      child.kill('SIGTERM');
      const timer = setTimeout(() => {
        if (!exit) child.kill('SIGKILL');
      }, graceMs);
      try {
        return await exited;
      } finally {
        clearTimeout(timer);
      }
    },
  };
  live.add(handle);
  return handle;
}

/** Stops every child started here that is still running. */
export async function stopAllChildren() {
  await Promise.all([...live].map((c) => c.stop().catch(() => undefined)));
}

/** The last `lines` lines of a log file, for error messages. */
export function tailOf(file, lines = 20) {
  try {
    return fs.readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

/**
 * Polls `url` until it answers 200, the child exits, or the deadline passes.
 */
export async function waitForHttpOk(url, { child, timeoutMs = 60_000, intervalMs = 200 } = {}) {
  const deadline = Date.now() + timeoutMs;
  let last = 'no answer yet';
  while (Date.now() < deadline) {
    if (child?.exit) {
      const how = child.exit.error ? child.exit.error.message : `code ${child.exit.code}, signal ${child.exit.signal}`;
      throw new Error(`${child.name} exited (${how}) before ${url} answered 200. Log tail:\n${tailOf(child.logFile)}`);
    }
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(2_000) });
      await res.arrayBuffer();
      if (res.status === 200) return;
      last = `HTTP ${res.status}`;
    } catch (error) {
      last = error.cause?.code ?? error.message;
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
  const tail = child ? `\nLog tail:\n${tailOf(child.logFile)}` : '';
  throw new Error(`${url} did not answer 200 within ${timeoutMs} ms (last: ${last})${tail}`);
}
