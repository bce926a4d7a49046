import { randomUUID } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../support/test-app.js';
import { waitFor } from '../support/wait-for.js';

describe('relay wake-up across processes', () => {
  const apps: TestApp[] = [];
  afterAll(async () => {
    for (const app of apps.reverse()) await app.close({ keepData: app !== apps[0] });
  });

  it("should deliver another instance's commit right away through NOTIFY, not at the next poll", async () => {
    // The relaying instance polls once a minute: only a NOTIFY can make delivery prompt.
    const relaying = await startTestApp({ env: { EVENTS_POLL_MS: '60000' } });
    apps.push(relaying);
    const publishing = await startTestApp({ database: relaying.database!, env: { EVENTS_RELAY: 'false' } });
    apps.push(publishing);
    await waitFor(async () => (await relaying.database!.sql('SELECT 1 FROM identity.outbox WHERE published_at IS NULL')).length === 0, {
      what: 'startup events to drain',
    });

    const started = Date.now();
    const answer = await publishing.http.post('/api/v1/identity/register', {
      body: { email: `notify-${randomUUID().slice(0, 8)}@test.local`, password: 'a-long-password', name: 'Notify' },
    });
    expect(answer.status).toBe(201);
    await waitFor(
      async () =>
        (await relaying.database!.sql('SELECT 1 FROM notifications.notifications WHERE recipient_user_id = $1', [answer.body.id]))
          .length === 1,
      { what: 'the welcome', timeoutMs: 10_000 },
    );
    expect(Date.now() - started).toBeLessThan(10_000);
  });
});
