import { mkdirSync, openSync, closeSync, rmSync, statSync, utimesSync } from 'node:fs';
import { createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';

/**
 * Ports handed out lately, by every test process of every run on this machine: one empty
 * file per port. The kernel hands out a port that nobody holds, and between freePort()
 * and the child's listen() nobody does, so two test files booting at once could be given
 * the same port; the child that binds second then dies, and, worse, its readiness poll
 * may have been answered by the other file's process. A lease keeps a port from being
 * handed out twice while its process is booting. Once bound, the kernel itself keeps it.
 */
const LEASES = path.join(os.tmpdir(), `shop-test-port-leases-${os.userInfo().uid}`);
/**
 * Longer than any process of the suite takes to boot and bind its port, and than a
 * killed process stays down before its restart on the same port (renewPortLease). A
 * lease is cleared only this long after it was taken: checking its age and removing it
 * are two steps, and one taken afresh in between must not be removed with it.
 */
const CLEAR_AFTER_MS = 20 * 60_000;

/** A TCP port on 127.0.0.1 that was free a moment ago and that no other test was given lately. */
export async function freePort(): Promise<number> {
  mkdirSync(LEASES, { recursive: true });
  for (let attempt = 0; attempt < 100; attempt++) {
    const port = await unboundPort();
    if (takeLease(port)) return port;
  }
  throw new Error(`no free port without a lease in ${LEASES} after 100 tries`);
}

/**
 * Renews the lease of a port a test binds again (a process restarted on its old port):
 * between the kill and the restart the port is free, and nobody else may be given it.
 */
export function renewPortLease(port: number): void {
  mkdirSync(LEASES, { recursive: true });
  const file = path.join(LEASES, String(port));
  const now = new Date();
  try {
    utimesSync(file, now, now);
  } catch {
    closeSync(openSync(file, 'w'));
  }
}

function takeLease(port: number): boolean {
  const file = path.join(LEASES, String(port));
  try {
    closeSync(openSync(file, 'wx'));
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
  // Somebody was given this port lately. A long-expired lease is cleared for later, but
  // the port is not taken now: two processes finding it expired could both take it.
  // (There are thousands of ports; the few leased in the last minutes are simply skipped.)
  try {
    const age = Date.now() - statSync(file).mtimeMs;
    if (age > CLEAR_AFTER_MS) rmSync(file, { force: true });
  } catch {
    // gone already
  }
  return false;
}

function unboundPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const port = (server.address() as { port: number }).port;
      server.close(() => resolve(port));
    });
    server.on('error', reject);
  });
}
