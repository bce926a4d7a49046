import { Controller, HttpCode, Post } from '@nestjs/common';
import type { z } from 'zod';
import { Public } from '../../../platform/auth/access-decorators.js';
import { ValidBody } from '../../../platform/http/validated-input.js';
import { ApiRoute } from '../../../platform/openapi/route-docs.js';
import { RegisterUser, type UserView } from '../contract.js';
import { registerSchema } from '../domain/user-input.js';
import { userViewSchema } from '../user-view.schema.js';
import { RegisterUserHandler } from './register-user.handler.js';

@Controller('api/v1/identity')
export class RegisterUserController {
  constructor(private readonly handler: RegisterUserHandler) {}

  @Post('register')
  @Public()
  @HttpCode(201)
  @ApiRoute({ summary: 'Register a customer account', tags: ['identity'], status: 201, response: userViewSchema })
  register(@ValidBody(registerSchema) input: z.infer<typeof registerSchema>): Promise<UserView> {
    return this.handler.execute(new RegisterUser(input.email, input.password, input.name));
  }
}
