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
