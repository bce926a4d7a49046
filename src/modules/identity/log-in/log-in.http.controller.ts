import { Controller, HttpCode, Post } from '@nestjs/common';
import { z } from 'zod';
import { Public } from '../../../platform/auth/access-decorators.js';
import { TokenIssuer, type IssuedToken } from '../tokens/token-issuer.js';
import { ValidBody } from '../../../platform/http/validated-input.js';
import { ApiRoute } from '../../../platform/openapi/route-docs.js';
import type { UserRole } from '../contract.js';
import { PasswordHasher } from '../credentials/password-hasher.js';
import { UsersRepository } from '../db/users.repository.js';
import { InvalidCredentialsError } from '../domain/identity-errors.js';
import { logInSchema } from '../domain/user-input.js';
import { ClientAddress } from '../../../platform/http/client-address.js';
import { LoginThrottle } from './login-throttle.js';

const tokenSchema = z.object({
  accessToken: z.string(),
  tokenType: z.literal('Bearer'),
  expiresIn: z.number().int().describe('seconds'),
});

@Controller('api/v1/identity')
export class LogInController {
  constructor(
    private readonly users: UsersRepository,
    private readonly hasher: PasswordHasher,
    private readonly tokens: TokenIssuer,
    private readonly throttle: LoginThrottle,
  ) {}

  @Post('login')
  @Public()
  @HttpCode(200)
  @ApiRoute({
    summary: 'Exchange email and password for an access token',
    tags: ['identity'],
    response: tokenSchema,
    errors: {
      401: 'The email or password is wrong (IDENTITY.INVALID_CREDENTIALS); which one is not said.',
      429:
        'Too many failed log-ins from this address, for this account or for any (IDENTITY.TOO_MANY_LOGIN_ATTEMPTS); ' +
        'retry after `Retry-After` seconds.',
      503: 'Too many passwords are being checked right now (IDENTITY.BUSY), or the instance is shutting down.',
    },
  })
  async logIn(
    @ValidBody(logInSchema) input: z.infer<typeof logInSchema>,
    @ClientAddress() address: string,
  ): Promise<IssuedToken> {
    const attempt = await this.throttle.begin(input.email, address);
    const user = await this.users.findByEmail(input.email);
    if (!user) {
      await this.hasher.burn(input.password);
      throw new InvalidCredentialsError();
    }
    if (!(await this.hasher.verify(input.password, user.passwordHash))) throw new InvalidCredentialsError();
    await attempt.succeeded();
    return this.tokens.issue({ userId: user.id, email: user.email, roles: user.roles as UserRole[] });
  }
}
