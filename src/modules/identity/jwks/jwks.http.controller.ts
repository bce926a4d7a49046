import { Controller, Get, Header } from '@nestjs/common';
import { z } from 'zod';
import { Public } from '../../../platform/auth/access-decorators.js';
import { ApiRoute } from '../../../platform/openapi/route-docs.js';
import { TokenIssuer } from '../tokens/token-issuer.js';

/**
 * The public keys that verify identity's access tokens (RFC 7517), for any service.
 * It sits at the well-known URI (RFC 8615) rather than under /api/v1/identity; a
 * routing proxy sends `/.well-known/jwks.json` to wherever identity runs.
 */
@Controller('.well-known')
export class JwksController {
  constructor(private readonly tokens: TokenIssuer) {}

  @Get('jwks.json')
  @Public()
  @Header('cache-control', 'public, max-age=300')
  @ApiRoute({
    summary: 'Public keys that verify access tokens (JWKS)',
    operationId: 'getJwks',
    tags: ['identity'],
    response: z.object({ keys: z.array(z.record(z.string(), z.string())) }),
  })
  jwks(): { keys: object[] } {
    return this.tokens.jwks();
  }
}
