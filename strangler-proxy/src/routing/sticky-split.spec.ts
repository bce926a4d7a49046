import { describe, expect, it } from 'vitest';
import { bucketOf, overrideOf, sideOf, stickinessKeyOf, type Side } from './sticky-split.js';

const b64 = (value: string) => Buffer.from(value).toString('base64url');
/** A JWT as the shop issues it, as far as routing reads it (the signature is never checked here). */
const jwt = (payload: object) => `${b64('{"alg":"EdDSA","typ":"JWT"}')}.${b64(JSON.stringify(payload))}.${b64('signature')}`;
const bearer = (payload: object) => ({ authorization: `Bearer ${jwt(payload)}` });

const USERS = Array.from({ length: 1_000 }, (_, i) => `0b7f${i.toString(16).padStart(4, '0')}-6c1e-4a8e-9d3f-${(i * 7919).toString(16).padStart(12, '0')}`);

/** The side a user's request lands on, from its headers, as the gateway decides it. */
const sideOfUser = (user: string, weight: number, issuedAt = 1_700_000_000): Side =>
  sideOf(bucketOf('payments', stickinessKeyOf(bearer({ sub: user, iat: issuedAt }), 'jwt-sub', '10.0.0.1')), weight);

describe('the weighted split', () => {
  it('should send 30% ± 3% of 1,000 users to the extracted side at weight 30, each user always to the same side', () => {
    const sides = new Map<string, Side>();
    let extracted = 0;
    for (let request = 0; request < 10_000; request++) {
      const user = USERS[request % USERS.length]!;
      // Each request carries a token of its own (another iat): only the sub counts.
      const side = sideOfUser(user, 30, 1_700_000_000 + request);
      if (sides.has(user)) expect(side, user).toBe(sides.get(user));
      sides.set(user, side);
    }
    for (const side of sides.values()) if (side === 'extracted') extracted++;
    expect(sides.size).toBe(1_000);
    expect(extracted).toBeGreaterThanOrEqual(270);
    expect(extracted).toBeLessThanOrEqual(330);
  });

  it('should move users only from the monolith to the extracted side when the weight rises from 30 to 60', () => {
    const at30 = USERS.filter((user) => sideOfUser(user, 30) === 'extracted');
    const at60 = USERS.filter((user) => sideOfUser(user, 60) === 'extracted');
    expect(at30.filter((user) => !at60.includes(user))).toEqual([]);
    expect(at60.length).toBeGreaterThanOrEqual(570);
    expect(at60.length).toBeLessThanOrEqual(630);
  });

  it('should send nobody at weight 0 and everybody at weight 100', () => {
    expect(USERS.filter((user) => sideOfUser(user, 0) === 'extracted')).toEqual([]);
    expect(USERS.filter((user) => sideOfUser(user, 100) === 'monolith')).toEqual([]);
    expect(sideOf(0, 0)).toBe('monolith');
    expect(sideOf(9_999, 100)).toBe('extracted');
    expect(sideOf(2_999, 30)).toBe('extracted');
    expect(sideOf(3_000, 30)).toBe('monolith');
  });

  it('should give buckets 0–9999, the same for the same user and route, drawn afresh per route', () => {
    for (const user of USERS) {
      const bucket = bucketOf('payments', user);
      expect(Number.isInteger(bucket) && bucket >= 0 && bucket < 10_000).toBe(true);
      expect(bucketOf('payments', user)).toBe(bucket);
    }
    const samePick = USERS.filter((user) => sideOf(bucketOf('payments', user), 30) === sideOf(bucketOf('catalog', user), 30));
    // Independent draws agree for about 0.3² + 0.7² = 58% of users, not for all of them.
    expect(samePick.length).toBeLessThan(700);
  });
});

describe('stickinessKeyOf', () => {
  it("should read the JWT's sub without verifying it, whatever the scheme's case", () => {
    expect(stickinessKeyOf(bearer({ sub: 'user-1' }), 'jwt-sub', '10.0.0.1')).toBe('user-1');
    expect(stickinessKeyOf({ authorization: `bearer ${jwt({ sub: 'user-2' })}` }, 'jwt-sub', '10.0.0.1')).toBe('user-2');
  });

  it('should fall back to the client address for a missing or garbage token, without throwing', () => {
    const garbage = [
      undefined,
      '',
      'Bearer',
      'Basic dXNlcjpwYXNz',
      'Bearer not-a-jwt',
      'Bearer a.b',
      'Bearer !!!.@@@.###',
      `Bearer ${b64('{}')}.${b64('not json')}.x`,
      `Bearer ${b64('{}')}.${b64('["sub"]')}.x`,
      `Bearer ${b64('{}')}.${b64('{"sub":42}')}.x`,
      `Bearer ${b64('{}')}.${b64('{"sub":""}')}.x`,
      `Bearer ${b64('{}')}.${b64('{"sub":"x"')}.x`,
      `Bearer ${b64('{}')}.${'A'.repeat(100_000)}.x`,
      `Bearer ${'x'.repeat(1_000_000)}`,
      'Bearer \u0000\uffff.\ud800.\u2028',
    ];
    for (const authorization of garbage) {
      expect(stickinessKeyOf(authorization === undefined ? {} : { authorization }, 'jwt-sub', '10.0.0.1'), String(authorization).slice(0, 40)).toBe('10.0.0.1');
    }
  });

  it("should read the configured cookie's value, quoted or not, among others", () => {
    const headers = { cookie: 'theme=dark; session="s-123"; sessionx=other' };
    expect(stickinessKeyOf(headers, 'cookie:session', '10.0.0.1')).toBe('s-123');
    expect(stickinessKeyOf({ cookie: 'session=s-9' }, 'cookie:session', '10.0.0.1')).toBe('s-9');
    expect(stickinessKeyOf({ cookie: 'xsession=s-9;session=s-10' }, 'cookie:session', '10.0.0.1')).toBe('s-10');
    expect(stickinessKeyOf(headers, 'cookie:sessionx', '10.0.0.1')).toBe('other');
  });

  it('should fall back to the client address when the cookie is missing, empty or beyond what is read', () => {
    for (const cookie of [undefined, '', 'theme=dark', 'session=', 'session', `${'a=b; '.repeat(3_000)}session=late`]) {
      expect(stickinessKeyOf(cookie === undefined ? {} : { cookie }, 'cookie:session', '10.0.0.1')).toBe('10.0.0.1');
    }
  });

  it('should key on the client address when told to, token or not', () => {
    expect(stickinessKeyOf(bearer({ sub: 'user-1' }), 'client-address', '10.0.0.7')).toBe('10.0.0.7');
  });
});

describe('overrideOf', () => {
  const on = { enabled: true, header: 'x-strangler-target' };
  it('should force the side the header names, whatever its case', () => {
    expect(overrideOf({ 'x-strangler-target': 'extracted' }, on)).toBe('extracted');
    expect(overrideOf({ 'x-strangler-target': 'MONOLITH' }, on)).toBe('monolith');
    expect(overrideOf({ 'x-strangler-target': ['Extracted', 'monolith'] }, on)).toBe('extracted');
    expect(overrideOf({ 'x-tester': 'extracted' }, { enabled: true, header: 'x-tester' })).toBe('extracted');
  });

  it('should ignore another value, a missing header, and any header while the override is off', () => {
    expect(overrideOf({ 'x-strangler-target': 'both' }, on)).toBeUndefined();
    expect(overrideOf({}, on)).toBeUndefined();
    expect(overrideOf({ 'x-strangler-target': 'extracted' }, { ...on, enabled: false })).toBeUndefined();
  });
});
