import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { settledOrder } from './support/checkout-fixture.js';
import { httpClient } from './support/http-client.js';
import { startShopProcess, type ShopProcess } from './support/shop-process.js';
import { createTestDatabase, type TestDatabase } from './support/test-database.js';
import { waitFor } from './support/wait-for.js';

const run = promisify(execFile);
const README = fileURLToPath(new URL('../README.md', import.meta.url));

/** The shell blocks of the README's quick start after `npm start`, as one script. */
function quickStartScript(): string {
  const readme = readFileSync(README, 'utf8');
  const section = readme.slice(readme.indexOf('## Quick start'), readme.indexOf('The API is described at'));
  const blocks = [...section.matchAll(/```sh\n([\s\S]*?)```/g)].map((match) => match[1]!);
  return blocks.filter((block) => !block.includes('npm ci')).join('\n');
}

/**
 * The README's quick start, exactly as written (only the address differs), against a
 * real shop with no admin configured: the shop writes `.data/initial-admin.json`, the
 * commands read it. Run twice on the same data, as a new user does.
 */
describe("the README's quick start", () => {
  let database: TestDatabase;
  let proc: ShopProcess;
  const workDir = mkdtempSync(path.join(os.tmpdir(), 'shop-quickstart-'));

  beforeAll(async () => {
    database = await createTestDatabase();
    proc = await startShopProcess({
      DATABASE_URL: database.url,
      DATA_DIR: path.join(workDir, '.data'),
      BOOTSTRAP_ADMIN_EMAIL: '',
      BOOTSTRAP_ADMIN_PASSWORD: '',
    });
  });
  afterAll(async () => {
    if (proc.child.exitCode === null) proc.child.kill('SIGKILL');
    await database.drop();
    rmSync(workDir, { recursive: true, force: true });
  });

  it('should say once, at start, where the shop and its API docs are, and where the admin sign-in was written', async () => {
    // Logged right after the port opens; the output comes through a pipe.
    await waitFor(() => proc.output().includes('shop ready at'), { what: 'the line saying where the shop is' });
    const lines = proc
      .output()
      .split('\n')
      .filter((line) => line.includes('shop ready at'))
      .map((line) => JSON.parse(line) as { msg: string; url: string; docs: string });
    expect(lines).toHaveLength(1);
    const adminFile = path.join(workDir, '.data', 'initial-admin.json');
    expect(lines[0]!.msg).toBe(`shop ready at ${lines[0]!.url}, API docs at ${lines[0]!.url}/docs; admin sign-in (email and password) written to ${adminFile}`);
    expect(new URL(lines[0]!.url).port).toBe(new URL(proc.url).port);
    expect(JSON.parse(readFileSync(adminFile, 'utf8'))).toMatchObject({ email: 'admin@shop.local' });
    expect((await fetch(`${proc.url}/docs`)).status).toBe(200);
  });

  it('should place an order that confirms, and do it again when run a second time', async () => {
    const script = `set -eu\n${quickStartScript().replaceAll('localhost:3000', new URL(proc.url).host)}\necho "ORDER=$ORDER TOKEN=$TOKEN"`;
    for (const attempt of [1, 2]) {
      const { stdout } = await run('sh', ['-c', script], { cwd: workDir, timeout: 60_000 });
      expect(stdout, `run ${attempt}`).not.toContain('urn:shop:problem');
      const [, order, token] = /ORDER=(\S+) TOKEN=(\S+)/.exec(stdout) ?? [];
      expect(order, `run ${attempt}: ${stdout}`).toMatch(/^[0-9a-f-]{36}$/);
      expect((await settledOrder(httpClient(proc.url), token!, order!)).status).toBe('CONFIRMED');
    }
  });
});
