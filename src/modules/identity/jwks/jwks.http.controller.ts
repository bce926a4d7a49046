import { Controller, Get, Header } from '@nestjs/common';
import { Public } from '../../../platform/auth/access-decorators.js';
import { TokenIssuer } from '../../../platform/auth/token-issuer.js';

/** The public keys that verify identity's access tokens (RFC 7517), for any service. */
@Controller('.well-known')
export class JwksController {
  constructor(private readonly tokens: TokenIssuer) {}

  @Get('jwks.json')
  @Public()
  @Header('cache-control', 'public, max-age=300')
  jwks(): { keys: object[] } {
    return this.tokens.jwks();
  }
}
