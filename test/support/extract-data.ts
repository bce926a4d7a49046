import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { distEntry } from './shop-process.js';
import { testRolePrefix } from './test-database.js';
import { TEST_MODULE_DB_SECRET } from './test-env.js';

export interface ExtractRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** One row of the verification table extract:data prints. */
export interface VerificationRow {
  object: string;
  sourceRows: string;
  targetRows: string;
  sourceChecksum: string;
  targetChecksum: string;
  match: string;
}

/**
 * `npm run extract:data -- <args>` as an operator runs it (`node dist/extract-data.js`,
 * built by `npm test`), with the run's module roles and secret; `env` adds DATABASE_URL
 * and the like. `started` is given the child, for a test that stops it midway.
 */
export function extractData(args: string[], env: Record<string, string> = {}, started?: (child: ChildProcess) => void): Promise<ExtractRun> {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'extract-data-'));
  const child = spawn(process.execPath, [distEntry('extract-data.js'), ...args], {
    env: { PATH: process.env.PATH ?? '', DATA_DIR: dataDir, MODULE_DB_SECRET: TEST_MODULE_DB_SECRET, MODULE_ROLE_PREFIX: testRolePrefix(), ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (text: string) => (stdout += text));
  child.stderr.setEncoding('utf8').on('data', (text: string) => (stderr += text));
  started?.(child);
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code) => {
      rmSync(dataDir, { recursive: true, force: true });
      resolve({ code, stdout, stderr });
    });
  });
}

/** The rows of the verification table in what extract:data printed (empty when it printed none). */
export function verificationRows(stdout: string): VerificationRow[] {
  const lines = stdout.split('\n');
  const header = lines.findIndex((line) => line.startsWith('table ') && line.includes('source checksum'));
  if (header < 0) return [];
  const rows: VerificationRow[] = [];
  for (const line of lines.slice(header + 2)) {
    if (!line.trim()) break;
    // The object's name may hold one space ("x_seq (sequence)"); the other columns are single words.
    const cells = line.trim().split(/\s{2,}/);
    const [object, sourceRows, targetRows, sourceChecksum, targetChecksum, match] = cells as [string, string, string, string, string, string];
    rows.push({ object, sourceRows, targetRows, sourceChecksum, targetChecksum, match });
  }
  return rows;
}
