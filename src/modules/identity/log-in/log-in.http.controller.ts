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
  ) {}

  @Post('login')
  @Public()
  @HttpCode(200)
  @ApiRoute({ summary: 'Exchange email and password for an access token', tags: ['identity'], response: tokenSchema })
  async logIn(@ValidBody(logInSchema) input: z.infer<typeof logInSchema>): Promise<IssuedToken> {
    const user = await this.users.findByEmail(input.email);
    if (!user) {
      await this.hasher.burn(input.password);
      throw new InvalidCredentialsError();
    }
    if (!(await this.hasher.verify(input.password, user.passwordHash))) throw new InvalidCredentialsError();
    return this.tokens.issue({ userId: user.id, email: user.email, roles: user.roles as UserRole[] });
  }
}
