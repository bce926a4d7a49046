import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from './free-port.js';
import { ADMIN } from './test-app.js';
import { testRolePrefix } from './test-database.js';
import { TEST_MODULE_DB_SECRET } from './test-env.js';
import { runLogFile } from './run-log.js';
import { inject } from 'vitest';
import { waitFor } from './wait-for.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const MAIN = path.join(root, 'dist', 'main.js');

export interface ShopProcess {
  child: ChildProcess;
  url: string;
  output: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}


/**
 * The real shop as its own OS process (`node dist/main.js`, built by `npm test`),
 * for scenarios that need a real kill or a real signal.
 */
export async function startShopProcess(env: Record<string, string>): Promise<ShopProcess> {
  if (!existsSync(MAIN)) throw new Error(`${MAIN} is missing: run \`npm run build\` (npm test does)`);
  const port = await freePort();
  let output = '';
  const child = spawn(process.execPath, [MAIN], {
    cwd: root,
    env: {
      PATH: process.env.PATH,
      PORT: String(port),
      HOST: '127.0.0.1',
      DATA_DIR: mkdtempSync(path.join(os.tmpdir(), 'shop-proc-')),
      MODULE_DB_SECRET: TEST_MODULE_DB_SECRET,
      MODULE_ROLE_PREFIX: testRolePrefix(),
      // Every test signs in from 127.0.0.1: the brute-force throttles stay on, high enough
      // for a file's many customers (their own spec sets them low).
      THROTTLE_REGISTRATIONS_PER_ADDRESS: '100000',
      THROTTLE_LOGIN_FAILURES_PER_ADDRESS: '100000',
      BOOTSTRAP_ADMIN_EMAIL: ADMIN.email,
      BOOTSTRAP_ADMIN_PASSWORD: ADMIN.password,
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const toRunLog = runLogFile(inject('runLogDir'), 'process');
  const capture = (chunk: Buffer) => {
    output += chunk.toString();
    toRunLog(chunk.toString());
  };
  child.stdout!.on('data', capture);
  child.stderr!.on('data', capture);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('close', (code, signal) => resolve({ code, signal })),
  );
  const url = `http://127.0.0.1:${port}`;
  await waitFor(
    async () => {
      if (child.exitCode !== null) throw new Error(`shop exited early:\n${output}`);
      return (await fetch(`${url}/health/ready`)).ok;
    },
    { what: 'the shop process to be ready', timeoutMs: 30_000 },
  );
  return { child, url, output: () => output, exited };
}
