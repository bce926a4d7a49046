import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';

/**
 * The caller's network address: the socket's peer, or, behind proxies listed in
 * TRUST_PROXY, the client they name in `X-Forwarded-For`. Never trust the header
 * from anyone else: a client could claim any address to dodge a per-address throttle.
 */
export const ClientAddress = createParamDecorator((_: unknown, ctx: ExecutionContext): string => {
  return ctx.switchToHttp().getRequest<FastifyRequest>().ip;
});
