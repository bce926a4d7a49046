import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort } from './support/free-port.js';
import { waitFor } from './support/wait-for.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const scripts = (JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts;

/** The command a start script runs once it has built: `node --env-file-if-exists=.env dist/…`. */
function startCommand(script: string): string[] {
  const command = scripts[script]!.split('&&').map((part) => part.trim()).at(-1)!;
  return command.split(/\s+/);
}

/**
 * `.env` for local runs: `npm start`, `npm run start:extracted` and `npm run start:proxy`
 * read a `.env` in the directory they run in (Node's --env-file-if-exists), and a
 * variable already in the environment wins over the file.
 */
describe('a .env file', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'shop-env-file-'));
  let child: ChildProcess | undefined;
  afterAll(() => {
    child?.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });

  it('should be read by every start script, with the environment winning over it', async () => {
    for (const script of ['start', 'start:extracted', 'start:proxy']) expect(startCommand(script).slice(0, 2), script).toEqual(['node', '--env-file-if-exists=.env']);

    const [publicPort, adminPortInFile, adminPortInEnv] = [await freePort(), await freePort(), await freePort()];
    writeFileSync(path.join(dir, 'routes.json'), JSON.stringify({ monolith: { instances: ['http://127.0.0.1:9'] }, routes: [] }));
    writeFileSync(
      path.join(dir, '.env'),
      [
        `PROXY_PORT=${publicPort}`,
        'PROXY_HOST=127.0.0.1',
        `PROXY_ADMIN_PORT=${adminPortInFile}`,
        'PROXY_ADMIN_TOKEN=a-token-from-the-env-file',
        `STRANGLER_ROUTES=${path.join(dir, 'routes.json')}`,
        `PROXY_STATE_FILE=${path.join(dir, 'state.json')}`,
      ].join('\n'),
    );
    const [node, flag, entry] = startCommand('start:proxy');
    const env = { PATH: process.env.PATH ?? '', PROXY_ADMIN_PORT: String(adminPortInEnv), LOG_LEVEL: 'warn' };
    child = spawn(node!, [flag!, path.join(ROOT, entry!)], { cwd: dir, env, stdio: 'ignore' });
    // The admin port the environment gave, not the file's; the public port and the token from the file.
    const routes = await waitFor(
      async () => {
        const answer = await fetch(`http://127.0.0.1:${adminPortInEnv}/routes`, { headers: { authorization: 'Bearer a-token-from-the-env-file' } });
        return answer.status === 200 ? answer : undefined;
      },
      { what: 'the proxy started from the .env file' },
    );
    expect(routes.status).toBe(200);
    expect((await fetch(`http://127.0.0.1:${publicPort}/health/live`)).status).toBeGreaterThanOrEqual(500); // its monolith is nowhere
    await expect(fetch(`http://127.0.0.1:${adminPortInFile}/health`)).rejects.toThrow();
  });
});
