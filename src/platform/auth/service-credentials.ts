import { SignJWT, jwtVerify, errors as joseErrors } from 'jose';
import type { EndUser } from '../logging/request-context.js';

/**
 * Credentials of one service calling another's internal RPC endpoint: a short-lived
 * JWT (HS256) signed with the key every process of the shop shares
 * (SERVICE_TOKEN_SECRET), with audience `internal`, the calling service as subject,
 * and the end user the call is made for, if any. The end user's identity is part of
 * the signed token, so nobody without the service key can claim to act for a user;
 * a user's own access token (signed by identity, audience the public API) is not a
 * service credential and is refused.
 */
export const SERVICE_TOKEN_AUDIENCE = 'internal';
const ISSUER = 'urn:shop:services';
const ALGORITHM = 'HS256';
const LIFETIME_SECONDS = 120;
/** A cached token is renewed this long before it expires, so one in flight never arrives expired. */
const RENEW_BEFORE_SECONDS = 30;
const MAX_CACHED = 10_000;

export interface ServiceCaller {
  /** The calling service: `monolith` or a module's name. */
  service: string;
  endUser: EndUser | undefined;
}

export class ServiceCredentialError extends Error {}

function keyOf(secret: string): Uint8Array {
  return new TextEncoder().encode(secret);
}

/** Signs this process's credentials; one token per end user, reused until shortly before it expires. */
export class ServiceTokenSigner {
  private readonly key: Uint8Array;
  // The promise is kept, so calls made while a token is being signed share that signature.
  private readonly cache = new Map<string, { token: Promise<string>; renewAt: number }>();

  constructor(
    secret: string,
    private readonly service: string,
  ) {
    this.key = keyOf(secret);
  }

  tokenFor(endUser: EndUser | undefined): Promise<string> {
    const cacheKey = endUser ? `${endUser.userId}|${endUser.email}|${endUser.roles.join(',')}` : '';
    const now = Date.now();
    const cached = this.cache.get(cacheKey);
    if (cached && cached.renewAt > now) return cached.token;
    const token = new SignJWT(endUser ? { user: { id: endUser.userId, email: endUser.email, roles: endUser.roles } } : {})
      .setProtectedHeader({ alg: ALGORITHM, typ: 'JWT' })
      .setIssuer(ISSUER)
      .setAudience(SERVICE_TOKEN_AUDIENCE)
      .setSubject(this.service)
      .setIssuedAt()
      .setExpirationTime(`${LIFETIME_SECONDS}s`)
      .sign(this.key);
    if (this.cache.size >= MAX_CACHED) this.cache.clear();
    const entry = { token, renewAt: now + (LIFETIME_SECONDS - RENEW_BEFORE_SECONDS) * 1000 };
    this.cache.set(cacheKey, entry);
    // A failed signature is not kept: the next call tries again.
    token.catch(() => {
      if (this.cache.get(cacheKey) === entry) this.cache.delete(cacheKey);
    });
    return token;
  }
}

/** Checks credentials on the receiving side; a token checked once is remembered until it expires. */
export class ServiceTokenVerifier {
  private readonly key: Uint8Array;
  private readonly verified = new Map<string, { caller: ServiceCaller; expiresAt: number }>();

  constructor(secret: string) {
    this.key = keyOf(secret);
  }

  async verify(token: string): Promise<ServiceCaller> {
    const now = Date.now();
    const known = this.verified.get(token);
    if (known && known.expiresAt > now) return known.caller;
    let payload;
    try {
      ({ payload } = await jwtVerify(token, this.key, { algorithms: [ALGORITHM], audience: SERVICE_TOKEN_AUDIENCE, issuer: ISSUER }));
    } catch (error) {
      if (error instanceof joseErrors.JOSEError) throw new ServiceCredentialError('The service credential is invalid or expired.');
      throw error;
    }
    const caller: ServiceCaller = { service: String(payload.sub ?? ''), endUser: endUserOf(payload.user) };
    if (!caller.service) throw new ServiceCredentialError('The service credential names no calling service.');
    if (this.verified.size >= MAX_CACHED) this.verified.clear();
    this.verified.set(token, { caller, expiresAt: (payload.exp ?? 0) * 1000 });
    return caller;
  }
}

function endUserOf(claim: unknown): EndUser | undefined {
  if (claim === undefined) return undefined;
  const user = claim as { id?: unknown; email?: unknown; roles?: unknown };
  if (typeof user.id !== 'string' || typeof user.email !== 'string' || !Array.isArray(user.roles) || !user.roles.every((r) => typeof r === 'string')) {
    throw new ServiceCredentialError('The service credential carries a malformed end-user identity.');
  }
  return { userId: user.id, email: user.email, roles: user.roles as string[] };
}
