import { Controller, HttpCode, Post } from '@nestjs/common';
import type { z } from 'zod';
import { Public } from '../../../platform/auth/access-decorators.js';
import { ValidBody } from '../../../platform/http/validated-input.js';
import { ApiRoute } from '../../../platform/openapi/route-docs.js';
import { RegisterUser, type UserView } from '../contract.js';
import { registerSchema } from '../domain/user-input.js';
import { userViewSchema } from '../user-view.schema.js';
import { RegisterUserHandler } from './register-user.handler.js';
import { ClientAddress } from '../../../platform/http/client-address.js';
import { RegistrationThrottle } from './registration-throttle.js';

@Controller('api/v1/identity')
export class RegisterUserController {
  constructor(
    private readonly handler: RegisterUserHandler,
    private readonly throttle: RegistrationThrottle,
  ) {}

  @Post('register')
  @Public()
  @HttpCode(201)
  @ApiRoute({
    summary: 'Register a customer account',
    tags: ['identity'],
    response: userViewSchema,
    errors: {
      409: 'An account with this email already exists (IDENTITY.EMAIL_TAKEN).',
      429: 'Too many registrations from this address (IDENTITY.TOO_MANY_REGISTRATIONS); retry after `Retry-After` seconds.',
      503: 'Too many passwords are being hashed right now (IDENTITY.BUSY), or the instance is shutting down.',
    },
  })
  async register(
    @ValidBody(registerSchema) input: z.infer<typeof registerSchema>,
    @ClientAddress() address: string,
  ): Promise<UserView> {
    await this.throttle.count(address);
    return this.handler.execute(new RegisterUser(input.email, input.password, input.name));
  }
}
