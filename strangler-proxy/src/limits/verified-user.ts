import { performance } from 'node:perf_hooks';
import { createRemoteJWKSet, customFetch, jwtVerify, type FetchImplementation, type JWTVerifyOptions } from 'jose';
import type { Logger } from 'pino';

/**
 * What the shop's identity module signs (src/modules/identity/tokens/token-issuer.ts,
 * src/platform/config/app-config.ts): Ed25519 (JWS `EdDSA`), `typ: at+jwt`, issuer
 * `urn:shop:identity`, audience `urn:shop:api`, with `sub`, `iat`, `nbf`, `exp`. The gateway
 * may not import that code, so the facts are restated here.
 */
const TOKEN_ALGORITHM = 'EdDSA';
const TOKEN_TYPE = 'at+jwt';
const DEFAULT_ISSUER = 'urn:shop:identity';
const DEFAULT_AUDIENCE = 'urn:shop:api';
/** As the shop's own verifier allows: clocks of instances differ a little. */
const CLOCK_TOLERANCE_SECONDS = 5;

/** A shop token is well under 1 KiB; anything near this is not one, and is refused unread. */
const MAX_TOKEN_LENGTH = 4096;
const MAX_AUTHORIZATION_LENGTH = 'Bearer '.length + MAX_TOKEN_LENGTH;
/** RFC 6750's scheme (case-insensitive) and a compact JWS: three base64url parts, a signature included. */
const BEARER_JWS = /^Bearer +([\w-]+\.[\w-]+\.[\w-]+)$/i;

const DEFAULT_CACHE_SIZE = 10_000;
/** A refused token is answered from memory this long: a flood of one forged token costs one verification. */
const REFUSAL_TTL_MS = 5_000;
/** Fetching the keys is on a request's path (a token not seen before waits for it): fail soon. */
const JWKS_TIMEOUT_MS = 1_500;
/** After a failed fetch, new tokens are refused at once for this long rather than each waiting on a dead JWKS. */
const JWKS_RETRY_AFTER_FAILURE_MS = 1_000;
/** The monolith serves its JWKS with `max-age=300`. */
const JWKS_MAX_AGE_MS = 300_000;
/** A token naming an unknown key refetches the JWKS at most this often (a rotated key is found; a forged `kid` costs little). */
const JWKS_COOLDOWN_MS = 30_000;

interface Verdict {
  /** The verified `sub`, or undefined for a refused token. */
  readonly user: string | undefined;
  /** Date.now() past which the verdict no longer holds. */
  readonly until: number;
}

/**
 * A bounded map of verdicts that expire. Full, it drops its oldest entry; with `touchOnHit`
 * a hit makes an entry the newest (LRU), for the genuine users who come back again and again.
 */
class VerdictCache {
  private readonly entries = new Map<string, Verdict>();

  constructor(
    private readonly capacity: number,
    private readonly touchOnHit: boolean,
  ) {}

  get(key: string, now: number): Verdict | undefined {
    const verdict = this.entries.get(key);
    if (verdict === undefined) return undefined;
    if (now >= verdict.until) {
      this.entries.delete(key);
      return undefined;
    }
    if (this.touchOnHit) {
      this.entries.delete(key);
      this.entries.set(key, verdict);
    }
    return verdict;
  }

  set(key: string, verdict: Verdict): void {
    this.entries.delete(key);
    if (this.entries.size >= this.capacity) {
      const oldest = this.entries.keys().next();
      if (!oldest.done) this.entries.delete(oldest.value);
    }
    this.entries.set(key, verdict);
  }

  clear(): void {
    this.entries.clear();
  }
}

/**
 * Who a request's bearer token genuinely belongs to, for the per-user rate limit. The `sub`
 * of an unverified token is anyone's to claim: charging it would let a forged token spend
 * (and lock out) a victim's budget. So a user is charged only for a token signed by the
 * identity module's key (its JWKS), with the issuer, audience, type and lifetime it issues.
 *
 * Verifying costs a signature check, so verdicts are kept: a genuine token until it expires
 * (in an LRU of `cacheSize`), a refused one for a few seconds (in a second one of the same
 * size, so a flood of distinct forged tokens evicts only its own kind and never grows memory
 * past the bound). A token seen before is answered synchronously: one map lookup, no parsing.
 *
 * Verdicts are kept by the whole header value, so a hit needs no parsing; the token itself is
 * never logged.
 */
export class VerifiedUsers {
  private readonly keys: ReturnType<typeof createRemoteJWKSet>;
  private readonly verifyOptions: JWTVerifyOptions;
  private readonly verified: VerdictCache;
  private readonly refused: VerdictCache;
  /** Verifications under way, so concurrent requests with one new token share one check. */
  private readonly pending = new Map<string, Promise<string | undefined>>();
  private readonly pendingLimit: number;
  private readonly closing = new AbortController();
  private readonly jwksLabel: string;
  private closed = false;
  /** performance.now() before which the JWKS is not asked again, after a failure. */
  private jwksRetryAt = 0;
  private jwksDown = false;

