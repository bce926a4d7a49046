import { connect, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../support/test-app.js';

/**
 * A client that trickles its request (slowloris) holds a socket and a parser for as
 * long as it likes unless the server sets a deadline. REQUEST_TIMEOUT_MS is that
 * deadline, for the headers and the body alike: past it the answer is 408 and the
 * connection is closed. Here it is 1.5 s; the client sends one byte every 200 ms, for
 * ever, and the test waits for the server to hang up (with its own, much later, limit).
 */
describe('slow clients', () => {
  let shop: TestApp;
  const port = () => Number(new URL(shop.url).port);

  beforeAll(async () => {
    shop = await startTestApp({ env: { REQUEST_TIMEOUT_MS: '1500' } });
  });
  afterAll(async () => {
    await shop.close();
  });

  /** Writes `head` at once, then one byte of `trickle` every 200 ms; resolves with what the server said when it closed. */
  function trickle(head: string, drip: string): Promise<{ answer: string; closedAfterMs: number }> {
    return new Promise((resolve, reject) => {
      const started = Date.now();
      const socket: Socket = connect(port(), '127.0.0.1');
      let answer = '';
      let sent = 0;
      const timer = setInterval(() => {
        if (!socket.destroyed && socket.writable) socket.write(drip[sent++ % drip.length]!);
      }, 200);
      const giveUp = setTimeout(() => {
        socket.destroy();
        reject(new Error(`the server kept the connection open for 20 s; it said: ${answer}`));
      }, 20_000);
      socket.on('connect', () => socket.write(head));
      socket.on('data', (chunk) => (answer += chunk.toString()));
      socket.on('error', () => undefined); // a reset after the 408 is a close too
      socket.on('close', () => {
        clearInterval(timer);
        clearTimeout(giveUp);
        resolve({ answer, closedAfterMs: Date.now() - started });
      });
    });
  }

  it('should answer 408 and close a connection whose body arrives a byte at a time', async () => {
    const head =
      'POST /api/v1/identity/login HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n';
    const { answer, closedAfterMs } = await trickle(head, '{"email":"slow@test.local","password":"');
    expect(answer).toMatch(/^HTTP\/1\.1 408/);
    expect(answer).toMatch(/content-type: application\/problem\+json/i);
    expect(answer).toContain('"code":"REQUEST_TIMEOUT"');
    expect(closedAfterMs).toBeLessThan(15_000);
  });

  it('should do the same to headers that never end', async () => {
    const { answer } = await trickle('GET /health/live HTTP/1.1\r\nHost: localhost\r\n', 'X-Slow: aaaaaaaaaaaaaaaaaaaaaa\r\n');
    expect(answer).toMatch(/^HTTP\/1\.1 408/);
  });

  it('should still serve a normal request meanwhile', async () => {
    expect((await shop.http.get('/health/live')).status).toBe(200);
  });
});
