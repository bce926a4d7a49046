import { Controller, Get, Patch } from '@nestjs/common';
import type { z } from 'zod';
import { CurrentUser } from '../../../platform/auth/access-decorators.js';
import type { Principal } from '../../../platform/auth/principal.js';
import { ValidBody } from '../../../platform/http/validated-input.js';
import { ApiRoute } from '../../../platform/openapi/route-docs.js';
import type { UserView } from '../contract.js';
import { UsersRepository } from '../db/users.repository.js';
import { UserNotFoundError } from '../domain/identity-errors.js';
import { updateProfileSchema } from '../domain/user-input.js';
import { userViewSchema } from '../user-view.schema.js';

/** The caller's own profile. The id comes from the token, never from the request. */
@Controller('api/v1/identity/me')
export class ProfileController {
  constructor(private readonly users: UsersRepository) {}

  @Get()
  @ApiRoute({
    summary: 'Read my profile',
    operationId: 'getMyProfile',
    tags: ['identity'],
    response: userViewSchema,
    errors: { 404: 'The account the token names no longer exists (IDENTITY.USER_NOT_FOUND).' },
  })
  async read(@CurrentUser() caller: Principal): Promise<UserView> {
    const user = await this.users.findById(caller.userId);
    if (!user) throw new UserNotFoundError();
    return user;
  }

  @Patch()
  @ApiRoute({
    summary: 'Change my display name',
    operationId: 'updateMyProfile',
    tags: ['identity'],
    response: userViewSchema,
    errors: { 404: 'The account the token names no longer exists (IDENTITY.USER_NOT_FOUND).' },
  })
  async update(
    @CurrentUser() caller: Principal,
    @ValidBody(updateProfileSchema) input: z.infer<typeof updateProfileSchema>,
  ): Promise<UserView> {
    const user = await this.users.rename(caller.userId, input.name);
    if (!user) throw new UserNotFoundError();
    return user;
  }
}
