import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { SignJWT } from 'jose';
import type { Principal } from '../../../platform/auth/principal.js';
import { SIGNING_KEYS, TOKEN_ALGORITHM, type SigningKeys } from '../../../platform/auth/signing-keys.js';
import { APP_CONFIG, type AppConfig } from '../../../platform/config/app-config.js';

export interface IssuedToken {
  accessToken: string;
  tokenType: 'Bearer';
  expiresIn: number;
}

/**
 * Signs access tokens. It lives in identity and only identity receives the private
 * key (wired by the composition root); every other module only verifies.
 */
@Injectable()
export class TokenIssuer {
  constructor(
    @Inject(SIGNING_KEYS) private readonly keys: SigningKeys,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async issue(principal: Principal): Promise<IssuedToken> {
    const now = Math.floor(Date.now() / 1000);
    const accessToken = await new SignJWT({ email: principal.email, roles: principal.roles })
      .setProtectedHeader({ alg: TOKEN_ALGORITHM, kid: this.keys.kid, typ: 'at+jwt' })
      .setSubject(principal.userId)
      .setIssuer(this.config.jwt.issuer)
      .setAudience(this.config.jwt.audience)
      .setIssuedAt(now)
      .setNotBefore(now)
      .setExpirationTime(now + this.config.jwt.ttlSeconds)
      .setJti(randomUUID())
      .sign(this.keys.privateKey);
    return { accessToken, tokenType: 'Bearer', expiresIn: this.config.jwt.ttlSeconds };
  }

  /** The public keys, as published at `/.well-known/jwks.json`. */
  jwks(): { keys: object[] } {
    return { keys: [this.keys.publicJwk] };
  }
}
