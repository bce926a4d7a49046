import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, SignJWT, UnsecuredJWT, type CryptoKey, type JWK } from 'jose';
import { pino, type Logger } from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { VerifiedUsers } from './verified-user.js';

// What the shop's identity module puts in its access tokens (token-issuer.ts, app-config.ts).
const ISSUER = 'urn:shop:identity';
const AUDIENCE = 'urn:shop:api';
const KID = 'shop-key-1';

interface KeyPair {
  privateKey: CryptoKey;
  publicJwk: JWK;
}

async function keyPair(kid: string): Promise<KeyPair> {
  const { privateKey, publicKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519', extractable: true });
  return { privateKey, publicJwk: { ...(await exportJWK(publicKey)), kid, alg: 'EdDSA', use: 'sig' } };
}

interface TokenShape {
  sub?: string;
  key?: KeyPair;
  kid?: string;
  issuer?: string;
  audience?: string;
  typ?: string;
  /** Seconds from now. */
  expiresIn?: number;
  claims?: Record<string, unknown>;
}

/** A token as TokenIssuer signs one, with whatever part a test wants changed. */
async function token(shape: TokenShape = {}): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  const key = shape.key ?? shopKey;
  return new SignJWT({ email: 'someone@example.test', roles: ['customer'], ...shape.claims })
    .setProtectedHeader({ alg: 'EdDSA', kid: shape.kid ?? key.publicJwk.kid!, typ: shape.typ ?? 'at+jwt' })
    .setSubject(shape.sub ?? 'user-1')
    .setIssuer(shape.issuer ?? ISSUER)
    .setAudience(shape.audience ?? AUDIENCE)
    .setIssuedAt(now - 1)
    .setNotBefore(now - 1)
    .setExpirationTime(now + (shape.expiresIn ?? 900))
    .setJti(randomUUID())
    .sign(key.privateKey);
}

const bearer = (jws: string) => `Bearer ${jws}`;

