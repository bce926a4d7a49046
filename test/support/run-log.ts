import { appendFileSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { moduleRolePassword } from '../../src/platform/database/module-role-secret.js';
import { TEST_MODULE_DB_SECRET } from './test-env.js';

/**
 * Every log line of a test run, from every in-process app and every shop process, is
 * kept in one folder, and searched at the end of the run for secrets: the run fails
 * if one is found, whichever test caused it (global-setup.ts).
 */
export function runLogDirOf(runPid: number): string {
  return path.join(os.tmpdir(), `shop-test-logs-${runPid}`);
}

let files = 0;

/**
 * A file in the run's log folder for one app or process; appends synchronously, so nothing
 * is lost (and another process reading `file` sees every line written so far).
 */
export function runLogFile(dir: string, name: string): ((text: string) => void) & { file: string } {
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `${name}-${process.pid}-${++files}.log`);
  return Object.assign((text: string) => appendFileSync(file, text), { file });
}

/** What must never be written to a log, whatever the test: the tests' passwords, tokens, hashes, card tokens, role passwords. */
function forbidden(rolePrefix: string, modules: readonly string[]): { what: string; test: (line: string) => boolean }[] {
  const literal = (what: string, value: string) => ({ what, test: (line: string) => line.includes(value) });
  return [
    literal('the admin password of the tests', 'admin-password-123'),
    literal('the customer password of the tests', 'customer-password-1'),
    { what: 'an access token (JWT)', test: (line) => /eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\./.test(line) },
    { what: 'a password hash', test: (line) => /scrypt\$\d+\$\d+\$\d+\$[A-Za-z0-9+/=]{8,}/.test(line) },
    { what: "a card token of the simulator's", test: (line) => /\btok_(visa|declined|unavailable|flaky_\d+)\b/.test(line) },
    literal('MODULE_DB_SECRET of the tests', TEST_MODULE_DB_SECRET),
    ...[...modules, 'signals'].map((module) => literal(`the password of role ${rolePrefix}${module}`, moduleRolePassword(TEST_MODULE_DB_SECRET, `${rolePrefix}${module}`))),
  ];
}

/** Searches the run's logs; returns one line per finding (file, line number, what), empty when clean. */
export function secretsInRunLog(dir: string, rolePrefix: string, modules: readonly string[]): string[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  const checks = forbidden(rolePrefix, modules);
  const findings: string[] = [];
  for (const name of names) {
    const lines = readFileSync(path.join(dir, name), 'utf8').split('\n');
    lines.forEach((line, index) => {
      for (const check of checks) if (check.test(line)) findings.push(`${name}:${index + 1}: ${check.what}`);
    });
  }
  return findings;
}

export function removeRunLog(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}