  /** jwksUrl: e.g. http://127.0.0.1:3000/.well-known/jwks.json; issuer/audience as the shop's tokens carry them (read the issuer code; make them options with those defaults). */
  constructor(
    jwksUrl: string,
    private readonly logger: Logger,
    options?: { issuer?: string; audience?: string; cacheSize?: number },
  ) {
    let url: URL;
    try {
      url = new URL(jwksUrl);
    } catch {
      throw new TypeError(`VerifiedUsers: the JWKS URL is not a URL: ${JSON.stringify(jwksUrl)}`);
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      throw new TypeError(`VerifiedUsers: the JWKS URL must be http(s), not ${url.protocol}`);
    }
    const cacheSize = options?.cacheSize ?? DEFAULT_CACHE_SIZE;
    if (!Number.isInteger(cacheSize) || cacheSize < 1) {
      throw new RangeError(`VerifiedUsers: cacheSize must be a positive integer, not ${cacheSize}`);
    }
    // Logged without any credentials a URL might carry.
    this.jwksLabel = `${url.origin}${url.pathname}`;
    this.verified = new VerdictCache(cacheSize, true);
    this.refused = new VerdictCache(cacheSize, false);
    this.pendingLimit = cacheSize;
    this.verifyOptions = {
      // Pinned: `none`, and HMAC keyed with the public key, are refused before any key is used.
      algorithms: [TOKEN_ALGORITHM],
      issuer: options?.issuer ?? DEFAULT_ISSUER,
      audience: options?.audience ?? DEFAULT_AUDIENCE,
      typ: TOKEN_TYPE,
      // `exp` also bounds how long a verdict is kept.
      requiredClaims: ['sub', 'exp', 'nbf', 'iat'],
      clockTolerance: CLOCK_TOLERANCE_SECONDS,
    };
    this.keys = createRemoteJWKSet(url, {
      timeoutDuration: JWKS_TIMEOUT_MS,
      cooldownDuration: JWKS_COOLDOWN_MS,
      cacheMaxAge: JWKS_MAX_AGE_MS,
      [customFetch]: this.fetchKeys,
    });
    // Fetched now, so the first user's request does not wait for it. A failure is logged by fetchKeys.
    this.keys.reload().catch(() => undefined);
  }

  /**
   * The verified user id (`sub`) of a request's `Authorization: Bearer <token>`, or undefined (no token, malformed, forged, expired, wrong issuer/audience, keys unreachable).
   * Synchronous when the token was seen before (a cache of verified tokens until they expire, bounded in size, LRU or clear-when-full), otherwise a Promise. Never throws or rejects.
   */
  userOf(authorization: string | undefined): string | undefined | Promise<string | undefined> {
    // Length first: an oversized header is never hashed into a lookup.
    if (authorization === undefined || authorization.length > MAX_AUTHORIZATION_LENGTH || this.closed) return undefined;
    const now = Date.now();
    const known = this.verified.get(authorization, now) ?? this.refused.get(authorization, now);
    if (known !== undefined) return known.user;
    const pending = this.pending.get(authorization);
    if (pending !== undefined) return pending;
    const token = BEARER_JWS.exec(authorization)?.[1];
    // Not a bearer JWS at all: refused by a regular expression, not worth a cache entry.
    if (token === undefined) return undefined;
    const verification = this.verify(authorization, token);
    // Bounded like the caches: past it, a request verifies on its own rather than grow the map.
    if (this.pending.size < this.pendingLimit) this.pending.set(authorization, verification);
    return verification;
  }

  /** Forgets every verdict and aborts a JWKS fetch under way; afterwards every request is anonymous. */
  close(): void {
    this.closed = true;
    this.closing.abort();
    this.verified.clear();
    this.refused.clear();
    this.pending.clear();
  }

  private async verify(authorization: string, token: string): Promise<string | undefined> {
    let user: string | undefined;
    let until = 0;
    try {
      const { payload } = await jwtVerify(token, this.keys, this.verifyOptions);
      if (typeof payload.sub === 'string' && payload.sub !== '' && typeof payload.exp === 'number') {
        user = payload.sub;
        // Kept as long as jwtVerify itself would still accept the token.
        until = (payload.exp + CLOCK_TOLERANCE_SECONDS) * 1000;
      }
    } catch {
      // Forged, altered, expired, not for us, or no keys to check it with: all mean "no user".
    }
    this.pending.delete(authorization);
    if (!this.closed) {
      if (user !== undefined) this.verified.set(authorization, { user, until });
      else this.refused.set(authorization, { user: undefined, until: Date.now() + REFUSAL_TTL_MS });
    }
    return user;
  }

  /**
   * jose's fetch, with what jose lacks: after a failure, new tokens do not each wait on a
   * dead JWKS (jose retries on every call until a fetch succeeds); an outage is logged once,
   * and so is the recovery; close() aborts a fetch under way.
   */
  private readonly fetchKeys: FetchImplementation = async (url, init) => {
    if (this.closed) throw new Error('VerifiedUsers is closed');
    if (performance.now() < this.jwksRetryAt) throw new Error('The JWKS failed a moment ago');
    let response: Response;
    try {
      response = await fetch(url, { ...init, signal: AbortSignal.any([init.signal, this.closing.signal]) });
    } catch (error) {
      this.jwksFailed(error instanceof Error ? error.message : String(error));
      throw error;
    }
    if (response.status === 200) {
      this.jwksRetryAt = 0;
      if (this.jwksDown) {
        this.jwksDown = false;
        this.logger.info({ jwks: this.jwksLabel }, 'The JWKS answers again: users are verified and charged again');
      }
    } else {
      // jose reads no body but a 200's; this one's is released now.
      await response.body?.cancel().catch(() => undefined);
      this.jwksFailed(`status ${response.status}`);
    }
    return response;
  };

  private jwksFailed(reason: string): void {
    if (this.closed) return;
    this.jwksRetryAt = performance.now() + JWKS_RETRY_AFTER_FAILURE_MS;
    if (this.jwksDown) return;
    this.jwksDown = true;
    this.logger.warn(
      { jwks: this.jwksLabel, reason },
      'The JWKS cannot be fetched: tokens not verified before are treated as anonymous (not charged per user) until it answers',
    );
  }
}