/** A stand-in for the monolith's `/.well-known/jwks.json`: `keys()` undefined answers 503. */
async function jwksServer(keys: () => JWK[] | undefined): Promise<{ url: string; fetches: () => number; server: Server }> {
  let fetches = 0;
  const server = createServer((request, response) => {
    if (request.url !== '/.well-known/jwks.json') return void response.writeHead(404).end();
    fetches++;
    const current = keys();
    if (current === undefined) return void response.writeHead(503).end('down');
    response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: current }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}/.well-known/jwks.json`, fetches: () => fetches, server };
}

async function stop(server: Server): Promise<void> {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
}

function capturedLogger() {
  const lines: string[] = [];
  const logger = pino({ level: 'debug' }, { write: (line: string) => void lines.push(line) });
  return { logger, lines };
}

/** Polls until `check` holds, failing after `deadlineMs`: a condition with a deadline, never a bare sleep. */
async function eventually(check: () => Promise<boolean>, deadlineMs = 5_000): Promise<void> {
  const end = Date.now() + deadlineMs;
  while (!(await check())) {
    if (Date.now() > end) throw new Error('the condition did not hold before the deadline');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

let shopKey: KeyPair;
let otherKey: KeyPair;
let jwks: Awaited<ReturnType<typeof jwksServer>>;
const opened: VerifiedUsers[] = [];

function verifiedUsers(options?: { cacheSize?: number; url?: string; logger?: Logger }): VerifiedUsers {
  const users = new VerifiedUsers(options?.url ?? jwks.url, options?.logger ?? pino({ level: 'silent' }), { cacheSize: options?.cacheSize });
  opened.push(users);
  return users;
}

beforeAll(async () => {
  shopKey = await keyPair(KID);
  otherKey = await keyPair('not-the-shop');
  jwks = await jwksServer(() => [shopKey.publicJwk]);
});
afterEach(() => {
  vi.useRealTimers();
  for (const users of opened.splice(0)) users.close();
});
afterAll(() => stop(jwks.server));

describe('VerifiedUsers', () => {
  it('gives the sub of a genuine token, then answers it synchronously from the cache', async () => {
    const users = verifiedUsers();
    const header = bearer(await token({ sub: 'user-42' }));
    const first = users.userOf(header);
    expect(first).toBeInstanceOf(Promise);
    expect(await first).toBe('user-42');
    expect(users.userOf(header)).toBe('user-42');
    // The scheme is case-insensitive (RFC 6750).
    expect(await users.userOf(`bearer ${await token({ sub: 'user-43' })}`)).toBe('user-43');
  });

  it('verifies concurrent requests with one new token once', async () => {
    const users = verifiedUsers();
    const header = bearer(await token({ sub: 'user-7' }));
    const a = users.userOf(header);
    const b = users.userOf(header);
    expect(b).toBe(a);
    expect(await a).toBe('user-7');
  });

  it('gives undefined for every token the shop did not issue as it stands', async () => {
    const users = verifiedUsers();
    const genuine = await token({ sub: 'victim' });
    const [header, , signature] = genuine.split('.');
    const alteredPayload = Buffer.from(JSON.stringify({ sub: 'attacker', iss: ISSUER, aud: AUDIENCE, exp: 4_000_000_000, nbf: 0, iat: 0 })).toString('base64url');
    const unsigned = new UnsecuredJWT({}).setSubject('victim').setIssuer(ISSUER).setAudience(AUDIENCE).setIssuedAt().setNotBefore('0s').setExpirationTime('1h').encode();
    const hmacWithPublicKey = await new SignJWT({})
      .setProtectedHeader({ alg: 'HS256', kid: KID, typ: 'at+jwt' })
      .setSubject('victim').setIssuer(ISSUER).setAudience(AUDIENCE).setIssuedAt().setNotBefore('0s').setExpirationTime('1h')
      .sign(new TextEncoder().encode(JSON.stringify(shopKey.publicJwk)));
    const forgeries: Record<string, string | undefined> = {
      'signed with another key under the shop kid': bearer(await token({ sub: 'victim', key: otherKey, kid: KID })),
      'signed with another key under its own kid': bearer(await token({ sub: 'victim', key: otherKey })),
      'altered payload': bearer(`${header}.${alteredPayload}.${signature}`),
      'signature of another token': bearer(`${genuine.split('.').slice(0, 2).join('.')}.${(await token()).split('.')[2]}`),
      expired: bearer(await token({ sub: 'victim', expiresIn: -60 })),
      'wrong audience': bearer(await token({ sub: 'victim', audience: 'urn:someone:else' })),
      'wrong issuer': bearer(await token({ sub: 'victim', issuer: 'urn:evil:identity' })),
      'not an access token (typ)': bearer(await token({ sub: 'victim', typ: 'JWT' })),
      'alg none': bearer(unsigned),
      'alg none with a made-up signature': bearer(`${unsigned}AAAA`),
      'HS256 keyed with the public key': bearer(hmacWithPublicKey),
      'empty sub': bearer(await token({ sub: '' })),
      garbage: 'Bearer garbage',
      'garbage in three parts': 'Bearer a.b.c',
      'another scheme': `Basic ${Buffer.from('victim:pw').toString('base64')}`,
      'no token after the scheme': 'Bearer ',
      'token without scheme': genuine,
      empty: '',
      absent: undefined,
    };
    for (const [name, forged] of Object.entries(forgeries)) {
      expect(await users.userOf(forged), name).toBeUndefined();
    }
    // And the genuine one still passes.
    expect(await users.userOf(bearer(genuine))).toBe('victim');
  });

  it('refuses an oversized header unread, even one genuinely signed', async () => {
    const users = verifiedUsers();
    expect(users.userOf(`Bearer ${'a'.repeat(100_000)}.${'b'.repeat(100)}.c`)).toBeUndefined();
    const bloated = bearer(await token({ sub: 'user-1', claims: { padding: 'x'.repeat(5_000) } }));
    expect(users.userOf(bloated)).toBeUndefined();
  });

  it('answers a repeated forged token from memory, and only briefly', async () => {
    const users = verifiedUsers();
    const forged = bearer(await token({ sub: 'victim', key: otherKey, kid: KID }));
    expect(await users.userOf(forged)).toBeUndefined();
    // Synchronous: no second verification.
    expect(users.userOf(forged)).toBeUndefined();
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(Date.now() + 6_000);
    const again = users.userOf(forged);
    expect(again).toBeInstanceOf(Promise);
    expect(await again).toBeUndefined();
  });

  it('keeps a genuine token only until it expires', async () => {
    const users = verifiedUsers();
    const header = bearer(await token({ sub: 'user-1', expiresIn: 60 }));
    expect(await users.userOf(header)).toBe('user-1');
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(Date.now() + 120_000);
    const later = users.userOf(header);
    expect(later).toBeInstanceOf(Promise);
    expect(await later).toBeUndefined();
  });

  it('bounds both caches: the least recently used verdict goes first', async () => {
    const users = verifiedUsers({ cacheSize: 2 });
    const [a, b, c] = await Promise.all(['user-a', 'user-b', 'user-c'].map(async (sub) => bearer(await token({ sub }))));
    expect(await users.userOf(a)).toBe('user-a');
    expect(await users.userOf(b)).toBe('user-b');
    expect(users.userOf(a)).toBe('user-a'); // a is now the most recent
    expect(await users.userOf(c)).toBe('user-c'); // b is dropped
    expect(users.userOf(a)).toBe('user-a');
    expect(users.userOf(c)).toBe('user-c');
    const rechecked = users.userOf(b);
    expect(rechecked).toBeInstanceOf(Promise);
    expect(await rechecked).toBe('user-b');

    // A flood of distinct forged tokens stays within the bound, and never evicts genuine users.
    const forged = await Promise.all(Array.from({ length: 50 }, () => token({ sub: 'victim', key: otherKey, kid: KID })));
    for (const jws of forged) expect(await users.userOf(bearer(jws))).toBeUndefined();
    expect(users.userOf(bearer(forged[49]!))).toBeUndefined();
    expect(users.userOf(bearer(forged[0]!))).toBeInstanceOf(Promise);
    expect(users.userOf(c)).toBe('user-c');
  });

  it('gives undefined, without throwing, while the JWKS cannot be reached, and logs it once without a token', async () => {
    const closedPort = await jwksServer(() => []);
    await stop(closedPort.server);
    const { logger, lines } = capturedLogger();
    const users = verifiedUsers({ url: closedPort.url, logger });
    const tokens = await Promise.all(Array.from({ length: 5 }, (_, i) => token({ sub: `user-${i}` })));
    for (const jws of tokens) expect(await users.userOf(bearer(jws))).toBeUndefined();
    const warnings = lines.filter((line) => line.includes('The JWKS cannot be fetched'));
    expect(warnings).toHaveLength(1);
    for (const jws of tokens) expect(lines.join('\n')).not.toContain(jws.split('.')[2]);
  });

  it('verifies again once the JWKS answers again', async () => {
    let up = false;
    const flaky = await jwksServer(() => (up ? [shopKey.publicJwk] : undefined));
    const { logger, lines } = capturedLogger();
    const users = verifiedUsers({ url: flaky.url, logger });
    try {
      expect(await users.userOf(bearer(await token({ sub: 'user-1' })))).toBeUndefined();
      up = true;
      // Fresh tokens: the first one's refusal is (rightly) remembered for a few seconds.
      await eventually(async () => (await users.userOf(bearer(await token({ sub: 'user-1' })))) === 'user-1');
      expect(lines.some((line) => line.includes('The JWKS cannot be fetched'))).toBe(true);
      expect(lines.some((line) => line.includes('The JWKS answers again'))).toBe(true);
    } finally {
      await stop(flaky.server);
    }
  });

  it('fetches the JWKS once for many tokens, not once per token', async () => {
    const counted = await jwksServer(() => [shopKey.publicJwk]);
    try {
      const users = verifiedUsers({ url: counted.url });
      const tokens = await Promise.all(Array.from({ length: 20 }, (_, i) => token({ sub: `user-${i}` })));
      const subs = await Promise.all(tokens.map((jws) => users.userOf(bearer(jws))));
      expect(subs).toEqual(tokens.map((_, i) => `user-${i}`));
      expect(counted.fetches()).toBe(1);
    } finally {
      await stop(counted.server);
    }
  });

  it('treats every request as anonymous once closed', async () => {
    const users = verifiedUsers();
    const header = bearer(await token({ sub: 'user-1' }));
    expect(await users.userOf(header)).toBe('user-1');
    users.close();
    expect(users.userOf(header)).toBeUndefined();
    expect(users.userOf(bearer(await token({ sub: 'user-2' })))).toBeUndefined();
  });

  it('refuses a JWKS URL that is not one', () => {
    expect(() => new VerifiedUsers('not a url', pino({ level: 'silent' }))).toThrow(/JWKS URL/);
    expect(() => new VerifiedUsers('file:///etc/jwks.json', pino({ level: 'silent' }))).toThrow(/http/);
    expect(() => new VerifiedUsers(jwks.url, pino({ level: 'silent' }), { cacheSize: 0 })).toThrow(/cacheSize/);
  });
});
