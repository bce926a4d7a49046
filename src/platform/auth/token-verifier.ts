import { Inject, Injectable } from '@nestjs/common';
import { createLocalJWKSet, jwtVerify, type JWK, type JWTVerifyGetKey } from 'jose';
import { APP_CONFIG, type AppConfig } from '../config/app-config.js';
import { UnauthenticatedError } from './auth-errors.js';
import { ROLES, type Principal, type Role } from './principal.js';
import { PUBLIC_SIGNING_KEY, TOKEN_ALGORITHM } from './signing-keys.js';

/**
 * Verifies access tokens against the JWKS: algorithm pinned to EdDSA (so `none` and
 * HMAC-with-the-public-key tricks fail), and `exp`, `nbf`, `iss`, `aud` all checked.
 */
@Injectable()
export class TokenVerifier {
  private readonly keySet: JWTVerifyGetKey;

  constructor(
    @Inject(PUBLIC_SIGNING_KEY) publicJwk: JWK,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {
    this.keySet = createLocalJWKSet({ keys: [publicJwk] });
  }

  async verify(token: string): Promise<Principal> {
    try {
      const { payload } = await jwtVerify(token, this.keySet, {
        algorithms: [TOKEN_ALGORITHM],
        issuer: this.config.jwt.issuer,
        audience: this.config.jwt.audience,
        requiredClaims: ['sub', 'exp', 'nbf', 'iat'],
        typ: 'at+jwt',
        // Instances' clocks differ a little; a token must not bounce off a verifier 1 s behind.
        clockTolerance: 5,
      });
      const roles = Array.isArray(payload.roles)
        ? payload.roles.filter((r): r is Role => ROLES.includes(r as Role))
        : [];
      if (typeof payload.sub !== 'string' || typeof payload.email !== 'string') {
        throw new UnauthenticatedError('The access token lacks its subject.');
      }
      return { userId: payload.sub, email: payload.email, roles };
    } catch (error) {
      if (error instanceof UnauthenticatedError) throw error;
      const code = (error as { code?: string }).code;
      throw new UnauthenticatedError(
        code === 'ERR_JWT_EXPIRED' ? 'The access token has expired.' : 'The access token is not valid.',
      );
    }
  }
}
