import { afterAll, describe, expect, it } from 'vitest';
import { startShopProcess, type ShopProcess } from '../support/shop-process.js';
import { startTestApp } from '../support/test-app.js';
import { createTestDatabase, type TestDatabase } from '../support/test-database.js';
import { testRedisUrl } from '../support/test-env.js';

/** What an operator reads when the shop starts: the lines that matter, in a form fit for where they go. */
describe('the startup log', () => {
  let database: TestDatabase | undefined;
  let proc: ShopProcess | undefined;

  afterAll(async () => {
    if (proc && proc.child.exitCode === null) proc.child.kill('SIGKILL');
    await database?.drop();
  });

  it("should keep Nest's line per module, controller and route below info, and say how events travel", async () => {
    const inProcess = await startTestApp();
    const viaRedis = await startTestApp({ env: { REDIS_URL: testRedisUrl(), EVENTS_QUEUE_PREFIX: 'startup-log' } });
    try {
      for (const shop of [inProcess, viaRedis]) {
        const info = shop.logs.filter((line) => line.level !== 'debug' && line.level !== 'trace');
        expect(info.filter((line) => /Mapped \{|dependencies initialized|Controller \{/.test(String(line.msg)))).toEqual([]);
        expect(info.length).toBeLessThan(20);
      }
      expect(inProcess.logs.map((line) => line.msg)).toContainEqual(expect.stringMatching(/integration events are delivered in-process/));
      const redisLine = viaRedis.logs.find((line) => /integration events go through Redis/.test(String(line.msg)));
      const redis = new URL(testRedisUrl());
      expect(redisLine).toMatchObject({ level: 'info', redis: `${redis.hostname}:${redis.port || 6379}`, queuePrefix: 'startup-log' });
    } finally {
      await inProcess.close();
      await viaRedis.close();
    }
  });

  it('should write JSON lines when its output is not a terminal, and readable text when asked for', async () => {
    database = await createTestDatabase();
    proc = await startShopProcess({ DATABASE_URL: database.url, LOG_FORMAT: 'pretty' });
    proc.child.kill('SIGTERM');
    await proc.exited;
    const pretty = proc.output();
    expect(pretty).toMatch(/INFO.*shop is listening/);
    expect(pretty.split('\n').filter((line) => line.startsWith('{"level"'))).toEqual([]);

    // The default (auto) on a pipe: JSON, for a log collector.
    proc = await startShopProcess({ DATABASE_URL: database.url });
    proc.child.kill('SIGTERM');
    await proc.exited;
    const lines = proc.output().trim().split('\n');
    for (const line of lines) expect(() => JSON.parse(line), line).not.toThrow();
  });
});
