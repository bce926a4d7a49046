import { Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { FastifyRequest } from 'fastify';
import { ForbiddenError, UnauthenticatedError } from './auth-errors.js';
import { IS_PUBLIC, REQUIRED_ROLES } from './access-decorators.js';
import type { Principal, Role } from './principal.js';
import { TokenVerifier } from './token-verifier.js';
import { requestContext } from '../logging/request-context.js';

/**
 * The global guard: every route needs a valid bearer token unless it is marked
 * `@Public()`. 401 when the token is missing or bad, 403 when a role is missing.
 */
@Injectable()
export class AccessGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly verifier: TokenVerifier,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const targets = [context.getHandler(), context.getClass()];
    if (this.reflector.getAllAndOverride<boolean>(IS_PUBLIC, targets)) return true;

    const request = context.switchToHttp().getRequest<FastifyRequest & { principal?: Principal }>();
    const header = request.headers.authorization;
    const match = typeof header === 'string' ? /^Bearer ([A-Za-z0-9._~+/=-]+)$/i.exec(header) : null;
    if (!match?.[1]) throw new UnauthenticatedError('A bearer access token is required.');
    const principal = await this.verifier.verify(match[1]);
    request.principal = principal;
    // Contract calls made for this request carry who it is for, to another process too.
    const work = requestContext.current();
    if (work) work.endUser = { userId: principal.userId, email: principal.email, roles: principal.roles };

    const required = this.reflector.getAllAndOverride<Role[] | undefined>(REQUIRED_ROLES, targets);
    if (required && !required.some((role) => principal.roles.includes(role))) {
      throw new ForbiddenError(`This action requires the ${required.join(' or ')} role.`);
    }
    return true;
  }
}
